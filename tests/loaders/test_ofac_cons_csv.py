"""OFAC's consolidated non-SDN CSV set (cons_prim.csv, cons_alt.csv, cons_add.csv,
cons_comments.csv): the real files and small sets written here."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import shared_path

from service.loaders.errors import ListLoadError
from service.loaders.ofac_cons_csv import CONS_FILE_NAMES, is_ofac_cons_csv, read_ofac_cons_csv
from service.loaders.ofac_csv import is_ofac_csv

Cells = Sequence[str | None]


def _write(path: Path, rows: list[Cells]) -> None:
    lines = []
    for cells in rows:
        out = [c if i == 0 or c is None else '"' + c + '"' for i, c in enumerate(cells)]
        lines.append(",".join("-0- " if c is None else c for c in out) + "\r\n")
    path.write_bytes("".join(lines).encode("cp1252") + b"\x1a")


def _prim(ent: str, name: str, kind: str | None, remarks: str | None = None) -> Cells:
    vessel = kind == "vessel"
    return [
        ent,
        name,
        kind,
        "NS-MBS",
        None,
        "UBRH7" if vessel else None,
        "Cargo" if vessel else None,
        None,
        None,
        "Russia" if vessel else None,
        None,
        remarks,
    ]


def test_real_set_has_entities_and_no_vessel() -> None:
    folder = shared_path("ofac", "nonsdn")
    loaded = read_ofac_cons_csv(folder)
    assert loaded.vessels == ()
    assert len(loaded.entities) == 363
    assert all(e.entity_id.startswith("us-ofac-cons:") for e in loaded.entities)
    concatenated = b"".join((folder / name).read_bytes() for name in CONS_FILE_NAMES)
    assert loaded.version == hashlib.sha256(concatenated).hexdigest()[:12]
    assert set(loaded.sha256) == set(CONS_FILE_NAMES)
    # Remarks continue in cons_comments.csv, as in the SDN set.
    assert any(e.remarks and "SBERBANK INDIA" in e.remarks for e in loaded.entities)


def test_detection_is_by_cons_prim(tmp_path: Path) -> None:
    _write(tmp_path / "CONS_PRIM.CSV", [_prim("1", "ONE LLC", None)])
    assert is_ofac_cons_csv(tmp_path)
    assert not is_ofac_csv(tmp_path)


def test_vessels_entities_aliases_and_comments(tmp_path: Path) -> None:
    _write(
        tmp_path / "cons_prim.csv",
        [
            _prim("1", "SAMPLE", "vessel", "Vessel Registration Identification IMO 9161003; Li"),
            _prim("2", "OWNER LLC", None, "Identification Number IMO 6016988."),
            _prim("3", "DOE, Jane", "individual"),
        ],
    )
    _write(tmp_path / "cons_comments.csv", [["1", "nked To: OWNER LLC."]])
    _write(tmp_path / "cons_alt.csv", [["1", "10", "fka", "OLD SAMPLE", None]])
    loaded = read_ofac_cons_csv(tmp_path, "c")
    (vessel,) = loaded.vessels
    assert vessel.entity_id == "c:1"
    assert vessel.imo == "9161003"
    assert vessel.owner == "OWNER LLC"
    assert vessel.former_names == ("OLD SAMPLE",)
    assert vessel.call_sign == "UBRH7"
    (owner,) = loaded.entities
    assert owner.imo_company_number == "6016988"


def test_only_individuals_raises(tmp_path: Path) -> None:
    _write(tmp_path / "cons_prim.csv", [_prim("3", "DOE, Jane", "individual")])
    with pytest.raises(ListLoadError, match="no vessel or entity"):
        read_ofac_cons_csv(tmp_path)


def test_wrong_column_count_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "cons_prim.csv", [_prim("1", "ONE LLC", None)[:11]])
    with pytest.raises(ListLoadError, match=r"cons_prim\.csv line 1: 11 columns"):
        read_ofac_cons_csv(tmp_path)


def test_missing_cons_prim_raises(tmp_path: Path) -> None:
    _write(tmp_path / "cons_alt.csv", [["1", "10", "aka", "X", None]])
    with pytest.raises(ListLoadError, match=r"has no cons_prim\.csv"):
        read_ofac_cons_csv(tmp_path)
