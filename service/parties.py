"""Screening a ship's owner, manager and operator against the listed companies.

An unlisted ship owned by a listed company is property of a listed person: the ship itself may
be blocked. Names are compared after `names.normalize_company` (legal forms such as LLC, OOO,
LIMITED dropped, any script to Latin), with the same edit similarity as vessel names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from service.index import ScreeningIndex
from service.matcher import Decision, Policy
from service.model import ListedEntity
from service.names import normalize_company

ROLES = ("owner", "manager", "operator")


@dataclass(frozen=True, slots=True)
class PartyMatch:
    role: str
    query_name: str
    entity: ListedEntity
    matched_name: str
    score: float
    decision: Decision

    @property
    def flag(self) -> str:
        """The risk flag this match raises: owner_listed, manager_listed, operator_listed."""
        return f"{self.role}_listed"


def screen_parties(
    parties: Mapping[str, str],
    index: ScreeningIndex,
    policy: Policy,
    bar: float | None = None,
    lists: frozenset[str] | None = None,
) -> list[PartyMatch]:
    """Listed companies each named party may be, best first within each role."""
    bar = policy.review_threshold if bar is None else bar
    found: list[PartyMatch] = []
    for role in ROLES:
        name = (parties.get(role) or "").strip()
        key = normalize_company(name) if name else ""
        if not key:
            continue
        candidates = index.party_index.within(key, bar)
        best: dict[int, tuple[float, str]] = {}
        # Read from the index's arrays: a company is made into an object only when it is kept
        # (or its list must be checked).
        names = index.party_names
        for pi in candidates:
            ei = int(names.entity[pi])
            if lists is not None and index.entities[ei].list_id not in lists:
                continue
            listed_key = names.keys[pi]
            score = 1.0 if listed_key == key else OSA.normalized_similarity(key, listed_key)
            if score > best.get(ei, (-1.0, ""))[0]:
                best[ei] = (score, names.listed[pi])
        mine = []
        for ei, (score, listed) in best.items():
            score = round(score, 4)
            if score < bar:
                continue
            decision: Decision = "match" if score >= policy.match_threshold else "review"
            mine.append(PartyMatch(role, name, index.entities[ei], listed, score, decision))
        mine.sort(key=lambda m: (-m.score, m.entity.entity_id))
        found.extend(mine[: policy.default_limit])
    return found
