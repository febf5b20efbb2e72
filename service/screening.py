"""One screening, end to end in the core: match, then enrich each match with its port calls.

Every face (HTTP single and batch, CSV upload, command line) screens through `run`, so a vessel
gets the same answer whichever way it was asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from service.index import ScreeningIndex
from service.matcher import Query, Screening, screen
from service.portcalls.calls import PortCallIndex
from service.portcalls.history import VesselHistory
from service.serving import Serving


@dataclass(frozen=True, slots=True)
class Request:
    query: Query
    reference: str | None = None
    # Days of port-call history to attach; None means the configured default.
    window_days: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    screening_id: uuid.UUID
    screened_at: datetime
    reference: str | None
    screening: Screening
    histories: tuple[VesselHistory, ...]


def run(
    request: Request,
    serving: Serving,
    index: ScreeningIndex,
    calls: PortCallIndex | None = None,
    result: Screening | None = None,
) -> Outcome:
    """Screen one request against `index` (one list version for the whole answer).

    `result` lets a bulk caller pass a screening it already computed for an identical query.
    """
    result = result or screen(request.query, index, serving.policy)
    calls = calls or serving.port_calls()
    days = (
        serving.settings.port_call_window_days
        if request.window_days is None
        else request.window_days
    )
    histories = tuple(serving.history(m.vessel, days, calls) for m in result.matches)
    return Outcome(uuid.uuid4(), datetime.now(UTC), request.reference, result, histories)
