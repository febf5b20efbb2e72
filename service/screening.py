"""One screening, end to end in the core: match, then enrich each match with its port calls.

Every face (HTTP single and batch, CSV upload, command line) screens through `run`, so a vessel
gets the same answer whichever way it was asked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from service.index import ScreeningIndex
from service.matcher import Decision, Match, Query, Screening, screen
from service.parties import PartyMatch, screen_parties
from service.portcalls.calls import PortCallIndex
from service.portcalls.history import VesselHistory
from service.serving import Serving


@dataclass(frozen=True, slots=True)
class Request:
    query: Query
    reference: str | None = None
    # Days of port-call history to attach; None means the configured default.
    window_days: int | None = None
    # The ship's owner, manager and operator as the caller knows them (role -> name).
    parties: Mapping[str, str] = field(default_factory=dict)


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

    @property
    def decision(self) -> Decision:
        """The strongest decision among the vessel's matches and its listed parties."""
        decisions = {self.screening.decision, *(p.decision for p in self.parties)}
        for decision in ("match", "review"):
            if decision in decisions:
                return decision
        return "clear"

    @property
    def risk_flags(self) -> tuple[str, ...]:
        """Flags about the screened ship itself: a listed owner, manager or operator."""
        return tuple(dict.fromkeys(p.flag for p in self.parties))


# A bulk caller's memo of port-call histories: (entity id, window days) -> history.
HistoryMemo = dict[tuple[str, int | None], VesselHistory]


def run(
    request: Request,
    serving: Serving,
    index: ScreeningIndex,
    calls: PortCallIndex | None = None,
    result: Screening | None = None,
    memo: HistoryMemo | None = None,
) -> Outcome:
    """Screen one request against `index` (one list version for the whole answer).

    `result` lets a bulk caller pass a screening it already computed for an identical query,
    and `memo` the histories it already looked up: the rows of one batch or CSV chunk are
    answered at one moment, and a fleet file names the same listed ships again and again.
    """
    result = result or screen(request.query, index, serving.policy)
    result, listings = merge_listings(result)
    calls = calls or serving.port_calls()
    days = (
        serving.settings.port_call_window_days
        if request.window_days is None
        else request.window_days
    )
    if memo is None:
        histories = tuple(serving.history(m.vessel, days, calls) for m in result.matches)
    else:
        found = []
        for m in result.matches:
            history = memo.get((m.entity_id, days))
            if history is None:
                history = memo[(m.entity_id, days)] = serving.history(m.vessel, days, calls)
            found.append(history)
        histories = tuple(found)
    parties: tuple[PartyMatch, ...] = ()
    if request.parties:
        lists = None if request.query.lists is None else frozenset(request.query.lists)
        parties = tuple(
            screen_parties(request.parties, index, serving.policy, request.query.threshold, lists)
        )
    now = datetime.now(UTC)
    return Outcome(
        time_ordered_uuid(now), now, request.reference, result, histories, parties, listings
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
