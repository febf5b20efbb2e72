"""The audit trail and the alerts, read back: /v1/screenings/{id} and /v1/alerts."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, request

from service.store import StoreError
from service.web.access import scope
from service.web.errors import ApiProblem, validation_problem
from service.web.http import json_response, state
from service.web.record_schemas import AlertsResponseSchema

bp = Blueprint("records", __name__)
_alerts_schema = AlertsResponseSchema()


def _unavailable(exc: StoreError) -> ApiProblem:
    return ApiProblem(503, "Service Unavailable", "The store does not answer; try again.")


@bp.get("/v1/screenings/<screening_id>")
@scope("read")
def screening(screening_id: str) -> Response:
    """The screening exactly as it was answered: the stored text, byte for byte."""
    try:
        record = state().store.get_screening(screening_id)
    except StoreError as exc:
        raise _unavailable(exc) from exc
    if record is None:
        raise ApiProblem(404, "Not Found", f"No screening has the id {screening_id!r}.")
    return Response(record.response_json, mimetype="application/json")


@bp.get("/v1/alerts")
@scope("read")
def alerts() -> Response:
    since_text = request.args.get("since")
    since = None
    if since_text is not None:
        try:
            since = datetime.fromisoformat(since_text)
        except ValueError:
            raise validation_problem({"since": ["Not an RFC 3339 time."]}) from None
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise validation_problem({"limit": ["Must be an integer from 1 to 1000."]})
    try:
        found = state().store.list_alerts(since, limit)
    except StoreError as exc:
        raise _unavailable(exc) from exc
    body = {
        "alerts": [
            {
                "alert_id": a.alert_id,
                "created_at": a.created_at,
                "screening_id": a.screening_id,
                "screening": f"/v1/screenings/{a.screening_id}",
                "list": a.list_id,
                "version": a.version,
                "entity_id": a.entity_id,
                "score": a.score,
                "decision": a.decision,
                "previous_decision": a.previous_decision,
                "reason": a.reason,
            }
            for a in found
        ]
    }
    return json_response(_alerts_schema.dump(body))
