"""Screening ids: version 7 UUIDs that sort by the moment of the screening."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from service.screening import time_ordered_uuid


def test_screening_ids_are_version_7_uuids_carrying_their_moment() -> None:
    moment = datetime(2026, 11, 26, 7, 30, 15, 123000, tzinfo=UTC)
    made = time_ordered_uuid(moment)
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert int.from_bytes(made.bytes[:6], "big") == int(moment.timestamp() * 1000)


def test_a_later_screening_sorts_after_an_earlier_one_as_text_too() -> None:
    start = datetime(2026, 11, 26, tzinfo=UTC)
    ids = [str(time_ordered_uuid(start + timedelta(milliseconds=n))) for n in range(0, 5000, 7)]
    assert ids == sorted(ids)


def test_screenings_in_the_same_millisecond_still_get_different_ids() -> None:
    moment = datetime.now(UTC)
    assert len({time_ordered_uuid(moment) for _ in range(10_000)}) == 10_000
