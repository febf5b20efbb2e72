"""Vessel sanctions screening service.

`create_app()` wires settings, the serving list index and the HTTP blueprints; the core
(`loaders`, `index`, `matcher`, `names`, `identifiers`) knows nothing of Flask.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, request

from service.serving import Serving
from service.settings import Settings
from service.store import open_store

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Application factory: loads the lists once, so gunicorn can share them across workers."""
    from service.web import bulk, docs, health, lists, portcalls, records, screen, ui
    from service.web.errors import register_error_handlers

    settings = settings or Settings.from_env(**overrides)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]

    store = open_store(settings)
    store.migrate()
    state = Serving.from_settings(settings, store)
    state.reload()
    app.extensions["vessel_screen"] = state

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    blueprints = (screen.bp, bulk.bp, lists.bp, records.bp, portcalls.bp, health.bp, docs.bp, ui.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app
