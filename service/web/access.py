"""Who may call what: API keys and scopes, and the per-key rate limit, before every route.

Health, readiness, the contract and the docs page need no key. Screening needs `screen`,
reading lists, vessels, screenings and alerts needs `read`, and everything that changes the
service's data needs `admin`.
"""

from __future__ import annotations

from flask import Flask, g, request

from service.auth import OPEN_CALLER, KeyRing, Scope
from service.ratelimit import RateLimiter
from service.web.errors import ApiProblem

PUBLIC = frozenset({"/healthz", "/readyz", "/openapi.yaml", "/docs", "/", "/metrics"})


def required_scope(rule: str, method: str) -> Scope | None:
    """The scope a route needs; None for the public ones. Unknown writes default to admin."""
    if rule in PUBLIC or rule.startswith("/static/") or rule.startswith("/ui/"):
        return None
    if method == "POST" and rule.startswith("/v1/screen"):
        return "screen"
    if method in ("GET", "HEAD"):
        return "read"
    return "admin"


def presented_key(authorization: str, x_api_key: str | None) -> str | None:
    """The API key in a request's `Authorization: Bearer` or `X-API-Key` header."""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return x_api_key or None


def install(app: Flask, ring: KeyRing, limiter: RateLimiter | None) -> None:
    @app.before_request
    def _check_access() -> None:
        rule = request.url_rule
        g.caller = OPEN_CALLER
        if rule is None:
            return  # 404 or 405 follows
        scope = required_scope(rule.rule, request.method)
        if scope is None:
            return
        if ring.enabled:
            key = presented_key(
                request.headers.get("Authorization", ""), request.headers.get("X-API-Key")
            )
            caller = ring.authenticate(key) if key else None
            if caller is None:
                raise ApiProblem(
                    401,
                    "Unauthorized",
                    "Send a valid API key as `Authorization: Bearer <key>` or `X-API-Key`.",
                    headers={"WWW-Authenticate": 'Bearer realm="vessel-screen"'},
                )
            if scope not in caller.scopes:
                raise ApiProblem(
                    403, "Forbidden", f"This API key lacks the `{scope}` scope for this request."
                )
            g.caller = caller
        if limiter is not None:
            who = g.caller.key_id or request.remote_addr or "unknown"
            verdict = limiter.check(who)
            g.rate = verdict
            if not verdict.allowed:
                raise ApiProblem(
                    429,
                    "Too Many Requests",
                    f"More than {verdict.limit} requests a minute; retry after "
                    f"{verdict.retry_after} s.",
                    headers={"Retry-After": str(verdict.retry_after)},
                )
