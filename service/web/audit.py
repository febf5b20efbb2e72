"""The audit trail from the web side: an answer is stored before it is sent, or not sent.

`answer` stores a screening's exact JSON text and returns it as the response; when the store
cannot keep it the caller gets 503 and no screening result, so no answer ever goes out without
its record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from flask import Response, g

from service.screening import Outcome
from service.store import ScreeningKind, ScreeningRecord, StoreError
from service.web.errors import ApiProblem
from service.web.http import state


def record_for(
    outcome: Outcome,
    request: Mapping[str, Any],
    answer_json: str,
    kind: ScreeningKind,
    job_id: str | None = None,
    row: int | None = None,
) -> ScreeningRecord:
    caller = g.get("caller")
    return ScreeningRecord(
        screening_id=str(outcome.screening_id),
        screened_at=outcome.screened_at,
        caller=caller.key_id if caller is not None else None,
        kind=kind,
        query=dict(request),
        list_versions={i.id: i.version for i in outcome.screening.lists},
        decision=outcome.decision,  # with the owner's: what the caller was told
        response_json=answer_json,
        job_id=job_id,
        row=row,
    )


def store(records: Sequence[ScreeningRecord]) -> None:
    """Keep the records, or answer 503: a result that was not recorded is never sent."""
    try:
        state().recorder.record(records)
    except StoreError as exc:
        raise ApiProblem(
            503,
            "Service Unavailable",
            "The screening could not be recorded in the audit trail, so no result is given; "
            "try again.",
            headers={"Retry-After": "1"},
        ) from exc


def answer(
    outcome: Outcome, request: Mapping[str, Any], body: Any, kind: ScreeningKind
) -> Response:
    text = orjson.dumps(body).decode()
    store([record_for(outcome, request, text, kind)])
    return Response(text, mimetype="application/json")
