"""The few HTTP helpers every route shares: JSON in, JSON out, the serving state."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response, current_app, request

from service.serving import Serving
from service.web.errors import ApiProblem


def json_body() -> Any:
    """The request's JSON body, or the right problem: 415 wrong type, 400 malformed."""
    if not request.is_json:
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            f"Send the body as application/json, not {request.mimetype or 'nothing'}.",
        )
    raw = request.get_data(cache=False)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        # orjson refuses integers beyond 64 bits, which are still JSON; let the schema judge.
        return json.loads(raw)
    except ValueError:
        raise ApiProblem(400, "Bad Request", "The request body is not valid JSON.") from None


def json_response(body: Any, status: int = 200) -> Response:
    # orjson: the answer is the hot path's last step, and it encodes about 7 times faster than
    # the standard library (datetimes as RFC 3339 too).
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def state() -> Serving:
    serving: Serving = current_app.extensions["vessel_screen"]
    return serving


def serving() -> Serving:
    """The serving state, or 503 while no list is loaded."""
    current = state()
    if current.index is None:
        raise ApiProblem(503, "Service Unavailable", "No sanctions list is loaded yet.")
    return current
