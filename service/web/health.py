"""Health for orchestrators: /healthz (the process serves), /readyz (it can screen)."""

from __future__ import annotations

from flask import Blueprint, Response

from service.web import render
from service.web.access import public
from service.web.http import json_response, state
from service.web.list_schemas import HealthSchema, ReadySchema

bp = Blueprint("health", __name__)
_health_schema = HealthSchema()
_ready_schema = ReadySchema()


@bp.get("/healthz")
@public
def healthz() -> Response:
    return json_response(_health_schema.dump({"status": "ok"}))


@bp.get("/readyz")
@public
def readyz() -> Response:
    current = state()
    reasons = current.ready_reasons()
    lists = [] if current.index is None else [render.list_ref(i) for i in current.index.lists]
    body = {"status": "not ready" if reasons else "ready", "reasons": reasons, "lists": lists}
    if current.last_error:
        body["reasons"] = [*reasons, f"last list load failed: {current.last_error}"]
    return json_response(_ready_schema.dump(body), 503 if reasons else 200)
