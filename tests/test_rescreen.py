"""Past screenings are screened again against what a new list version added or changed."""

from __future__ import annotations

from datetime import UTC, datetime

from service.matcher import Policy
from service.model import ListInfo, Vessel
from service.rescreen import PastScreening, rescreen
from service.versions import diff

INFO = ListInfo("t", "test list", "v2", datetime.now(UTC), 2)


def _v(n: int, name: str, **kw: object) -> Vessel:
    return Vessel(entity_id=f"t:{n}", list_id="t", source_id=str(n), name=name, **kw)  # type: ignore[arg-type]


def test_a_newly_listed_ship_raises_an_alert_for_a_past_clear_screening() -> None:
    before = [_v(1, "OCEAN STAR 7")]
    after = [*before, _v(2, "SEA BREEZE", imo="9161003")]
    past = [
        PastScreening("s-1", {"name": "Sea Breeze"}, {}),
        PastScreening("s-2", {"name": "NORDIC SPIRIT"}, {}),
        PastScreening("s-3", {"name": "OCEAN STAR 7"}, {"t:1": (1.0, "match")}),
    ]
    alerts = rescreen(past, diff(before, after), INFO, Policy())
    assert [(a.screening_id, a.entity_id, a.decision) for a in alerts] == [("s-1", "t:2", "match")]
    assert alerts[0].previous_decision is None
    assert "new match" in alerts[0].reason


def test_a_change_that_strengthens_a_match_raises_an_alert() -> None:
    before = [_v(1, "LADY")]
    after = [_v(1, "LADY", imo="9161003")]
    past = [PastScreening("s-1", {"name": "LADY R", "imo": "9161003"}, {})]
    alerts = rescreen(past, diff(before, after), INFO, Policy())
    assert [a.decision for a in alerts] == ["match"]


def test_the_same_answer_again_is_no_alert() -> None:
    before = [_v(1, "LADY R", flags=("RU",))]
    after = [_v(1, "LADY R", flags=("PA",))]
    past = [PastScreening("s-1", {"name": "LADY R"}, {"t:1": (1.0, "match")})]
    assert rescreen(past, diff(before, after), INFO, Policy()) == []


def test_a_screening_restricted_to_other_lists_is_left_alone() -> None:
    after = [_v(2, "SEA BREEZE")]
    past = [PastScreening("s-1", {"name": "SEA BREEZE", "lists": ["other"]}, {})]
    assert rescreen(past, diff([], after), INFO, Policy()) == []
