"""One screening end to end (`screening.run`: the match, its history, the decision, one match
per ship), and screening ids: version 7 UUIDs that sort by the moment of the screening."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.matcher import Query
from service.screening import Context, Request, merge_listings, run, time_ordered_uuid
from service.settings import Settings
from service.sources import offline_context
from tests.conftest import BUNDLED_LISTS


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


@pytest.fixture(scope="module")
def ctx() -> Context:
    return offline_context(Settings.from_env(lists_dir=BUNDLED_LISTS, ais_dir=""))


def test_run_answers_with_the_match_its_port_calls_and_a_fresh_id(ctx: Context) -> None:
    outcome = run(Request(Query(imo="9161003"), "case-1", window_days=36500), ctx)
    assert outcome.decision == "match" and outcome.reference == "case-1"
    [history] = outcome.histories
    assert {r.call.locode for r in history.calls} >= {"KPRJN", "RUVYP"}
    assert "sanctioned_jurisdiction" in history.flag_codes
    again = run(Request(Query(imo="9161003")), ctx)
    assert again.screening_id != outcome.screening_id
    # The default window (730 days) leaves the 2024 calls out, and counts them.
    assert again.histories[0].calls == () and again.histories[0].before_window >= 2


def test_the_decision_is_the_strongest_of_the_vessel_and_its_parties(ctx: Context) -> None:
    clear = run(Request(Query(name="NOBODY AT ALL")), ctx)
    assert clear.decision == "clear" and clear.decision_reason is None
    owned = run(Request(Query(name="NOBODY AT ALL"), parties={"owner": "TRANSMORFLOT LLC"}), ctx)
    assert owned.decision == "match" and "owner_listed" in owned.risk_flags
    unusable = run(Request(Query(imo="9161004")), ctx)
    assert unusable.decision == "review" and unusable.decision_reason
    assert [v.imo for v in unusable.suggestions] == ["9161003"]


def test_merge_listings_keeps_one_match_per_imo_naming_every_listing(ctx: Context) -> None:
    from dataclasses import replace

    result = run(Request(Query(imo="9161003")), ctx).screening
    [match] = result.matches
    copy = replace(match, vessel=replace(match.vessel, entity_id="other-list:1", list_id="other"))
    merged, listings = merge_listings(replace(result, matches=(match, copy)))
    assert merged.matches == (match,)
    assert listings == ((match, copy),)
    alone, single = merge_listings(result)
    assert alone is result and single == ((match,),)
