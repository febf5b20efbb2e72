"""The UK Sanctions List CSV and OFSI's ConList.csv, on hand-written files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from service.loaders.common import SourceSet
from service.loaders.errors import ListLoadError
from service.loaders.uk import (
    is_uk_ofsi,
    is_uk_sanctions_list,
    read_uk_ofsi,
    read_uk_sanctions_list,
)
from service.model import Vessel, VesselName

FIXTURES = REPO_ROOT / "tests" / "fixtures"
UKSL = FIXTURES / "uk-sanctions-list"
OFSI = FIXTURES / "uk-ofsi"


@pytest.fixture(scope="module")
def uksl() -> SourceSet:
    return read_uk_sanctions_list(UKSL)


@pytest.fixture(scope="module")
def ofsi() -> SourceSet:
    return read_uk_ofsi(OFSI)


def _vessel(loaded: SourceSet, source_id: str) -> Vessel:
    (vessel,) = [v for v in loaded.vessels if v.source_id == source_id]
    return vessel


Table = tuple[list[str], list[list[str]]]


def _rewrite(
    source: Path, target: Path, change: Callable[[list[str], list[list[str]]], Table]
) -> None:
    """Copy a fixture's preamble and table, passing (header, rows) through `change`."""
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO("".join(lines[1:]))))
    header, body = change(rows[0], rows[1:])
    out = io.StringIO()
    out.write(lines[0])
    csv.writer(out).writerows([header, *body])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue(), encoding="utf-8")


# --- UK Sanctions List -------------------------------------------------------------------------


def test_uksl_ship_with_every_column(uksl: SourceSet) -> None:
    ship = _vessel(uksl, "RUS9001")
    assert ship.entity_id == "uk-sanctions-list:RUS9001"
    # One designation over three rows: the primary name, an alias, a primary-name variation.
    assert ship.names == (
        VesselName("SAMPLE SPIRIT", "primary"),
        VesselName("SPIRIT OF SAMPLE", "aka"),
    )
    assert ship.imo == "9000005"  # written "IMO9000005"
    assert ship.flags == ("CM",)
    assert ship.former_flags == ("PA", "LR")
    assert ship.vessel_type == "Crude Oil Tanker"
    assert ship.tonnage == 81000
    assert ship.build_year == 2003
    assert ship.owner == "EXAMPLE SHIPPING LLC"
    assert ship.source_record["previous_owners"] == ["OLD OWNER LTD", "OLDER OWNER LTD"]
    assert ship.source_record["ship"]["length"] == "228"
    assert ship.source_record["ship"]["hin"] is None  # "N/A"
    assert ship.programs == ("The Russia (Sanctions) (EU Exit) Regulations 2019",)
    assert ship.listed_on == "2025-05-09"
    assert ship.remarks == "Test entry.\nTest reason: part of a shadow fleet."


def test_uksl_placeholders_and_country_names_with_commas(uksl: SourceSet) -> None:
    ship = _vessel(uksl, "DPR9002")
    assert ship.owner is None  # "Unknown"
    assert ship.build_year is None
    # "Korea, Democratic People's Republic of" is one country, not two flags.
    assert ship.former_flags == ("KP", "SL")
    assert ship.listed_on == "2012-06-29"  # "29/06/2012 00:00:00"


def test_uksl_entities_and_no_individuals(uksl: SourceSet) -> None:
    (entity,) = uksl.entities
    assert entity.entity_id == "uk-sanctions-list:RUS9003"
    assert entity.name == "EXAMPLE SHIPPING LLC"
    assert entity.aliases == ("OOO EXAMPLE SHIPPING", "ООО ПРИМЕР")
    assert entity.imo_company_number == "1234567"
    assert {v.source_id for v in uksl.vessels} == {"RUS9001", "DPR9002"}


def test_uksl_version_is_the_report_date(uksl: SourceSet) -> None:
    assert uksl.version == "2026-05-14"
    assert uksl.published_at == "2026-05-14"
    assert set(uksl.sha256) == {"UK-Sanctions-List.csv"}


def test_uksl_columns_are_read_by_name(tmp_path: Path, uksl: SourceSet) -> None:
    def reverse(header: list[str], rows: list[list[str]]) -> Table:
        return header[::-1], [r[::-1] for r in rows]

    _rewrite(UKSL / "UK-Sanctions-List.csv", tmp_path / "uk_sanctions_list.csv", reverse)
    assert is_uk_sanctions_list(tmp_path)
    reordered = read_uk_sanctions_list(tmp_path)
    assert reordered.vessels == uksl.vessels
    assert reordered.entities == uksl.entities


def test_uksl_missing_column_raises(tmp_path: Path) -> None:
    def drop_regime(header: list[str], rows: list[list[str]]) -> Table:
        i = header.index("Regime Name")
        return header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]

    _rewrite(UKSL / "UK-Sanctions-List.csv", tmp_path / "UK-Sanctions-List.csv", drop_regime)
    with pytest.raises(ListLoadError, match="header lacks regime name"):
        read_uk_sanctions_list(tmp_path)


def test_uksl_without_header_raises(tmp_path: Path) -> None:
    (tmp_path / "UK-Sanctions-List.csv").write_text("Report Date: 1-Jan-2026\na,b\n1,2\n")
    with pytest.raises(ListLoadError, match="no header row with 'unique id'"):
        read_uk_sanctions_list(tmp_path)


def test_uksl_individuals_only_raises(tmp_path: Path) -> None:
    def people(header: list[str], rows: list[list[str]]) -> Table:
        i = header.index("Designation Type")
        return header, [r for r in rows if r[i] == "Individual"]

    _rewrite(UKSL / "UK-Sanctions-List.csv", tmp_path / "UK-Sanctions-List.csv", people)
    with pytest.raises(ListLoadError, match="1 designations but no ship or entity"):
        read_uk_sanctions_list(tmp_path)


# --- OFSI ConList.csv --------------------------------------------------------------------------


def test_ofsi_ship_details_from_other_information(ofsi: SourceSet) -> None:
    ship = _vessel(ofsi, "13651")
    assert ship.entity_id == "uk-ofsi:13651"
    assert ship.names == (
        VesselName("SAMPLE JONG 2", "primary"),
        VesselName("SAMPLE JONG NO. 2", "aka"),
        VesselName("OLD JONG", "fka"),
    )
    assert ship.imo == "9000007"
    # "Example Samjong Shipping (ESS)" before the label: a bracket without a colon is text.
    assert ship.owner == "Example Samjong Shipping"
    assert ship.flags == ("KP",)
    assert ship.former_flags == ("MN",)
    assert ship.vessel_type == "Oil tanker"
    assert ship.listed_on == "2018-03-30"
    assert ship.source_record["uk_sanctions_list_ref"] == "DPR9010"


def test_ofsi_entity_imo_in_free_text(ofsi: SourceSet) -> None:
    (entity,) = ofsi.entities
    assert entity.name == "EXAMPLE SAMJONG SHIPPING"
    assert entity.imo_company_number == "5000002"
    assert entity.programs == ("Democratic People's Republic of Korea",)


def test_ofsi_version_is_last_updated(ofsi: SourceSet) -> None:
    assert ofsi.version == "2026-05-14"


def test_ofsi_columns_win_over_other_information(tmp_path: Path) -> None:
    def add_columns(header: list[str], rows: list[list[str]]) -> Table:
        extra = ["IMO Number", "Flag of ship", "Previous names"]
        values = ["IMO 9161003", "Russia", "FORMER ONE|FORMER TWO"]
        ship = header.index("Group Type")
        return header + extra, [r + (values if r[ship] == "Ship" else [""] * 3) for r in rows]

    _rewrite(OFSI / "ConList.csv", tmp_path / "conlist.csv", add_columns)
    assert is_uk_ofsi(tmp_path)
    ship = read_uk_ofsi(tmp_path).vessels[0]
    assert ship.imo == "9161003"
    assert ship.flags == ("RU",)
    assert ship.former_names == ("OLD JONG", "FORMER ONE", "FORMER TWO")
    assert ship.vessel_type == "Oil tanker"  # still from Other Information


def test_ofsi_row_without_group_id_raises(tmp_path: Path) -> None:
    def blank(header: list[str], rows: list[list[str]]) -> Table:
        i = header.index("Group ID")
        rows[1][i] = ""
        return header, rows

    _rewrite(OFSI / "ConList.csv", tmp_path / "ConList.csv", blank)
    with pytest.raises(ListLoadError, match=r"ConList\.csv line 4: no group id"):
        read_uk_ofsi(tmp_path)


def test_windows_1252_file_loads(tmp_path: Path) -> None:
    text = (OFSI / "ConList.csv").read_text(encoding="utf-8-sig").replace("OLD JONG", "OLD JÖNG")
    (tmp_path / "ConList.csv").write_bytes(text.encode("cp1252"))
    assert "OLD JÖNG" in read_uk_ofsi(tmp_path).vessels[0].former_names


def test_ofsi_span_with_text_after_the_imo_number(tmp_path: Path) -> None:
    def wordy(header: list[str], rows: list[list[str]]) -> Table:
        i = header.index("Other Information")
        for row in rows:
            row[i] = row[i].replace("(IMO number):9000007", "(IMO number):9000007 as reported")
        return header, rows

    _rewrite(OFSI / "ConList.csv", tmp_path / "ConList.csv", wordy)
    assert read_uk_ofsi(tmp_path).vessels[0].imo == "9000007"


def test_uksl_previous_name_type_is_a_former_name(tmp_path: Path) -> None:
    def previous(header: list[str], rows: list[list[str]]) -> Table:
        i = header.index("Name type")
        for row in rows:
            row[i] = "Previous Name" if row[i] == "Alias" else row[i]
        return header, rows

    _rewrite(UKSL / "UK-Sanctions-List.csv", tmp_path / "UK-Sanctions-List.csv", previous)
    ship = _vessel(read_uk_sanctions_list(tmp_path), "RUS9001")
    assert ship.former_names == ("SPIRIT OF SAMPLE",)
