"""The project's own watchlist layout, on the example in lists/README.md and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from service.loaders.errors import ListLoadError
from service.loaders.watchlist import COLUMNS, is_watchlist, read_watchlist
from service.model import VesselName

EXAMPLE = REPO_ROOT / "tests" / "fixtures" / "watchlist"
HEADER = ",".join(COLUMNS)


def _write(folder: Path, text: str) -> Path:
    (folder / "watchlist.csv").write_text(text, encoding="utf-8")
    return folder


def _row(**cells: str) -> str:
    return ",".join(cells.get(c, "") for c in COLUMNS)


def test_example_loads() -> None:
    assert is_watchlist(EXAMPLE)
    loaded = read_watchlist(EXAMPLE)
    trader, nine = loaded.vessels
    assert trader.entity_id == "watchlist:WL-001"
    assert trader.names == (
        VesselName("SAMPLE TRADER", "primary"),
        VesselName("SAMPLE TRADER I", "aka"),
        VesselName("TRADER", "aka"),
        VesselName("OLD TRADER", "fka"),
    )
    assert trader.imo == "9000010"  # "IMO 9000010"
    assert trader.mmsi == "273000001"
    assert trader.call_sign == "UBAA1"
    assert trader.flags == ("RU",)
    assert trader.former_flags == ("MT", "PA")  # a name and an alpha-3 code
    assert trader.vessel_type == "General Cargo"
    assert trader.owner == "EXAMPLE LINES LLC"
    assert trader.manager == "EXAMPLE SHIP MANAGEMENT"
    assert trader.programs == ("IN-HOUSE", "DPRK-RUSSIA")
    assert trader.listed_on == "2024-03-01"
    assert trader.remarks == "Seen loading at Rajin, per press reports"
    assert nine.imo is None and nine.flags == ()
    (owner,) = loaded.entities
    assert owner.kind == "company"
    assert owner.imo_company_number == "6000001"
    assert owner.aliases == ("EXAMPLE LINES",)
    assert len(loaded.version) == 12


def test_only_id_and_name_are_required(tmp_path: Path) -> None:
    (vessel,) = read_watchlist(_write(tmp_path, "name,id\nONE,1\n"), "mine").vessels
    assert vessel.entity_id == "mine:1"
    assert vessel.name == "ONE"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name,nmae\n1,A,B\n", r"unknown columns \['nmae'\]"),
        ("id,aliases\n1,A\n", "header lacks name"),
        ("id,name,name\n1,A,B\n", "appears twice in the header"),
        (f"{HEADER}\n{_row(id='1', name='A')}\n{_row(id='1', name='B')}\n", "line 3: id '1'"),
        (f"{HEADER}\n{_row(id='a b', name='A')}\n", "id 'a b' must be"),
        (f"{HEADER}\n{_row(id='1')}\n", "line 2: no name"),
        (f"{HEADER}\n{_row(id='1', name='A', imo='916100')}\n", "imo '916100' is not seven"),
        (f"{HEADER}\n{_row(id='1', name='A', mmsi='27300')}\n", "mmsi '27300' is not nine"),
        (f"{HEADER}\n{_row(id='1', name='A', flag='Atlantis')}\n", "flag 'Atlantis' is not"),
        (f"{HEADER}\n{_row(id='1', name='A', former_flags='RU;XX')}\n", "former_flags 'XX'"),
        (f"{HEADER}\n{_row(id='1', name='A', listed_on='01/03/2024')}\n", "not YYYY-MM-DD"),
        ("id,name,kind\n1,A,ship\n", "kind 'ship' is not vessel"),
        ("id,name,kind,mmsi\n1,A,company,273000001\n", "company row cannot fill mmsi"),
        ("id,name\n1,A,extra\n", "line 2: 2 cells expected"),
        ("id,name\n", "holds no row"),
    ],
)
def test_mistakes_stop_the_load(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ListLoadError, match=message):
        read_watchlist(_write(tmp_path, text))


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    loaded = read_watchlist(_write(tmp_path, "id,name\n1,A\n,\n\n2,B\n"))
    assert [v.name for v in loaded.vessels] == ["A", "B"]


def test_missing_file_raises(tmp_path: Path) -> None:
    assert not is_watchlist(tmp_path)
    with pytest.raises(ListLoadError, match=r"has no watchlist\.csv"):
        read_watchlist(tmp_path)
