"""The audit trail from the web side: an answer is stored before it is sent, or not sent.

`answer` stores a screening's exact JSON text and returns it as the response; when the store
cannot keep it the caller gets 503 and no screening result, so no answer ever goes out without
its record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import orjson
from flask import Response, g

from service.auth import Caller
from service.screening import Outcome
from service.store import ScreeningKind, ScreeningRecord, StoreError
from service.store.recorder import Recorder
from service.web.errors import ApiProblem
from service.web.http import state


def record_for(
    outcome: Outcome,
    request: Mapping[str, Any],
    answer_json: str,
    kind: ScreeningKind,
    job_id: str | None = None,
    row: int | None = None,
    caller: Caller | Literal["this request's"] | None = "this request's",
) -> ScreeningRecord:
    return records_for([(outcome, request, answer_json)], kind, job_id, row, caller)[0]


def records_for(
    answered: Sequence[tuple[Outcome, Mapping[str, Any], str]],
    kind: ScreeningKind,
    job_id: str | None = None,
    row: int | None = None,
    caller: Caller | Literal["this request's"] | None = "this request's",
) -> list[ScreeningRecord]:
    """The records of screenings answered to `caller` (by default this Flask request's):
    (outcome, the request as received, the answer's JSON text) each. A batch's items share the
    caller and, answered from one index, the list versions, which are worked out once."""
    who = g.get("caller") if caller == "this request's" else caller
    key_id = who.key_id if isinstance(who, Caller) else None
    versions: dict[int, dict[str, str]] = {}
    out = []
    for outcome, request, answer_json in answered:
        lists = outcome.screening.lists
        used = versions.get(id(lists))
        if used is None:
            used = versions[id(lists)] = {i.id: i.version for i in lists}
        out.append(
            ScreeningRecord(
                screening_id=str(outcome.screening_id),
                screened_at=outcome.screened_at,
                caller=key_id,
                kind=kind,
                query=dict(request),
                list_versions=used,
                decision=outcome.decision,  # with the owner's: what the caller was told
                response_json=answer_json,
                job_id=job_id,
                row=row,
            )
        )
    return out


def store(records: Sequence[ScreeningRecord], recorder: Recorder | None = None) -> None:
    """Keep the records (through this app's recorder by default), or answer 503: a result
    that was not recorded is never sent."""
    try:
        (recorder or state().recorder).record(records)
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
