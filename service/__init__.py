"""Vessel sanctions screening service.

`create_app()` wires settings, the serving list index and the HTTP blueprints; the core
(`loaders`, `index`, `matcher`, `names`, `identifiers`) knows nothing of Flask.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from flask import Flask, Response, g, request

from service import identifiers, logs
from service.auth import KeyRing
from service.ratelimit import RateLimiter
from service.serving import Serving
from service.settings import Settings
from service.store import open_store

__all__ = ["create_app"]

log = logging.getLogger("service")


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Application factory: loads the lists once, so gunicorn can share them across workers."""
    from service.web import (
        access,
        ais,
        bulk,
        docs,
        health,
        lists,
        observe,
        portcalls,
        records,
        screen,
        ui,
    )
    from service.web.errors import register_error_handlers

    settings = settings or Settings.from_env(**overrides)
    logs.configure(settings.log_level, filters=[observe.RequestIdFilter()])

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]

    store = open_store(settings)
    store.migrate()
    state = Serving.from_settings(settings, store)
    state.reload()
    identifiers.warm()
    app.extensions["vessel_screen"] = state

    observe.install(app, settings.log_queries)  # first: its clock times every other hook

    @app.before_request
    def _request_id() -> None:
        g.request_id = observe.request_id(request.headers.get("X-Request-Id", ""))

    ring = KeyRing(settings.keys_path)
    check_open_serving(settings, ring)
    limiter = (
        RateLimiter(settings.redis_url, settings.rate_limit_per_minute)
        if settings.redis_url and settings.rate_limit_per_minute
        else None
    )
    access.install(app, ring, limiter)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    blueprints = (
        screen.bp,
        bulk.bp,
        lists.bp,
        records.bp,
        portcalls.bp,
        ais.bp,
        health.bp,
        observe.bp,
        docs.bp,
        ui.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app


def check_open_serving(settings: Settings, ring: KeyRing) -> None:
    """Without API keys, serve only on loopback unless ALLOW_OPEN says otherwise."""
    if ring.enabled:
        return
    if _is_loopback(settings.host):
        log.warning(
            "no API keys configured: serving openly on %s only; create one with "
            "`vessel-screen keys create NAME --scopes screen,read`",
            settings.host,
        )
        return
    if not settings.allow_open:
        raise RuntimeError(
            f"refusing to serve on {settings.host} without API keys: create a key with "
            "`vessel-screen keys create NAME --scopes screen,read`, or set ALLOW_OPEN=true"
        )
    log.warning("no API keys configured and ALLOW_OPEN=true: serving openly on %s", settings.host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
