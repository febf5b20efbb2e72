"""Problem documents (RFC 9457): the one shape every face reports an error in, whether the web
layer answers it, a batch item carries it or a CSV row's line does."""

from __future__ import annotations

from typing import Any

VALIDATION_TYPE = "urn:vessel-screen:problem:validation"
CSV_TYPE = "urn:vessel-screen:problem:csv"


def problem_body(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    errors: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return body


def validation_detail(errors: dict[str, Any]) -> str:
    """One sentence naming each bad field; a complaint about the request as a whole
    (marshmallow's `_schema`) is said in its own words, not by that key."""
    named = sorted(str(name) for name in errors if name not in ("_schema", "row"))
    whole = [m for key in ("_schema", "row") for m in _messages(errors.get(key))]
    parts = [f"These fields are not valid: {', '.join(named)}."] if named else []
    parts.extend(whole)
    return " ".join(parts) or "The request is not valid."


def _messages(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(m) for m in value] if isinstance(value, list) else [str(value)]
