"""What each request leaves behind: its metrics, its one log line, and GET /metrics.

A request's line says who asked what kind of thing and how it went (request id, API key name,
method, route, status, duration), never what was asked: names and IMO numbers screened are the
callers' business. LOG_QUERIES=true adds the path and the JSON body, for debugging.

The route is the Flask rule (`/v1/vessels/<path:entity_id>`), never the raw path, and a path no
route matched is `unmatched`: label values stay few whatever clients send.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import orjson
from flask import Blueprint, Flask, Request, Response, g, has_request_context, request
from flask.ctx import _AppCtxGlobals

from service import metrics
from service.auth import Caller
from service.web.access import public
from service.web.http import state

access_log = logging.getLogger("service.access")

bp = Blueprint("observe", __name__)

# A logged body is cut here: a whole batch (up to MAX_BODY_BYTES) would be one huge line.
QUERY_LOG_MAX = 16 * 1024
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


@bp.get("/metrics")
@public
def metrics_text() -> Response:
    index = state().index
    body = metrics.exposition(() if index is None else index.lists)
    return Response(body, content_type=metrics.CONTENT_TYPE)


def request_id(incoming: str) -> str:
    """The caller's X-Request-Id when it is a sensible length, else a new one."""
    return incoming if 0 < len(incoming) <= 64 else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every line logged while a request is answered that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "request_id" not in record.__dict__ and has_request_context():
            record.request_id = g.get("request_id")
        return True


def install(app: Flask, log_queries: bool) -> None:
    """Call before any other request hook: the clock starts in the first one."""

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        if log_queries and request.method in _BODY_METHODS and request.is_json:
            # Kept for the log line; the route reads the same bytes from the request's cache.
            g.logged_body = request.get_data(cache=True)

    @app.after_request
    def _finish(response: Response) -> Response:
        # The objects behind the proxies, once: each proxy access costs a context look-up.
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        ctx: _AppCtxGlobals = g._get_current_object()
        started: float = ctx.get("started") or time.perf_counter()
        rule = req.url_rule
        route = rule.rule if rule is not None else metrics.UNMATCHED
        method = req.method
        status = response.status_code
        line = None
        if access_log.isEnabledFor(logging.INFO):
            line = _line(req, ctx, route, status, log_queries)
        if response.is_streamed:
            # The answer is still to be written (a CSV file's rows): count it when it ends.
            response.call_on_close(lambda: done(started, route, method, status, line))
        else:
            done(started, route, method, status, line)
        return response


def _line(
    req: Request, ctx: _AppCtxGlobals, route: str, status: int, log_queries: bool
) -> dict[str, Any]:
    line = request_line(
        ctx.get("request_id"), req.method, route, status, ctx.get("caller"), req.remote_addr
    )
    if log_queries:
        line["path"] = req.full_path if req.query_string else req.path
        body = ctx.get("logged_body")
        if body:
            line["query"] = _query(body)
    return line


def request_line(
    request_id: str | None,
    method: str,
    route: str,
    status: int,
    caller: Caller | None,
    remote_addr: str | None,
) -> dict[str, Any]:
    """A request's log line, less its duration (see `done`)."""
    key = caller if caller is not None and caller.key_id is not None else None
    return {
        "event": "request",
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "key": key.name if key else None,
        "key_id": key.key_id if key else None,
        "remote_addr": remote_addr,
    }


def _query(body: bytes) -> Any:
    if len(body) <= QUERY_LOG_MAX:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return body[:QUERY_LOG_MAX].decode(errors="replace")


def done(started: float, route: str, method: str, status: int, line: dict[str, Any] | None) -> None:
    """Count a finished request and write its log line, timed from `started`."""
    seconds = time.perf_counter() - started
    metrics.observe_request(route, method, status, seconds)
    if line is not None:
        line["duration_ms"] = round(seconds * 1000, 3)
        # makeRecord and handle, as Logger.info would, less its walk up the stack for the
        # caller's file and line: a third of the line's cost, and always this function.
        access_log.handle(
            access_log.makeRecord(
                access_log.name, logging.INFO, __file__, 0, "%s %s %d",
                (method, route, status), None, extra=line,
            )
        )  # fmt: skip
