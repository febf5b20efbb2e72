"""The packed storage reads back exactly what was put in, pickles its arrays out of band, and
the index built on it answers as the objects it replaced would."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from service import snapshot
from service.index import build_index
from service.loaders.registry import load_lists
from service.model import Vessel, VesselName
from service.packed import KeyMap, KeyNumbers, Ragged, Records, Strings, key_hash

SAMPLE = Path(__file__).resolve().parent.parent / "lists"


def test_strings_read_back_any_text() -> None:
    texts = ["", "LADY R", "ЛЕДИ Р", "海星", "a\udcff", "x" * 5000]
    packed = Strings.build(texts)
    assert list(packed) == texts
    assert [packed[i] for i in range(-len(texts), 0)] == texts
    assert packed[1:3] == texts[1:3]
    assert packed.take([5, 0, 2]) == [texts[5], texts[0], texts[2]]
    many = [5, 0, 2, 1, 1, 3, 4, 0, 5, 2]  # enough to be gathered at once
    assert packed.take(many) == [texts[i] for i in many]
    with_nul = Strings.build(["A\0B", "C", *texts])
    assert with_nul.nul and with_nul.take(many) == [with_nul[i] for i in many]
    with pytest.raises(IndexError):
        packed[len(texts)]


def test_records_read_back_equal_values_and_share_a_part() -> None:
    vessels = [
        Vessel(f"x:{i}", "x", str(i), f"SHIP {i}", (VesselName(f"OLD {i}", "fka"),), imo=None)
        for i in range(10)
    ]
    packed = Records.pack(vessels)
    assert list(packed) == vessels
    assert packed[-1] == vessels[-1]
    part = packed.part(3, 7)
    assert list(part) == vessels[3:7]
    assert part.data is packed.data


@dataclass(frozen=True, slots=True)
class _Upper:
    """A dataclass whose __init__ changes what it is given: made again by setting its slots."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.text.upper())


@dataclass(frozen=True, slots=True, eq=False)
class _ByIdentity:
    text: str


@dataclass(frozen=True, slots=True)
class _Holder:
    items: tuple[object, ...]
    values: list[float] = field(default_factory=list)


def test_records_read_back_dataclasses_however_they_are_made() -> None:
    """Plain dataclasses come back through their own __init__, any other as their slots held
    them: an __init__ that would change a value, identity equality, a NaN, nested values."""
    upper = object.__new__(_Upper)
    object.__setattr__(upper, "text", "lower case kept")
    by_identity = _ByIdentity("same text")
    values = [
        _Holder((VesselName("A", "aka"), upper, by_identity), [float("nan"), 1.5]),
        _Holder((), []),
    ]
    back = list(Records.pack(values))
    assert back[0].items[0] == VesselName("A", "aka")
    assert type(back[0].items[1]) is _Upper and back[0].items[1].text == "lower case kept"
    assert type(back[0].items[2]) is _ByIdentity and back[0].items[2].text == "same text"
    assert back[0].values[0] != back[0].values[0] and back[0].values[1] == 1.5
    assert back[1] == _Holder((), [])


def test_ragged_rows() -> None:
    rows = [(1, 2), (), (7,), (3, 4, 5)]
    packed = Ragged.build(rows)
    assert list(packed) == rows
    assert packed[1] == ()


def test_key_maps_read_like_dicts() -> None:
    mapping = {"9123456": (1, 5), "LADYR": (2,), "": (3,), "ЛЕДИ": (4, 4)}
    packed = KeyMap.build(mapping)
    assert dict(packed.items()) == mapping
    assert packed.get("absent", ()) == ()
    assert "LADYR" in packed and "LADY" not in packed and 7 not in packed
    with pytest.raises(KeyError):
        packed["absent"]
    numbers = KeyNumbers.build({"a": 1, "b": 0})
    assert numbers["a"] == 1 and numbers.get("c") is None and set(numbers) == {"a", "b"}
    assert key_hash("LADYR") == key_hash("LADYR") != key_hash("LADYS")


def test_arrays_pickle_out_of_band() -> None:
    packed = Strings.build(["ONE", "TWO"])
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(packed, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 2  # the text and the offsets, not inside the pickle
    again = pickle.loads(data, buffers=buffers)
    assert list(again) == ["ONE", "TWO"]


def test_a_mapped_snapshot_index_answers_as_the_built_one(tmp_path: Path) -> None:
    loaded = load_lists(SAMPLE)
    index = build_index(loaded)
    assert snapshot.save(tmp_path, "k", list(index.loaded), index)
    mapped = snapshot.mapped(tmp_path, "k", index.lists)
    assert mapped is not None
    assert mapped.lists == index.lists
    assert list(mapped.vessels) == list(index.vessels)
    assert list(mapped.names) == list(index.names)
    assert list(mapped.names_of_vessel) == list(index.names_of_vessel)
    assert dict(mapped.by_imo.items()) == dict(index.by_imo.items())
    assert list(mapped.party_names) == list(index.party_names)
    assert isinstance(mapped.name_index.keyed, np.ndarray)
    assert not mapped.name_index.keyed.flags.writeable  # read from the file, not copied
    assert [list(lst.vessels) for lst in mapped.loaded] == [list(lst.vessels) for lst in loaded]
    for key in ("LADY R", "MARIA", "OCEAN"):
        assert mapped.name_index.within(key, 0.8) == index.name_index.within(key, 0.8)


def test_an_index_built_apart_is_the_one_built_here(tmp_path: Path) -> None:
    loaded = load_lists(SAMPLE)
    index = build_index(loaded)
    assert snapshot.build_apart(tmp_path, "apart", loaded)
    apart = snapshot.mapped(tmp_path, "apart", [lst.info for lst in loaded])
    assert apart is not None
    assert apart.lists == index.lists
    assert list(apart.vessels) == list(index.vessels)
    assert list(apart.entities) == list(index.entities)
    assert apart.name_index.within("LADY R", 0.8) == index.name_index.within("LADY R", 0.8)


def test_screening_reads_vessels_without_their_source_records(tmp_path: Path) -> None:
    loaded = load_lists(SAMPLE)
    parsed = [v for lst in loaded for v in lst.vessels]
    assert any(v.source_record for v in parsed)
    index = build_index(loaded)
    assert snapshot.save(tmp_path, "k", list(index.loaded), index)
    mapped = snapshot.mapped(tmp_path, "k", index.lists)
    assert mapped is not None
    for built in (index, mapped):
        assert all(v.source_record == {} for v in built.vessels)
        assert list(built.vessels) == parsed  # every field a screening reads
        # Whole where the record is shown or stored: a vessel's look-up, the lists as loaded.
        assert [v.source_record for v in built.listed] == [v.source_record for v in parsed]
        first = parsed[0]
        found = built.vessel(first.entity_id)
        assert found is not None and found.source_record == first.source_record
        again = [v.source_record for lst in built.loaded for v in lst.vessels]
        assert again == [v.source_record for v in parsed]
