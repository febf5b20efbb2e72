"""Re-screening: when a new list version adds or changes vessels, screen past queries again.

Only the vessels the new version added or changed are screened against (a small index built
for the purpose), so re-screening a year of queries costs little. A match that is new, or
stronger than what the caller was told, becomes an alert linked to the original screening.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from service.index import build_index
from service.matcher import Policy, Query, screen
from service.model import ListInfo, LoadedList
from service.versions import Diff

_RANK = {"clear": 0, "review": 1, "match": 2}
# A score that moved by less than this is the same answer, not news for an analyst.
_SCORE_STEP = 0.02


@dataclass(frozen=True, slots=True)
class PastScreening:
    screening_id: str
    query: Mapping[str, Any]  # the request as the caller sent it
    matches: Mapping[str, tuple[float, str]]  # entity id -> (score, decision) as answered


@dataclass(frozen=True, slots=True)
class Alert:
    screening_id: str
    list_id: str
    version: str
    entity_id: str
    vessel_name: str
    score: float
    decision: str
    previous_decision: str | None
    previous_score: float | None
    reason: str


def query_from_request(body: Mapping[str, Any]) -> Query:
    """The matcher's query from a stored request body (already validated when it was sent)."""
    lists = body.get("lists")
    return Query(
        name=body.get("name"),
        imo=body.get("imo"),
        mmsi=body.get("mmsi"),
        call_sign=body.get("call_sign"),
        flag=body.get("flag"),
        lists=tuple(lists) if lists else None,
        threshold=body.get("threshold"),
        limit=body.get("limit"),
    )


def past_from_answer(
    screening_id: str, request: Mapping[str, Any], answer: Mapping[str, Any]
) -> PastScreening:
    """A past screening from the request and the answer as stored in the audit trail."""
    matches = {
        m["entity_id"]: (float(m["score"]), str(m["decision"])) for m in answer.get("matches", [])
    }
    return PastScreening(screening_id, request, matches)


def rescreen(
    past: Iterable[PastScreening], diff: Diff, info: ListInfo, policy: Policy
) -> list[Alert]:
    """Alerts for past screenings that the vessels `diff` added or changed now match."""
    if not diff.touched:
        return []
    index = build_index([LoadedList(info, diff.touched)])
    alerts: list[Alert] = []
    for p in past:
        query = query_from_request(p.query)
        if query.lists is not None and info.id not in query.lists:
            continue
        for m in screen(query, index, policy).matches:
            before = p.matches.get(m.entity_id)
            if before is None:
                reason = f"new {m.decision}: {m.vessel.name} in {info.id} version {info.version}"
            elif _RANK[m.decision] > _RANK[before[1]] or m.score >= before[0] + _SCORE_STEP:
                reason = (
                    f"stronger: {before[1]} {before[0]:.2f} -> {m.decision} {m.score:.2f} "
                    f"after {info.id} version {info.version} changed {m.vessel.name}"
                )
            else:
                continue
            alerts.append(
                Alert(
                    screening_id=p.screening_id,
                    list_id=info.id,
                    version=info.version,
                    entity_id=m.entity_id,
                    vessel_name=m.vessel.name,
                    score=m.score,
                    decision=m.decision,
                    previous_decision=before[1] if before else None,
                    previous_score=before[0] if before else None,
                    reason=reason,
                )
            )
    return alerts
