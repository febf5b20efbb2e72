"""POST /v1/port-calls: a provider pushes port calls as JSON, JSON lines or CSV."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from service.portcalls.call_files import parse_port_calls
from service.portcalls.calls import CallFormat
from service.store import StoreError
from service.web.access import scope
from service.web.errors import VALIDATION_TYPE, ApiProblem
from service.web.http import json_response, state
from service.web.record_schemas import PortCallsPushResponseSchema

bp = Blueprint("portcalls", __name__)
_response_schema = PortCallsPushResponseSchema()

_FORMATS: dict[str, CallFormat] = {
    "application/json": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "text/csv": "csv",
}


def _lines(fmt: str, text: str) -> list[str]:
    """The body as lines of the parser's format; a JSON array becomes one object a line."""
    if request.mimetype != "application/json":
        return text.splitlines()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ApiProblem(400, "Bad Request", "The request body is not valid JSON.") from None
    if isinstance(data, dict) and isinstance(data.get("port_calls"), list):
        data = data["port_calls"]
    if not isinstance(data, list):
        raise ApiProblem(
            422,
            "Invalid request",
            'Send a JSON array of port calls, or {"port_calls": [...]}.',
            VALIDATION_TYPE,
            {"_schema": ["The body must be a JSON array of port-call objects."]},
        )
    return [json.dumps(item) for item in data]


@bp.post("/v1/port-calls")
@scope("admin")
def push() -> Response:
    fmt = _FORMATS.get(request.mimetype)
    if fmt is None:
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            "Send port calls as application/json, application/x-ndjson or text/csv.",
        )
    try:
        text = request.get_data(as_text=False).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiProblem(400, "Bad Request", "The request body is not UTF-8 text.") from None
    current = state()
    result = parse_port_calls(_lines(fmt, text), fmt, current.port_data.ports, name="push")
    rejected = [{"line": r.line, "reason": r.reason} for r in result.rejected]
    if not result.calls:
        detail = "No port call in the body could be accepted." if rejected else "No port calls."
        raise ApiProblem(422, "Invalid request", detail, VALIDATION_TYPE, {"rows": rejected})
    try:
        current.push_calls(result.calls)
    except StoreError as exc:
        raise ApiProblem(
            503, "Service Unavailable", "The port calls could not be stored; nothing was kept."
        ) from exc
    body = {"accepted": len(result.calls), "rejected": len(rejected), "rejected_rows": rejected}
    return json_response(_response_schema.dump(body))
