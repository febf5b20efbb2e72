"""Alerts are stored once per screening, version and vessel; port calls once per natural key,
and every worker can take in the calls another one stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.portcalls.calls import PortCall
from service.store import AlertRecord, Store, StoreError

from .helpers import Backend, later, screening


def alert(n: int, screening_id: str, *, at: datetime, entity: str = "t:2") -> AlertRecord:
    return AlertRecord(
        alert_id=f"a-{n}",
        created_at=at,
        screening_id=screening_id,
        list_id="t",
        version="v2",
        entity_id=entity,
        score=0.93,
        decision="match",
        previous_decision="review" if n % 2 else None,
        reason="new match: SEA BREEZE (IMO 9161003) added in t v2",
    )


def test_alerts_come_back_newest_first_and_are_not_stored_twice(store: Store) -> None:
    first, second = screening(1), screening(2)
    store.record_screenings([first, second])
    alerts = [
        alert(1, first.screening_id, at=later(10)),
        alert(2, second.screening_id, at=later(20)),
        alert(3, first.screening_id, at=later(30), entity="t:3"),
    ]
    assert store.save_alerts(alerts) == 3
    # A re-screening run again for the same version finds the same alerts: nothing new.
    again = [
        alert(n + 10, a.screening_id, at=later(40), entity=a.entity_id)
        for n, a in enumerate(alerts)
    ]
    assert store.save_alerts(again) == 0

    assert store.list_alerts() == alerts[::-1]
    assert store.list_alerts(since=later(20)) == alerts[:0:-1]
    assert store.list_alerts(limit=1) == [alerts[2]]
    assert store.list_alerts()[0].screening_id == first.screening_id
    assert store.save_alerts([]) == 0


def test_an_alert_must_link_a_recorded_screening(store: Store) -> None:
    with pytest.raises(StoreError):
        store.save_alerts([alert(1, "never-recorded", at=later(1))])
    assert store.list_alerts() == []


def call(
    imo: str | None, mmsi: str | None, day: int, *, departed: bool = True, note: str | None = None
) -> PortCall:
    arrived = datetime(2024, 2, day, 6, 30, tzinfo=UTC)
    return PortCall(
        imo=imo,
        mmsi=mmsi,
        locode="KPRJN",
        port_name="Rajin",
        country="KP",
        arrived_at=arrived,
        departed_at=arrived + timedelta(days=2, microseconds=7) if departed else None,
        source="press report",
        note=note,
        confidence=0.8 if departed else None,
    )


def test_port_calls_are_stored_once_per_natural_key(store: Store) -> None:
    calls = [
        call("9161003", None, 1),
        call("9161003", "273449240", 1),  # the same visit reported with an MMSI is another key
        call(None, "273449240", 3, departed=False),
        call(None, "273449240", 5),
    ]
    assert store.save_port_calls(calls) == 4
    # Re-pushed, and once more with a different note: the first report of a call wins.
    assert store.save_port_calls(calls) == 0
    assert store.save_port_calls([call(None, "273449240", 3, note="corrected")]) == 0
    assert store.port_calls_since(0)[0] == calls
    assert store.save_port_calls([]) == 0


def test_port_calls_keep_their_times_in_utc(store: Store) -> None:
    seoul = timezone(timedelta(hours=9))
    local = PortCall(
        imo="9161003",
        mmsi=None,
        locode="KPRJN",
        port_name="Rajin",
        country="KP",
        arrived_at=datetime(2024, 2, 1, 15, 30, tzinfo=seoul),
        departed_at=None,
        source="press report",
    )
    store.save_port_calls([local])
    [back] = store.port_calls_since(0)[0]
    assert back == local and back.arrived_at.utcoffset() == timedelta(0)
    # The same moment written in UTC is the same call.
    assert store.save_port_calls([call("9161003", None, 1)]) == 0


def test_workers_take_in_the_calls_others_stored_and_they_survive_a_restart(
    backend: Backend,
) -> None:
    one, two = backend.open(), backend.open()
    one.migrate()
    assert two.port_calls_since(0) == ([], 0)

    one.save_port_calls([call("9161003", None, 1), call("9161003", None, 2)])
    got, seq = two.port_calls_since(0)
    assert [c.arrived_at.day for c in got] == [1, 2]
    assert two.port_calls_since(seq) == ([], seq)

    one.save_port_calls([call("9161003", None, 2), call("9161003", None, 3)])
    got, next_seq = two.port_calls_since(seq)
    assert [c.arrived_at.day for c in got] == [3] and next_seq > seq

    one.close()
    two.close()
    assert [c.arrived_at.day for c in backend.open().port_calls_since(0)[0]] == [1, 2, 3]
