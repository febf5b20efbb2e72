"""One screening, end to end in the core: match, then enrich each match with its port calls.

Every face (HTTP single and batch, CSV upload, command line) screens through `run`, so a vessel
gets the same answer whichever way it was asked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from service.ais.behaviour import Behaviour, behaviour_flags
from service.index import ScreeningIndex
from service.matcher import Decision, Match, Policy, Query, Screening, screen
from service.model import Vessel
from service.parties import PartyMatch, screen_parties
from service.portcalls.calls import PortCallIndex
from service.portcalls.history import VesselHistory, vessel_history
from service.portcalls.risk import RiskPolicy
from service.query_problems import (
    imo_suggestions,
    query_warnings,
    suggestion_text,
    unusable_identifiers,
)


@dataclass(frozen=True, slots=True)
class Request:
    query: Query
    reference: str | None = None
    # Days of port-call history to attach; None means the configured default.
    window_days: int | None = None
    # The ship's owner, manager and operator as the caller knows them (role -> name).
    parties: Mapping[str, str] = field(default_factory=dict)


PARTY_ROLES = ("owner", "manager", "operator")


def request_from_body(body: Mapping[str, Any]) -> Request:
    """The request a body loaded by the request schema describes (every face loads with it)."""
    lists = body.get("lists")
    query = Query(
        name=body.get("name"),
        imo=body.get("imo"),
        mmsi=body.get("mmsi"),
        call_sign=body.get("call_sign"),
        flag=body.get("flag"),
        lists=tuple(lists) if lists is not None else None,
        threshold=body.get("threshold"),
        limit=body.get("limit"),
    )
    parties = {role: body[role] for role in PARTY_ROLES if body.get(role)}
    return Request(query, body.get("reference"), body.get("port_call_window_days"), parties)


@dataclass(frozen=True, slots=True)
class Outcome:
    screening_id: uuid.UUID
    screened_at: datetime
    reference: str | None
    screening: Screening
    histories: tuple[VesselHistory, ...]
    parties: tuple[PartyMatch, ...] = ()
    # Per match, every listing of the same ship (same IMO) on any list, the match's own first.
    listings: tuple[tuple[Match, ...], ...] = ()
    # Listed ships whose valid IMO differs by one digit from an IMO sent with a failing check.
    suggestions: tuple[Vessel, ...] = ()

    @property
    def decision(self) -> Decision:
        """The strongest decision among the vessel's matches and its listed parties; never
        `clear` when an identifier sent could not be used (see `decision_reason`)."""
        decisions = {self.screening.decision, *(p.decision for p in self.parties)}
        for decision in ("match", "review"):
            if decision in decisions:
                return decision
        return "review" if unusable_identifiers(self.screening.query) else "clear"

    @property
    def decision_reason(self) -> str | None:
        """Why the answer is `review` with nothing matched: the query could not be screened
        whole, so a clear answer would claim more than was checked."""
        if self.screening.matches or any(p.decision != "clear" for p in self.parties):
            return None
        unusable = unusable_identifiers(self.screening.query)
        if not unusable:
            return None
        reason = (
            f"Not screened in full: {' and '.join(unusable)} could not be used and nothing "
            "matched, so the vessel is not shown to be clear; check the identifiers."
        )
        if self.suggestions:
            reason += " " + suggestion_text(self.suggestions)
        return reason

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the query carried that could not be used, in plain words."""
        found = query_warnings(self.screening.query)
        return (*found, suggestion_text(self.suggestions)) if self.suggestions else found

    @property
    def risk_flags(self) -> tuple[str, ...]:
        """Flags about the screened ship itself: a listed owner, manager or operator."""
        return tuple(dict.fromkeys(p.flag for p in self.parties))


# A bulk caller's memo of port-call histories: (entity id, window days) -> history.
HistoryMemo = dict[tuple[str, int | None], VesselHistory]


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a screening reads beside its request: one list version's index, the
    decision policy, the port calls and the risk policy they are judged by, and the default
    look-back window. A face builds it once per request (or per file) from what it serves."""

    index: ScreeningIndex
    policy: Policy
    calls: PortCallIndex
    risk: RiskPolicy
    window_days: int
    behaviour: Behaviour | None = None

    def history(self, vessel: Vessel, window_days: int | None) -> VesselHistory:
        """The vessel's port calls and AIS events in the last `window_days` (all when None),
        and the flags they raise."""
        since = None if window_days is None else datetime.now(UTC) - timedelta(days=window_days)
        found = vessel_history(vessel, self.calls, self.risk, since)
        if self.behaviour is None:
            return found
        events = self.behaviour.events_of(vessel, since)
        if not events and not vessel.mmsi:
            return found
        flags = behaviour_flags(vessel, events)
        return replace(found, events=tuple(events), flags=(*found.flags, *flags))


def run(
    request: Request,
    ctx: Context,
    result: Screening | None = None,
    memo: HistoryMemo | None = None,
) -> Outcome:
    """Screen one request against `ctx.index` (one list version for the whole answer).

    `result` lets a bulk caller pass a screening it already computed for an identical query,
    and `memo` the histories it already looked up: the rows of one batch or CSV chunk are
    answered at one moment, and a fleet file names the same listed ships again and again.
    """
    index = ctx.index
    result = result or screen(request.query, index, ctx.policy)
    result, listings = merge_listings(result)
    days = ctx.window_days if request.window_days is None else request.window_days
    if memo is None:
        histories = tuple(ctx.history(m.vessel, days) for m in result.matches)
    else:
        found = []
        for m in result.matches:
            history = memo.get((m.entity_id, days))
            if history is None:
                history = memo[(m.entity_id, days)] = ctx.history(m.vessel, days)
            found.append(history)
        histories = tuple(found)
    lists = None if request.query.lists is None else frozenset(request.query.lists)
    parties: tuple[PartyMatch, ...] = ()
    if request.parties:
        parties = tuple(
            screen_parties(request.parties, index, ctx.policy, request.query.threshold, lists)
        )
    suggestions = imo_suggestions(result.query, index, lists) if not result.matches else ()
    now = datetime.now(UTC)
    return Outcome(
        time_ordered_uuid(now),
        now,
        request.reference,
        result,
        histories,
        parties,
        listings,
        suggestions,
    )


def time_ordered_uuid(moment: datetime) -> uuid.UUID:
    """A version 7 UUID (RFC 9562): the moment's Unix milliseconds, then 74 random bits.

    Screening ids are the audit trail's primary key. Random (version 4) ids land all over its
    index, so a store of millions of screenings touches a different index page for each new
    one; ids that grow with time are appended at the end, and a CSV upload of 100,000 rows is
    written a fifth quicker. The random bits keep them as hard to guess as they need to be.
    """
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits, of which 74 are used
    value = (
        millis << 80
        | 0x7 << 76  # version
        | (rand >> 68) << 64  # 12 random bits
        | 0b10 << 62  # variant
        | rand & ((1 << 62) - 1)  # 62 random bits
    )
    return uuid.UUID(int=value)


def merge_listings(result: Screening) -> tuple[Screening, tuple[tuple[Match, ...], ...]]:
    """One match per ship: listings of the same IMO on several lists (or twice on one) are
    answered as the best-scoring one, naming all of them."""
    groups: dict[str, list[Match]] = {}
    for m in result.matches:  # best first, so each group's first is its best
        groups.setdefault(m.vessel.imo or m.entity_id, []).append(m)
    if len(groups) == len(result.matches):
        return result, tuple((m,) for m in result.matches)
    kept = tuple(g[0] for g in groups.values())
    return replace(result, matches=kept), tuple(tuple(g) for g in groups.values())
