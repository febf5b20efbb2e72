"""The analyst's page over HTTP, no browser: headers, assets, and what the page may load."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.web import ui

STATIC = Path(ui.__file__).resolve().parent / "static"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}


def _page(client: FlaskClient) -> str:
    answer = client.get("/")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_the_page_is_served_at_the_root_with_a_strict_policy(client: FlaskClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = answer.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Nothing may loosen the policy: no inline code, no eval, no other origin.
    assert "unsafe" not in policy
    assert not re.search(r"https?:|\*|data:|blob:", policy)
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "<h1>Vessel sanctions screening</h1>" in answer.get_data(as_text=True)
    assert client.head("/").status_code == 200


def test_assets_are_named_with_their_digest_and_load(client: FlaskClient) -> None:
    tags = _tags(_page(client)).tags
    refs = [a.get("src") or a.get("href") for t, a in tags if t in ("script", "link")]
    assert {ref.split("?")[0] for ref in refs if ref} == {f"/static/{name}" for name in ASSETS}
    for ref in refs:
        assert ref is not None and re.fullmatch(r"/static/[a-z.]+\?v=[0-9a-f]{16}", ref), ref
        answer = client.get(ref)
        assert answer.status_code == 200, ref
        name = ref.split("?")[0].rsplit("/", 1)[1]
        assert answer.headers["Content-Type"] == ASSETS[name]
        assert answer.get_data() == (STATIC / name).read_bytes()
        assert "immutable" in answer.headers["Cache-Control"]
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_an_asset_asked_without_its_current_digest_is_not_cached(client: FlaskClient) -> None:
    for path in ("/static/app.js", "/static/app.js?v=0000000000000000"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.headers["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/nothing.js",
        "/static/../ui.py",
        "/static/%2e%2e/ui.py",
        "/static/..%2fui.py",
        "/static/index",
        "/static/",
    ],
)
def test_nothing_but_the_page_files_is_served(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


def test_the_page_and_its_assets_reference_no_other_host() -> None:
    files = sorted(p for p in STATIC.iterdir() if p.is_file())
    assert {p.name for p in files} >= {"index.html", *ASSETS}
    for path in files:
        text = path.read_bytes().decode("latin-1")
        assert not re.search(r"https?://", text, re.IGNORECASE), path.name
        # Protocol-relative addresses and CSS imports would leave the service too.
        assert not re.search(r"""(?:src|href|action)\s*=\s*["']//""", text), path.name
        assert not re.search(r"""url\(\s*["']?(?!/static/)[a-z]*:?//""", text), path.name
        assert "@import" not in text, path.name


def test_the_page_needs_no_inline_code_and_writes_data_only_as_text() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    parser = _tags(html)
    assert parser.script_text == [], "inline script would need 'unsafe-inline'"
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        assert tag != "style"
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "new Function" not in script
    assert 'setAttribute("on' not in script


def test_every_input_has_a_label_and_the_page_has_landmarks() -> None:
    parser = _tags((STATIC / "index.html").read_text(encoding="utf-8"))
    labelled = {attrs.get("for") for tag, attrs in parser.tags if tag == "label"}
    inputs = [attrs for tag, attrs in parser.tags if tag in ("input", "select", "textarea")]
    assert len(inputs) >= 9
    for attrs in inputs:
        assert attrs.get("id") in labelled or attrs.get("aria-label"), attrs
    by_id = {attrs.get("id"): (tag, attrs) for tag, attrs in parser.tags if attrs.get("id")}
    skip = next(attrs for tag, attrs in parser.tags if "skip-link" in (attrs.get("class") or ""))
    assert (skip.get("href") or "#")[1:] in by_id
    assert by_id["f-window"][1]["value"] == "3650"
    live = [attrs["id"] for tag, attrs in parser.tags if attrs.get("aria-live") == "polite"]
    assert {"result-status", "csv-progress-text"} <= set(live)
    assert {tag for tag, _ in parser.tags} >= {"main", "header", "footer", "h1", "form"}
    assert parser.tags[0] == ("html", {"lang": "en"})


def test_the_page_and_its_files_are_public_when_keys_are_required() -> None:
    from service.web.access import required_scope

    assert required_scope("/", "GET") is None
    assert required_scope("/static/<path:filename>", "GET") is None
