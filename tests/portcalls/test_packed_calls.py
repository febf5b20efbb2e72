"""The port-call index held in arrays answers exactly as a track of objects per vessel does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from service.portcalls.calls import PortCall, PortCallIndex
from service.portcalls.packed_calls import PackedCalls, packable

START = datetime(2024, 1, 1, tzinfo=UTC)
IMOS = ["9161003", "9358010", "9179842", "0000019"]
MMSIS = ["273000001", "273000002", "004401234", "636000009"]


def _call(
    imo: str | None,
    mmsi: str | None,
    day: float,
    *,
    locode: str = "KPRJN",
    source: str = "press",
    note: str | None = None,
    confidence: float | None = None,
    departed: float | None = None,
) -> PortCall:
    return PortCall(
        imo=imo,
        mmsi=mmsi,
        locode=locode,
        port_name=f"port {locode}",
        country=locode[:2],
        arrived_at=START + timedelta(days=day),
        departed_at=None if departed is None else START + timedelta(days=departed),
        source=source,
        note=note,
        confidence=confidence,
    )


def _random_calls(count: int, seed: int) -> list[PortCall]:
    """Calls over a few vessels, with repeats, ties in arrival, IMO and MMSI alone and both."""
    rng = random.Random(seed)
    calls = []
    for _ in range(count):
        imo = rng.choice([*IMOS, None])
        mmsi = rng.choice([*MMSIS, None]) if imo else rng.choice(MMSIS)
        calls.append(
            _call(
                imo,
                mmsi,
                rng.choice([0, 1, 1.5, 2, 40, 41.000001, 300]),
                locode=rng.choice(["KPRJN", "RUVYP", "IRBND"]),
                source=rng.choice(["press", "AIS", "ais:feed \udcff"]),
                note=rng.choice([None, "", "docked\nat pier 1", "\0 nul"]),
                confidence=rng.choice([None, 0.0, -0.0, 0.1, 1.0]),
                departed=rng.choice([None, 302.5]),
            )
        )
    return calls + rng.sample(calls, count // 4)


def _objects(calls: list[PortCall]) -> PortCallIndex:
    """The same calls, each vessel's kept as a track of objects."""
    return PortCallIndex().add(calls)


def _questions() -> list[tuple[str | None, str | None, datetime | None]]:
    sinces = [
        None,
        START,
        START + timedelta(days=1.5),
        datetime(2024, 2, 10),
        START.replace(year=2030),
    ]
    vessels = [
        (imo, mmsi)
        for imo in [*IMOS, "IMO 9161003", "1234567", None]
        for mmsi in [*MMSIS, "273 000 001", None]
    ]
    return [(imo, mmsi, since) for imo, mmsi in vessels for since in sinces]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_packed_answers_as_objects(seed: int) -> None:
    calls = _random_calls(300, seed)
    packed, objects = PortCallIndex(calls), _objects(calls)
    assert packed.packed is not None and objects.packed is None
    assert (len(packed), packed.vessel_count) == (len(objects), objects.vessel_count)
    for imo, mmsi, since in _questions():
        found = packed.for_vessel(imo, mmsi, since)
        assert found == objects.for_vessel(imo, mmsi, since), (imo, mmsi, since)
        assert [repr(c) for c in found] == [repr(c) for c in objects.for_vessel(imo, mmsi, since)]
        assert packed.count(imo, mmsi, since) == len(found)


@pytest.mark.parametrize("seed", [4, 5])
def test_add_merges_into_packed_calls_as_into_objects(seed: int) -> None:
    calls = _random_calls(200, seed)
    first, second = calls[:120], calls[100:]
    packed = PortCallIndex(first).add(second)
    objects = _objects(first).add(second)
    again = packed.add(second[:30]).add([_call("9161003", None, 41.000001, source="late")])
    objects_again = objects.add(second[:30]).add([_call("9161003", None, 41.000001, source="late")])
    for left, right in ((packed, objects), (again, objects_again)):
        assert (len(left), left.vessel_count) == (len(right), right.vessel_count)
        for imo, mmsi, since in _questions():
            assert left.for_vessel(imo, mmsi, since) == right.for_vessel(imo, mmsi, since)
            assert left.count(imo, mmsi, since) == right.count(imo, mmsi, since)
    assert packed.packed is None


def test_add_keeps_each_call_once_and_ties_in_the_order_given() -> None:
    base = PortCallIndex([_call("9161003", None, 1, source="a"), _call("9161003", None, 2)])
    added = base.add(
        [
            _call("9161003", None, 1, source="b"),  # arrives with "a": after it
            _call("9161003", None, 2),  # already held
            _call(None, "273000001", 3),
        ]
    )
    assert len(base) == 2 and base.vessel_count == 1
    assert len(added) == 4 and added.vessel_count == 2
    assert [(c.arrived_at.day, c.source) for c in added.for_vessel("9161003")] == [
        (3, "press"),
        (2, "a"),
        (2, "b"),
    ]
    assert [c.mmsi for c in added.for_vessel("9161003", "273000001")] == [None, None, None]
    assert [c.mmsi for c in added.for_vessel("9358010", "273000001")] == ["273000001"]
    assert base.for_vessel(None, "273000001") == ()


def test_calls_the_arrays_cannot_hold_are_kept_as_they_are() -> None:
    nine = timezone(timedelta(hours=9))
    odd = PortCall(
        "9161003", None, "KPRJN", "Rajin", "KP", datetime(2024, 3, 10, 9, tzinfo=nine), None, "p"
    )
    assert not packable(odd)
    assert not packable(_call("9161003", None, 1, confidence=1))
    assert not packable(_call("٩١٦١٠٠٣", None, 1))
    index = PortCallIndex([_call("9161003", None, 1), odd])
    assert index.packed is None
    [first, second] = index.for_vessel("9161003")
    assert first is odd and first.arrived_at.tzinfo is nine
    assert second == _call("9161003", None, 1)
    added = PortCallIndex([_call("9161003", None, 1)]).add([odd])
    assert added.for_vessel("9161003")[0] is odd


def test_packed_values_come_back_alike() -> None:
    call = _call("0000019", "004401234", 1.0000005, note="\udcff", confidence=-0.0, departed=2)
    [back] = PortCallIndex([call]).for_vessel("0000019")
    assert back == call and repr(back) == repr(call)
    assert back.arrived_at.tzinfo is UTC and back.departed_at is not None
    assert str(back.confidence) == "-0.0"


def test_arrays_are_read_only_and_checked_when_read_back() -> None:
    packed = PortCallIndex(_random_calls(50, 6)).packed
    assert packed is not None
    with pytest.raises(ValueError):
        packed.records["imo"][0] = 1
    arrays = {name: array.copy() for name, array in packed.arrays().items()}
    again = PortCallIndex.of_packed(PackedCalls.from_arrays(arrays))
    assert again.for_vessel("9161003") == PortCallIndex.of_packed(packed).for_vessel("9161003")
    for name, damage in (
        ("imo_rows", lambda a: a + 10_000),
        ("source_offsets", lambda a: a[:-1]),
        ("records", lambda a: np.zeros(len(a), dtype=[("x", "<i8")])),
        ("port_name_offsets", lambda a: a[::-1]),
        ("mmsi_starts", lambda a: a.astype(np.int32)),
    ):
        broken = dict(arrays)
        broken[name] = damage(arrays[name])
        with pytest.raises(ValueError):
            PackedCalls.from_arrays(broken)
