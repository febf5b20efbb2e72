"""The OFAC classic CSV loader, on the real published files and on small hand-made sets."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import BUNDLED_LISTS, shared_path

from service.loaders.errors import ListLoadError
from service.loaders.ofac_csv import FILE_NAMES, load_ofac_csv, ofac_csv_version, read_ofac_csv
from service.loaders.ofac_remarks import parse_remarks, split_programs
from service.model import Vessel, VesselName

Cells = Sequence[str | None]


def _by_name(vessels: list[Vessel], name: str) -> Vessel:
    found = [v for v in vessels if v.name == name]
    assert len(found) == 1, f"{len(found)} vessels named {name}"
    return found[0]


@pytest.fixture(scope="module")
def real(ofac_dir: Path) -> list[Vessel]:
    return load_ofac_csv(ofac_dir)


# --- the real files -------------------------------------------------------------------------


def test_real_set_has_every_vessel_and_only_vessels(real: list[Vessel]) -> None:
    assert len(real) == 851
    assert all(v.source_record["SDN_Type"] == "vessel" for v in real)
    assert len({v.entity_id for v in real}) == 851


def test_lady_r(real: list[Vessel]) -> None:
    lady_r = _by_name(real, "LADY R")
    assert lady_r.imo == "9161003"
    assert lady_r.owner == "TRANSMORFLOT LLC"
    assert lady_r.flags == ("RU",)
    assert lady_r.programs == ("RUSSIA-EO14024",)
    assert lady_r.vessel_type == "Roll-on Roll-off"
    assert lady_r.gross_registered_tonnage == 7260
    assert lady_r.entity_id == f"us-ofac-sdn:{lady_r.source_id}"
    assert lady_r.list_id == "us-ofac-sdn"
    assert lady_r.listed_on is None


def test_former_name_from_alt_csv(real: list[Vessel]) -> None:
    maia = _by_name(real, "MAIA-1")
    assert maia.imo == "9358010"
    assert maia.former_names == ("NEPTUN",)
    assert VesselName("NEPTUN", "fka") in maia.names
    assert maia.source_record["alt_names"][0]["alt_name"] == "NEPTUN"


def test_artavil_mmsi_former_flags_and_names(real: list[Vessel]) -> None:
    artavil = _by_name(real, "ARTAVIL")
    assert artavil.mmsi == "572469210"
    assert {"MT", "TV", "TZ"} <= set(artavil.former_flags)
    assert all(len(code) == 2 for code in artavil.former_flags)
    assert "ALPHA" in artavil.former_names
    assert artavil.source_record["unrecognized_flags"] == []
    assert artavil.tonnage == 99144
    assert artavil.gross_registered_tonnage == 56068


def test_maria_year_of_build_and_call_sign(real: list[Vessel]) -> None:
    maria = next(v for v in real if v.imo == "8517839")
    assert maria.name == "MARIA"
    assert maria.call_sign == "UBRH7"
    assert maria.build_year == 1986
    assert maria.owner == "IBEX SHIPPING INC"


def test_aliases_keep_their_kind(real: list[Vessel]) -> None:
    maria_e = next(v for v in real if v.imo == "9617923")
    assert VesselName("MARIA", "aka") in maria_e.names
    assert maria_e.aliases == ("MARIA",)
    assert maria_e.former_names == ()
    kinds = {n.kind for v in real for n in v.names}
    assert kinds == {"primary", "aka", "fka"}
    assert all(v.names[0] == VesselName(v.name, "primary") for v in real)


def test_several_programs_and_owners(real: list[Vessel]) -> None:
    happiness = _by_name(real, "HAPPINESS I")
    assert happiness.programs == ("IRAN", "SDGT")
    assert happiness.owner == "NATIONAL IRANIAN TANKER COMPANY"
    assert happiness.source_record["linked_to"] == [
        "NATIONAL IRANIAN TANKER COMPANY",
        "HOKOUL SAL OFFSHORE",
    ]


def test_other_flags_and_registration_forms(real: list[Vessel]) -> None:
    progres = _by_name(real, "PROGRES")
    assert progres.flags == ("MT", "TZ", "TT")
    assert progres.source_record["other_call_signs"] == ["5IM713"]
    # A national registration number is not an IMO number.
    bonu = _by_name(real, "BONU 5")
    assert bonu.imo is None
    assert bonu.source_record["registration_ids"] == ["15411 (Malta)"]
    # OFAC sometimes writes the IMO number without its prefix.
    assert _by_name(real, "RYONG GUN BONG").imo == "8606173"
    assert _by_name(real, "NS LEADER").imo == "9339301"


def test_no_placeholder_flag_becomes_a_flag(real: list[Vessel]) -> None:
    for vessel in real:
        for code in (*vessel.flags, *vessel.former_flags):
            assert len(code) == 2 and code.isupper(), (vessel.name, code)


def test_old_set_loads() -> None:
    vessels = load_ofac_csv(shared_path("ofac", "2021-07"))
    assert len(vessels) == 406


def test_real_version_is_hash_of_the_files_in_order(ofac_dir: Path) -> None:
    loaded = read_ofac_csv(ofac_dir)
    concatenated = b"".join((ofac_dir / name).read_bytes() for name in FILE_NAMES)
    assert loaded.version == hashlib.sha256(concatenated).hexdigest()[:12]
    assert ofac_csv_version(ofac_dir) == loaded.version
    assert set(loaded.sha256) == set(FILE_NAMES)


def test_real_files_end_in_ctrl_z(ofac_dir: Path) -> None:
    # The loader's handling of this byte is only proven if the real files carry it.
    assert (ofac_dir / "sdn.csv").read_bytes().endswith(b"\r\n\x1a")


# --- the bundled sample -----------------------------------------------------------------------


def test_bundled_sample_is_in_the_published_layout() -> None:
    folder = BUNDLED_LISTS / "ofac-sample"
    for name in FILE_NAMES:
        raw = (folder / name).read_bytes()
        assert raw.endswith(b"\x1a"), name
        text = raw[:-1].decode("cp1252")
        assert "\n" not in text.replace("\r\n", ""), name
    vessels = load_ofac_csv(folder, "us-ofac-sdn-sample")
    assert {"ANGARA", "LADY R", "MAIA-1", "MARIA", "MARIA E", "LADY RANIA"} <= {
        v.name for v in vessels
    }
    assert _by_name(vessels, "MAIA-1").former_names == ("NEPTUN",)
    assert _by_name(vessels, "LADY RANIA").mmsi == "273382620"
    assert _by_name(vessels, "MARIA").build_year == 1986
    assert "TRANSMORFLOT LLC" not in {v.name for v in vessels}


# --- small sets written here ------------------------------------------------------------------


def _csv_line(cells: Cells) -> str:
    out = []
    for i, cell in enumerate(cells):
        if cell is None:
            out.append("-0- ")
        elif i == 0:
            out.append(cell)
        else:
            out.append('"' + cell.replace('"', '""') + '"')
    return ",".join(out) + "\r\n"


def _write(path: Path, rows: list[Cells], *, ctrl_z: bool = True) -> None:
    text = "".join(_csv_line(r) for r in rows)
    path.write_bytes(text.encode("cp1252") + (b"\x1a" if ctrl_z else b""))


def _sdn(ent: str, name: str, remarks: str | None = None, kind: str | None = "vessel") -> Cells:
    return [
        ent,
        name,
        kind,
        "RUSSIA-EO14024",
        None,
        None,
        "General Cargo",
        None,
        "1,234",
        "Russia",
        None,
        remarks,
    ]


def test_cp1252_and_ctrl_z(tmp_path: Path) -> None:
    _write(
        tmp_path / "sdn.csv",
        [
            _sdn(
                "1",
                "CAFÉ – STAR",
                "Vessel Registration Identification IMO 9161003; "
                "Linked To: SOCIÉTÉ GÉNÉRALE D’ARMEMENT.",
            ),
            _sdn("2", "SOCIÉTÉ GÉNÉRALE D’ARMEMENT", kind=None),
        ],
    )
    _write(tmp_path / "alt.csv", [["1", "10", "fka", "ÅLAND", None]])
    vessels = load_ofac_csv(tmp_path, "t")
    assert len(vessels) == 1
    (vessel,) = vessels
    assert vessel.name == "CAFÉ – STAR"
    assert vessel.owner == "SOCIÉTÉ GÉNÉRALE D’ARMEMENT"
    assert vessel.former_names == ("ÅLAND",)
    assert vessel.entity_id == "t:1"
    assert vessel.gross_registered_tonnage == 1234
    assert vessel.source_record["Title"] is None


def test_upper_case_file_names_from_the_download_service(tmp_path: Path) -> None:
    _write(tmp_path / "SDN.CSV", [_sdn("1", "ONE")])
    _write(tmp_path / "ALT.CSV", [["1", "10", "fka", "UNO", None]])
    loaded = read_ofac_csv(tmp_path)
    assert [v.former_names for v in loaded.vessels] == [("UNO",)]
    assert set(loaded.sha256) == {"sdn.csv", "alt.csv"}


def test_file_without_ctrl_z_loads_too(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", [_sdn("1", "ONE")], ctrl_z=False)
    assert [v.name for v in load_ofac_csv(tmp_path)] == ["ONE"]


def test_remarks_continued_in_sdn_comments_are_appended(tmp_path: Path) -> None:
    _write(
        tmp_path / "sdn.csv",
        [
            _sdn("7", "LONG ONE", "Vessel Registration Identification IMO 9161003; f.k.a. 'OLD NA"),
        ],
    )
    _write(tmp_path / "sdn_comments.csv", [["7", "ME'; MMSI 273382620; Linked To: OWNER LLC."]])
    (vessel,) = load_ofac_csv(tmp_path)
    assert vessel.remarks == (
        "Vessel Registration Identification IMO 9161003; f.k.a. 'OLD NAME'; MMSI 273382620; "
        "Linked To: OWNER LLC."
    )
    assert vessel.former_names == ("OLD NAME",)
    assert vessel.mmsi == "273382620"
    assert vessel.owner == "OWNER LLC"
    assert vessel.source_record["Remarks"].endswith("'OLD NA")


def test_continuation_the_remarks_already_end_with_is_not_repeated(tmp_path: Path) -> None:
    # Seen in the published files: sdn_comments.csv older than sdn.csv repeats a tail that fits.
    _write(tmp_path / "sdn.csv", [_sdn("7", "ONE", "Linked To: OWNER LLC.")])
    _write(tmp_path / "sdn_comments.csv", [["7", "OWNER LLC."]])
    (vessel,) = load_ofac_csv(tmp_path)
    assert vessel.remarks == "Linked To: OWNER LLC."


def test_orphan_rows_are_ignored(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", [_sdn("1", "ONE")])
    _write(tmp_path / "alt.csv", [["1", "10", "aka", "UNO", None], ["99", "11", "aka", "X", None]])
    _write(tmp_path / "add.csv", [["99", "20", None, "Riga", "Latvia", None]])
    (vessel,) = load_ofac_csv(tmp_path)
    assert vessel.all_names == ("ONE", "UNO")
    assert vessel.source_record["addresses"] == []


def test_wrong_column_count_raises(tmp_path: Path) -> None:
    good = _sdn("1", "ONE")
    _write(tmp_path / "sdn.csv", [good, list(good[:11])])
    with pytest.raises(ListLoadError, match=r"sdn\.csv line 2: 11 columns, expected 12"):
        load_ofac_csv(tmp_path)


def test_wrong_column_count_in_alt_raises(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", [_sdn("1", "ONE")])
    _write(tmp_path / "alt.csv", [["1", "10", "aka", "UNO"]])
    with pytest.raises(ListLoadError, match=r"alt\.csv line 1"):
        load_ofac_csv(tmp_path)


def test_empty_file_raises(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(b"\x1a")
    with pytest.raises(ListLoadError, match="no rows"):
        load_ofac_csv(tmp_path)


def test_zero_vessels_raises(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", [_sdn("1", "SOME LLC", kind=None)])
    with pytest.raises(ListLoadError, match="no vessel"):
        load_ofac_csv(tmp_path)


def test_missing_sdn_csv_raises(tmp_path: Path) -> None:
    _write(tmp_path / "alt.csv", [["1", "10", "aka", "UNO", None]])
    with pytest.raises(ListLoadError, match=r"no sdn\.csv"):
        load_ofac_csv(tmp_path)


def test_not_cp1252_raises(tmp_path: Path) -> None:
    # 0x81 is one of the five bytes Windows-1252 leaves undefined.
    (tmp_path / "sdn.csv").write_bytes(_csv_line(_sdn("1", "ONE")).encode() + b"\x81\r\n")
    with pytest.raises(ListLoadError, match="not Windows-1252"):
        load_ofac_csv(tmp_path)


def test_unreadable_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "sdn.csv", [_sdn("1", "ONE")])

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # chmod cannot make a file unreadable to root, which CI containers often run as.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ListLoadError, match=r"cannot read .*sdn\.csv: Permission denied"):
        load_ofac_csv(tmp_path)


def test_parse_remarks_forms() -> None:
    parsed = parse_remarks(
        "Former Vessel Flag Malta; alt. Former Vessel Flag None Identified; "
        "Other Vessel Flag Tanzania; Other Vessel Type Passenger; Vessel Year of Build 1986; "
        "Identification Number IMO 9339301; MMSI 636013272; n.k.a. 'NEW'; a.k.a. 'O''NEIL'; "
        "Vessel Registration Identification RS 150443 (Russia); Listing Date: 12 Dec 2023; "
        "Linked To: A, S.A. DE C.V.; Linked To: B INC."
    )
    assert parsed.former_flags == ("Malta", "None Identified")
    assert parsed.other_flags == ("Tanzania",)
    assert parsed.other_vessel_types == ("Passenger",)
    assert parsed.build_year == 1986
    assert parsed.imos == ("9339301",)
    assert parsed.mmsis == ("636013272",)
    assert parsed.names == (VesselName("NEW", "nka"), VesselName("O''NEIL", "aka"))
    assert parsed.registration_ids == ("RS 150443 (Russia)",)
    assert parsed.listed_on == "2023-12-12"
    assert parsed.linked_to == ("A, S.A. DE C.V.", "B INC")
    assert parsed.other == ()


def test_split_programs() -> None:
    assert split_programs("IRAN] [NPWMD] [IFSR") == ("IRAN", "NPWMD", "IFSR")
    assert split_programs("CAATSA - RUSSIA] [PEESA-EO14039") == ("CAATSA - RUSSIA", "PEESA-EO14039")
    assert split_programs(None) == ()


# --- entities (ship owners) -------------------------------------------------------------------


def test_real_owner_entity_with_imo_company_number(ofac_dir: Path) -> None:
    loaded = read_ofac_csv(ofac_dir)
    owner = next(e for e in loaded.entities if e.name == "TRANSMORFLOT LLC")
    assert owner.entity_id == "us-ofac-sdn:37049"
    assert owner.imo_company_number == "6016988"
    assert "MG-FLOT LLC" in owner.aliases
    assert "TRANSMORFLOT LLC" not in owner.aliases
    assert owner.programs == ("RUSSIA-EO14024",)
    # Every entity row (SDN_Type empty) and nothing else: no individual, vessel or aircraft.
    assert all(e.source_record["SDN_Type"] is None for e in loaded.entities)
    assert len(loaded.entities) == 6884
    assert {e.entity_id for e in loaded.entities}.isdisjoint(v.entity_id for v in loaded.vessels)


def test_entity_rows_become_entities_and_individuals_do_not(tmp_path: Path) -> None:
    _write(
        tmp_path / "sdn.csv",
        [
            _sdn("1", "ONE", "Linked To: OWNER LLC."),
            _sdn("2", "OWNER LLC", "Identification Number IMO 6016988; a.k.a. 'OWNER'; L", None),
            _sdn("3", "DOE, John", kind="individual"),
            _sdn("4", "EXAMPLE AIR", kind="aircraft"),
        ],
    )
    _write(tmp_path / "alt.csv", [["2", "20", "fka", "OLD OWNER LLC", None]])
    # OFAC cuts long remarks mid-word and carries on in sdn_comments.csv.
    _write(tmp_path / "sdn_comments.csv", [["2", "isting Date: 12 Dec 2023."]])
    loaded = read_ofac_csv(tmp_path, "t")
    assert [v.name for v in loaded.vessels] == ["ONE"]
    (owner,) = loaded.entities
    assert owner.entity_id == "t:2"
    assert owner.imo_company_number == "6016988"
    assert owner.aliases == ("OWNER", "OLD OWNER LLC")
    assert owner.listed_on == "2023-12-12"
    assert owner.kind == "entity"
