"""GET / (the analyst's page) and GET /static/<path> (its script, style and icon).

Plain files from `service/web/static/`, no build step. Every answer carries a strict
Content-Security-Policy: the page loads nothing but these files and talks only to this service.
`index.html` is never cached; it names each asset with a digest of its content (`?v=`), so an
asset asked for with the digest it has now may be cached for good, and an upgrade is seen at once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import NotFound

from service.web.access import public

bp = Blueprint("ui", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Werkzeug adds `; charset=utf-8` to the text types.
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
NO_CACHE = "no-cache"
FOREVER = "public, max-age=31536000, immutable"

# `/static/app.js` in index.html, in a src or href attribute, to be given its digest.
_ASSET_REF = re.compile(r'((?:src|href)=")/static/([A-Za-z0-9._-]+)(")')


def _digest(name: str) -> str | None:
    path = STATIC_DIR / name
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def render_index() -> str:
    """index.html with each local asset reference carrying its content digest."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    def versioned(match: re.Match[str]) -> str:
        digest = _digest(match.group(2))
        suffix = f"?v={digest}" if digest else ""
        return f"{match.group(1)}/static/{match.group(2)}{suffix}{match.group(3)}"

    return _ASSET_REF.sub(versioned, page)


@bp.get("/")
@public
def index() -> Response:
    response = Response(render_index(), mimetype=MEDIA_TYPES[".html"])
    response.headers["Cache-Control"] = NO_CACHE
    return _secure(response)


@bp.get("/static/<path:filename>")
@public
def static(filename: str) -> Response:
    """A file of the page. Also answers for Flask's own `static` endpoint (see below)."""
    media_type = MEDIA_TYPES.get(Path(filename).suffix.lower())
    if media_type is None:
        raise NotFound()
    # send_from_directory refuses paths that leave the folder (404).
    response = send_from_directory(STATIC_DIR, filename, mimetype=media_type, max_age=0)
    asked = request.args.get("v")
    current = asked is not None and asked == _digest(filename)
    response.headers["Cache-Control"] = FOREVER if current else NO_CACHE
    response.headers.pop("Expires", None)
    return _secure(response)


@bp.record_once
def _take_over_flask_static(state: BlueprintSetupState) -> None:
    """Flask gives every app a `/static/<path:filename>` rule of its own, matched before this
    blueprint's, serving the (absent) `service/static/`; let it answer with these files."""
    if "static" in state.app.view_functions:
        state.app.view_functions["static"] = static
