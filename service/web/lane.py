"""The single screening's fast lane: a plain `POST /v1/screen` answered beside Flask, not in it.

A single screening is the service's hot path, and Flask's per-request machinery (request and
app contexts, URL matching, five request hooks, the response object's header handling) cost
about 0.1 ms of it, as much as the matching itself. This WSGI middleware sits in front of the
Flask app and answers the one request that is most of the traffic: `POST /v1/screen` with a
plain JSON body (`screen.plain_request`), from a caller that may screen, while a list is
loaded. It does what the Flask route and its hooks do, through the same functions: the request
id, the API key and its scope, the screening, the answer recorded before it is sent (or 503),
the request's metrics and log line.

Everything else goes to Flask untouched, which stays the reference for every answer and every
error: another path or method, another content type, a body too large, not JSON or not plain,
a missing or wrong key (401/403 come from Flask), no list loaded yet. The lane is off with a
rate limit (REDIS_URL) or LOG_QUERIES, whose per-request work only the Flask hooks do.
tests/web/test_lane.py checks that both faces give the same answers.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import orjson

from service.auth import OPEN_CALLER, Caller, KeyRing
from service.screening import run
from service.serving import Serving
from service.web import audit, observe, render
from service.web.access import presented_key
from service.web.errors import (
    INTERNAL_DETAIL,
    PROBLEM_JSON,
    ApiProblem,
    log_problem,
    problem_body,
)
from service.web.screen import plain_request

PATH = "/v1/screen"
_JSON = "application/json"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ScreenLane:
    def __init__(
        self, app: WsgiApp, state: Serving, ring: KeyRing, max_body_bytes: int | None
    ) -> None:
        self.app = app
        self.state = state
        self.ring = ring
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        answered = self._answer(environ, started)
        if answered is None:
            return self.app(environ, start_response)
        status, headers, body = answered
        start_response(status, headers)
        return [body]

    def _answer(
        self, environ: dict[str, Any], started: float
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(status line, headers, body), or None for Flask to answer."""
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.partition(";")[0].strip().lower() != _JSON:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None  # chunked, or no length: Flask reads and judges it
        if length <= 0 or (self.max_body_bytes is not None and length > self.max_body_bytes):
            return None
        raw = environ["wsgi.input"].read(length)
        # From here on, Flask must be able to read the body again if it is to answer.
        environ["wsgi.input"] = io.BytesIO(raw)
        state = self.state
        index = state.index
        if index is None:
            return None
        caller = OPEN_CALLER
        if self.ring.enabled:
            headers = environ.get("HTTP_AUTHORIZATION", ""), environ.get("HTTP_X_API_KEY")
            key = presented_key(*headers)
            known = self.ring.authenticate(key) if key else None
            if known is None or "screen" not in known.scopes:
                return None
            caller = known
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        request = plain_request(data)
        if request is None:
            return None
        rid = observe.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        try:
            outcome = run(request, state.context(index))
            text = orjson.dumps(render.screening(outcome, index)).decode()
            record = audit.record_for(outcome, data, text, "single", caller=caller)
            audit.store([record], state.recorder)
        except ApiProblem as problem:  # the store could not keep the answer: 503
            return self._problem(environ, started, caller, rid, problem, problem.__cause__)
        except Exception as exc:  # as Flask's handler answers it: logged, no trace sent
            failed = ApiProblem(500, "Internal Server Error", INTERNAL_DETAIL)
            return self._problem(environ, started, caller, rid, failed, exc)
        self._finish(environ, started, 200, caller, rid)
        answer = text.encode()
        return "200 OK", _headers(_JSON, answer, rid), answer

    def _problem(
        self,
        environ: dict[str, Any],
        started: float,
        caller: Caller,
        rid: str,
        problem: ApiProblem,
        cause: BaseException | None,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        log_problem(rid, f"POST {PATH}", problem.status, problem.title, cause)
        body = json.dumps(
            problem_body(problem.status, problem.title, problem.detail, request_id=rid)
        ).encode()
        self._finish(environ, started, problem.status, caller, rid)
        status = f"{problem.status} {HTTPStatus(problem.status).phrase.upper()}"
        extra = list((problem.headers or {}).items())
        return status, _headers(PROBLEM_JSON, body, rid, extra), body

    def _finish(
        self, environ: dict[str, Any], started: float, status: int, caller: Caller, rid: str
    ) -> None:
        line = None
        if observe.access_log.isEnabledFor(logging.INFO):
            line = observe.request_line(
                rid, "POST", PATH, status, caller, environ.get("REMOTE_ADDR")
            )
        observe.done(started, PATH, "POST", status, line)


def _headers(
    content_type: str, body: bytes, rid: str, extra: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    # As Flask sends them: the type, the length, the problem's own headers, the request id.
    return [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        *(extra or ()),
        ("X-Request-Id", rid),
    ]
