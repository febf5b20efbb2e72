"""Who may call what: API keys and scopes, and the per-key rate limit, before every route.

Each view function declares what it needs with `@scope(...)` or `@public`; the check before
every request reads the declaration of the matched endpoint, and `create_app` refuses a route
that declares nothing, so a new route cannot ship with whatever scope its URL happens to imply.
The OpenAPI document's security comes from the same declarations (`declared_routes`).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, g, request

from service.auth import OPEN_CALLER, KeyRing, Scope
from service.ratelimit import RateLimiter
from service.web.errors import ApiProblem

View = TypeVar("View", bound=Callable[..., Any])

_DECLARED = "_vessel_screen_scope"
# Flask's own `/static/<path:filename>` route, added by Flask itself: plain files, public.
FLASK_STATIC = "static"
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


class UndeclaredRoute(LookupError):
    """A view function without `@scope(...)` or `@public`."""


def scope(name: Scope) -> Callable[[View], View]:
    """Declare that a view needs an API key with the scope `name` (when keys are configured)."""

    def declare(view: View) -> View:
        setattr(view, _DECLARED, name)
        return view

    return declare


def public(view: View) -> View:
    """Declare that a view needs no key."""
    setattr(view, _DECLARED, None)
    return view


def declared_scope(view: Callable[..., Any], endpoint: str) -> Scope | None:
    """The scope `view` declares, None for a public one; UndeclaredRoute if it declares none."""
    if endpoint == FLASK_STATIC:
        return None
    try:
        declared: Scope | None = getattr(view, _DECLARED)
    except AttributeError:
        raise UndeclaredRoute(
            f"the view of endpoint {endpoint!r} declares no scope: "
            "decorate it with @scope(...) or @public from service.web.access"
        ) from None
    return declared


def route_scopes(app: Flask) -> dict[tuple[str, str], Scope | None]:
    """(path as OpenAPI writes it, method) to the declared scope, for every route of `app`."""
    scopes: dict[tuple[str, str], Scope | None] = {}
    for rule in app.url_map.iter_rules():
        needed = declared_scope(app.view_functions[rule.endpoint], rule.endpoint)
        path = _PARAMETER.sub(r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            scopes[path, method] = needed
    return scopes


@lru_cache(maxsize=1)
def declared_routes() -> dict[tuple[str, str], Scope | None]:
    """`route_scopes` of a bare app holding every blueprint of `service.web`: no store, no lists.

    The blueprints are found by module, not listed, so this needs no list of its own to keep in
    step with `create_app`; a route missing here is missing from the contract, and `_secure`
    in `openapi.py` fails on it.
    """
    import service.web

    app = Flask("service")
    for info in pkgutil.iter_modules(service.web.__path__):
        blueprint = getattr(importlib.import_module(f"service.web.{info.name}"), "bp", None)
        if isinstance(blueprint, Blueprint):
            app.register_blueprint(blueprint)
    return route_scopes(app)


def required_scope(rule: str, method: str) -> Scope | None:
    """The scope a route declares, by its Flask rule; None for a public one."""
    return declared_routes()[_PARAMETER.sub(r"{\1}", rule), method]


def presented_key(authorization: str, x_api_key: str | None) -> str | None:
    """The API key in a request's `Authorization: Bearer` or `X-API-Key` header."""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return x_api_key or None


def _refuse_undeclared_routes(app: Flask) -> None:
    """Raise, while the app is built, on any route whose view declares no scope."""
    for endpoint, view in app.view_functions.items():
        declared_scope(view, endpoint)
    add_url_rule = app.add_url_rule

    def checked(
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None:
            declared_scope(view_func, endpoint or view_func.__name__)
        add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    # Blueprints register their routes through the app's add_url_rule, so this sees them all.
    app.add_url_rule = checked  # type: ignore[method-assign]


def install(app: Flask, ring: KeyRing, limiter: RateLimiter | None) -> None:
    """Check every request's key and rate; call before the blueprints are registered."""
    _refuse_undeclared_routes(app)

    @app.before_request
    def _check_access() -> None:
        g.caller = OPEN_CALLER
        if request.url_rule is None or request.endpoint is None:
            return  # 404 or 405 follows
        try:
            needed = declared_scope(current_app.view_functions[request.endpoint], request.endpoint)
        except UndeclaredRoute:
            # Routes are checked as they are added; one that slips past is closed, not open.
            raise ApiProblem(403, "Forbidden", "This route declares no scope.") from None
        if needed is None:
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
            if needed not in caller.scopes:
                raise ApiProblem(
                    403, "Forbidden", f"This API key lacks the `{needed}` scope for this request."
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
