"""Every error as `application/problem+json` (RFC 9457); never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, has_request_context, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from service.problems import VALIDATION_TYPE, problem_body, validation_detail

log = logging.getLogger("service.web")

PROBLEM_JSON = "application/problem+json"
INTERNAL_DETAIL = (
    "The service failed to answer this request; it has been logged with its request id."
)


class ApiProblem(Exception):
    """An error the core or a route wants answered as a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        type_: str = "about:blank",
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.headers = headers


def problem(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, title, detail, type_, errors, g.get("request_id"))
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def validation_problem(errors: dict[str, Any]) -> ApiProblem:
    """A 422 naming each bad field; a complaint about the body as a whole (marshmallow's
    `_schema`) is said in words, not by that key."""
    return ApiProblem(422, "Invalid request", validation_detail(errors), VALIDATION_TYPE, errors)


def _logged(status: int, title: str, cause: BaseException | None = None) -> None:
    """Each error answer is logged once, here, with the request id the caller was given
    (X-Request-Id); never the body, which may be confidential."""
    rid = g.get("request_id", "-")
    where = f"{request.method} {request.path}" if has_request_context() else "-"
    log_problem(rid, where, status, title, cause)


def log_problem(
    rid: str, where: str, status: int, title: str, cause: BaseException | None = None
) -> None:
    if status >= 500:
        log.error("%s %s -> %d %s", rid, where, status, title, exc_info=cause)
    else:
        log.info("%s %s -> %d %s", rid, where, status, title)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem) -> Response:
        _logged(exc.status, exc.title, exc.__cause__)
        return problem(exc.status, exc.title, exc.detail, exc.type, exc.errors, exc.headers)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if isinstance(exc, InternalServerError):
            return _unexpected(exc)
        status = exc.code or 500
        # Keep headers that belong to the status (Allow on 405, Retry-After on 429 ...).
        headers = {
            k: v
            for k, v in exc.get_headers()
            if k.lower() not in ("content-type", "content-length")
        }
        title = exc.name or "Error"
        _logged(status, title)
        return problem(status, title, _plain_detail(exc), headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        original = getattr(exc, "original_exception", None) or exc
        _logged(500, "Internal Server Error", original)
        return problem(500, "Internal Server Error", INTERNAL_DETAIL)


def _plain_detail(exc: HTTPException) -> str:
    details = {
        404: "There is nothing at this path.",
        405: "This path does not accept this method.",
        413: "The request body is larger than this service accepts.",
        415: "Send the body as application/json.",
    }
    return details.get(exc.code or 0, exc.description or exc.name or "")
