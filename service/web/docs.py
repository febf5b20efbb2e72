"""GET /openapi.yaml (the contract) and GET /docs (the same, for people)."""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response

from service.web.access import public
from service.web.openapi import build_spec, spec_yaml

bp = Blueprint("docs", __name__)


@bp.get("/openapi.yaml")
@public
def openapi_yaml() -> Response:
    return Response(spec_yaml(), mimetype="application/yaml")


@bp.get("/docs")
@public
def docs() -> Response:
    return Response(_render(build_spec()), mimetype="text/html")


def _render(spec: dict[str, Any]) -> str:
    info = spec["info"]
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            codes = ", ".join(
                f"{code} {html.escape(r.get('description', ''))}"
                for code, r in op.get("responses", {}).items()
            )
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op.get('summary', ''))}</td><td>{codes}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(info['title'])}</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "td{border-top:1px solid #ccc;padding:.4em;vertical-align:top}</style></head><body>"
        f"<h1>{html.escape(info['title'])}</h1><p>{html.escape(info['description'])}</p>"
        '<p>Machine-readable contract: <a href="/openapi.yaml">openapi.yaml</a> (OpenAPI 3.1).</p>'
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Answers</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
