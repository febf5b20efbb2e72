"""EU Official Journal annexes transcribed to CSV: the real eu/ojeu folder and fixtures."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO_ROOT, shared_path

from service.loaders.common import SourceSet
from service.loaders.errors import ListLoadError
from service.loaders.eu_annex import (
    is_eu_ojeu,
    ojeu_files,
    read_eu_ojeu,
    split_bracketed_names,
)
from service.model import Vessel, VesselName

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "eu-ojeu"
HEADER = (
    "celex,recordId,programKey,annex,measure,startDate,reason,schema,name,alias,weakAlias,"
    "previousName,imoNumber,mmsi,flag\n"
)


@pytest.fixture(scope="module")
def fixture() -> SourceSet:
    return read_eu_ojeu(FIXTURE)


@pytest.fixture(scope="module")
def real() -> SourceSet:
    return read_eu_ojeu(shared_path("eu", "ojeu"))


def _by_id(loaded: SourceSet, source_id: str) -> Vessel:
    (vessel,) = [v for v in loaded.vessels if v.source_id == source_id]
    return vessel


# --- the real files ----------------------------------------------------------------------------


def test_real_folder_gives_its_750_vessel_rows(real: SourceSet) -> None:
    assert len(real.vessels) == 750
    per_file = Counter(v.source_record["file"] for v in real.vessels)
    assert per_file == {
        "32014R0833.csv": 633,
        "32017R1509.csv": 75,
        "amendment_32026R1848.csv": 42,
    }
    assert len({v.entity_id for v in real.vessels}) == 750


def test_real_lady_r(real: SourceSet) -> None:
    (lady_r,) = [v for v in real.vessels if v.imo == "9161003"]
    assert lady_r.entity_id == "eu-ojeu:32014R0833-XLII-12"
    assert lady_r.name == "Lady R"
    assert lady_r.listed_on == "2024-06-25"
    assert lady_r.programs == ("EU-RUS", "32014R0833 Annex XLII", "Transportation restrictions")
    assert lady_r.remarks is not None and lady_r.remarks.startswith("Article 3s(2)")
    assert lady_r.source_record["source_url"].endswith("CELEX:32014R0833")


def test_real_amendment_rename_is_a_second_entry(real: SourceSet) -> None:
    # Reg. 2026/1848 renames entry 629 of Annex XLII: both rows stay, each under its own act.
    old, new = (v for v in real.vessels if v.imo == "9290397")
    assert (old.entity_id, new.entity_id) == (
        "eu-ojeu:32014R0833-XLII-629",
        "eu-ojeu:32026R1848-XLII-629",
    )
    assert new.name == "STORMBRINGER"
    assert VesselName("KRITI VIGOR", "fka") in new.names
    assert new.programs[1] == "32014R0833 Annex XLII"  # the annex it amends


def test_real_dprk_annexes(real: SourceSet) -> None:
    chol = next(v for v in real.vessels if v.imo == "8606173")
    assert chol.name == "Chol Ryong"
    assert chol.aliases == ("Ryong Gun Bong",)
    # Annex XIII.B numbers no entry: the id counts the rows of the annex.
    assert chol.source_id.startswith("32017R1509-XIII.B-n")
    assert sum(1 for v in real.vessels if v.mmsi) == 4
    assert sum(1 for v in real.vessels if v.imo is None) == 1  # "Does not exist"
    with_notes = [v for v in real.vessels if v.remarks and "ship-to-ship" in v.remarks]
    assert with_notes


def test_real_previous_names_are_former_names(real: SourceSet) -> None:
    vessel = next(v for v in real.vessels if "Andromeda Star" in v.former_names)
    assert vessel.former_names == ("Feng Shou", "Andromeda Star")


def test_real_owner_companies_with_imo_numbers(real: SourceSet) -> None:
    with_imo = [e for e in real.entities if e.imo_company_number]
    assert len(with_imo) == 58
    mg_flot = next(e for e in real.entities if e.imo_company_number == "6016988")
    assert mg_flot.name == "MG-Flot LLC"
    assert "TransMorFlot" in mg_flot.aliases
    assert mg_flot.kind == "company"
    assert mg_flot.listed_on == "2024-02-23"
    # No person makes it in.
    assert all(e.source_record["schema"] != "Person" for e in real.entities)


def test_real_version_is_the_hash_of_the_files_in_name_order(real: SourceSet) -> None:
    folder = shared_path("eu", "ojeu")
    files = sorted(folder.glob("*.csv"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    assert real.version == digest[:12]
    assert set(real.sha256) == {p.name for p in files}


# --- fixtures ----------------------------------------------------------------------------------


def test_fixture_vessels_and_ids(fixture: SourceSet) -> None:
    assert [v.entity_id for v in fixture.vessels] == [
        "eu-ojeu:32014R0833-XLII-12",
        "eu-ojeu:32014R0833-XLII-13",
        "eu-ojeu:32014R0833-XLII-14",
        "eu-ojeu:32017R1509-XIII.B-n1",
        "eu-ojeu:32017R1509-XIII.B-n2",
        "eu-ojeu:32017R1509-XIV.B-1",
        "eu-ojeu:32026R9999-XLII-13",
        "eu-ojeu:32026R9999-XLII-15",
    ]


def test_fixture_fields(fixture: SourceSet) -> None:
    river = _by_id(fixture, "32014R0833-XLII-13")
    assert river.former_names == ("OLD RIVER", "OLDER RIVER")
    assert river.flags == ("GA",)
    assert river.listed_on == "2025-08-09"  # "9 August 2025"
    assert _by_id(fixture, "32014R0833-XLII-14").imo == "9000002"  # "IMO 9000002"
    bong = _by_id(fixture, "32017R1509-XIII.B-n2")
    assert bong.imo is None
    assert bong.source_record["imoNumber"] == "Does not exist"
    assert bong.aliases == ("Greenlight", "Blue Example")
    sample = _by_id(fixture, "32017R1509-XIV.B-1")
    assert sample.mmsi == "620000001"
    assert sample.remarks == "Test note: a ship-to-ship transfer."
    renamed = _by_id(fixture, "32026R9999-XLII-13")
    assert renamed.names == (VesselName("NEW SAMPLE", "primary"), VesselName("SAMPLE RIVER", "fka"))


def test_fixture_entities(fixture: SourceSet) -> None:
    kinds = {e.name: e.kind for e in fixture.entities}
    assert kinds == {
        "MG-Flot LLC": "company",
        "EXAMPLE FOUNDATION": "organisation",
        "EXAMPLE BANK": "entity",
        "KOREA EXAMPLE SHIPPING CO": "company",
    }
    foundation = next(e for e in fixture.entities if e.name == "EXAMPLE FOUNDATION")
    assert foundation.aliases == ("EF",)  # weak alias
    korea = next(e for e in fixture.entities if e.name == "KOREA EXAMPLE SHIPPING CO")
    assert korea.imo_company_number == "5000001"
    assert korea.entity_id == "eu-ojeu:32017R1509-XIV.A-n1"


def test_other_csv_files_are_left_alone() -> None:
    assert is_eu_ojeu(FIXTURE)
    assert "notes.csv" not in [p.name for p in ojeu_files(FIXTURE)]


@pytest.mark.parametrize(
    ("published", "primary", "others"),
    [
        ("Angara", "Angara", []),
        ("Chol Ryong (Ryong Gun Bong)", "Chol Ryong", [VesselName("Ryong Gun Bong", "aka")]),
        ("STORMBRINGER (ex KRITI VIGOR)", "STORMBRINGER", [VesselName("KRITI VIGOR", "fka")]),
        ("A (B) (ex-C)", "A", [VesselName("B", "aka"), VesselName("C", "fka")]),
        ("EXAMPLE (EXPRESS)", "EXAMPLE", [VesselName("EXPRESS", "aka")]),
        ("(ONLY BRACKETS)", "(ONLY BRACKETS)", []),
    ],
)
def test_bracketed_names(published: str, primary: str, others: list[VesselName]) -> None:
    assert split_bracketed_names(published) == (primary, others)


def test_missing_column_raises(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text(
        "celex,recordId,schema,name\n32014R0833,1,Vessel,ONE\n", encoding="utf-8"
    )
    with pytest.raises(ListLoadError, match="header lacks the columns programKey"):
        read_eu_ojeu(tmp_path)


def test_header_only_file_raises(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURE / "32014R0833.csv", tmp_path / "32014R0833.csv")
    (tmp_path / "32017R1509.csv").write_text(HEADER, encoding="utf-8")
    with pytest.raises(ListLoadError, match=r"32017R1509\.csv holds a header but no rows"):
        read_eu_ojeu(tmp_path)


def test_ragged_row_raises(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + "32014R0833,1,EU-RUS,XLII\n", encoding="utf-8")
    with pytest.raises(ListLoadError, match=r"a\.csv line 2: wrong number of cells"):
        read_eu_ojeu(tmp_path)


def test_duplicate_entry_raises(tmp_path: Path) -> None:
    row = "32014R0833,1,EU-RUS,XLII,Ban,1.1.2024,,Vessel,ONE,,,,9161003,,\n"
    (tmp_path / "a.csv").write_text(HEADER + row + row, encoding="utf-8")
    with pytest.raises(ListLoadError, match="'eu-ojeu:32014R0833-XLII-1' appears twice"):
        read_eu_ojeu(tmp_path)


def test_not_utf8_raises(tmp_path: Path) -> None:
    row = "32014R0833,1,EU-RUS,XLII,Ban,1.1.2024,,Vessel,CAF\xc9,,,,9161003,,\n"
    (tmp_path / "a.csv").write_bytes((HEADER + row).encode("cp1252"))
    with pytest.raises(ListLoadError, match="not UTF-8"):
        read_eu_ojeu(tmp_path)


def test_folder_without_annex_files_raises(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert not is_eu_ojeu(tmp_path)
    with pytest.raises(ListLoadError, match="no OJEU annex CSV"):
        read_eu_ojeu(tmp_path)
