"""Health for orchestrators: /healthz (the process serves), /readyz (it can screen)."""

from __future__ import annotations

from flask import Blueprint, Response

from service.web import render
from service.web.http import json_response, state
from service.web.schemas import HealthSchema, ReadySchema

bp = Blueprint("health", __name__)
_health_schema = HealthSchema()
_ready_schema = ReadySchema()


@bp.get("/healthz")
def healthz() -> Response:
    return json_response(_health_schema.dump({"status": "ok"}))


@bp.get("/readyz")
def readyz() -> Response:
    current = state()
    reasons = []
    lists = []
    if current.index is None:
        reasons.append("no sanctions list is loaded")
    else:
        lists = [render.list_ref(i) for i in current.index.lists]
    if current.last_error:
        reasons.append(f"last list load failed: {current.last_error}")
    ready = current.index is not None
    body = {"status": "ready" if ready else "not ready", "reasons": reasons, "lists": lists}
    return json_response(_ready_schema.dump(body), 200 if ready else 503)
