"""A list version stored as records comes back the same; a diff says what changed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import shared_path

from service.loaders.registry import load_lists
from service.model import Vessel, VesselName
from service.versions import diff, from_record, to_record

REPO = Path(__file__).resolve().parent.parent


def _v(n: int, name: str, **kw: object) -> Vessel:
    return Vessel(entity_id=f"t:{n}", list_id="t", source_id=str(n), name=name, **kw)  # type: ignore[arg-type]


def test_every_bundled_vessel_survives_a_round_trip_through_json() -> None:
    for lst in load_lists(REPO / "lists"):
        for v in lst.vessels:
            assert from_record(json.loads(json.dumps(to_record(v)))) == v


def test_diff_finds_added_removed_and_changed() -> None:
    before = [_v(1, "A", imo="9161003"), _v(2, "B"), _v(3, "C", flags=("RU",))]
    after = [
        _v(1, "A", imo="9161003"),
        _v(3, "C", flags=("PA",), names=(VesselName("OLD C", "fka"),)),
        _v(4, "D"),
    ]
    d = diff(before, after)
    assert [v.entity_id for v in d.added] == ["t:4"]
    assert [v.entity_id for v in d.removed] == ["t:2"]
    assert [c.entity_id for c in d.changed] == ["t:3"]
    assert d.changed[0].fields["flags"] == (["RU"], ["PA"])
    assert set(d.changed[0].fields) == {"flags", "names"}
    assert {v.entity_id for v in d.touched} == {"t:3", "t:4"}


def test_diff_of_two_real_ofac_publications() -> None:
    old = load_lists(shared_path("ofac", "2021-07"))[0].vessels
    new = load_lists(shared_path("ofac"))[0].vessels
    d = diff(old, new)
    # 406 vessels in 2021, 851 in 2024: growth is additions net of removals.
    assert len(d.added) - len(d.removed) == 851 - 406
    ebano = next(c for c in d.changed if c.name == "EBANO")
    assert ebano.fields["imo"] == (None, "7406784")
    assert diff(new, new).changed == ()
