"""The analyst's page in a real headless Chromium (Debian's `chromium`, driven by Playwright).

The service runs in a thread on a free port of 127.0.0.1 with the bundled sample lists and port
calls. Any request the page makes to another host is refused and fails the test. Screenshots go
to docs/ for the README.

Without Chromium or Playwright these tests skip on a user's machine and FAIL when CI=true
(`make test` installs Chromium where it can: the `browser` target of the Makefile).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUNDLED_LISTS, REPO_ROOT, in_ci

DOCS = REPO_ROOT / "docs"


def _screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """The page as a picture: into docs/ only when UPDATE_SCREENSHOTS=1 (refreshing the docs'
    pictures is a deliberate act), else beside the test, so a test run leaves the tree as it
    found it."""
    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    page.mouse.move(0, 0)  # no hover colour in the picture
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 10_000  # a real rendering, not a blank page


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}, and CI=true needs the browser tests to run", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    _unavailable("Chromium is not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


try:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Page,
        Response,
        Route,
        expect,
        sync_playwright,
    )
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service, as create_app() builds it, served by werkzeug in a thread."""
    from werkzeug.serving import make_server

    from service import create_app

    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path_factory.mktemp("data"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("Python's playwright is not installed (pip install -e '.[test]')")
    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class PageProblems:
    """What went wrong in the page: script errors, console errors, requests to other hosts."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []


@pytest.fixture()
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture()
def page(browser: Browser, base_url: str, problems: PageProblems) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)

    def only_this_service(route: Route) -> None:
        if route.request.url.startswith(base_url + "/"):
            route.continue_()
        else:
            problems.outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_service)
    page_ = context.new_page()
    page_.on("pageerror", lambda exc: problems.errors.append(f"page error: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        # Chromium logs every 4xx of a fetch; the API's are expected, and judged by the test.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.errors.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and "/v1/" not in response.url:
            problems.errors.append(f"{response.status} for {response.url}")

    page_.on("console", on_console)
    page_.on("response", on_response)
    page_.goto("/")
    expect(page_.locator("#lists-info")).to_contain_text("us-ofac-sdn-sample")
    yield page_
    context.close()
    # A CSP violation, a script error or a request elsewhere shows up here.
    assert problems.errors == []
    assert problems.outside == []


def _screen(page: Page, name: str) -> None:
    page.get_by_label("Vessel name").fill(name)
    page.get_by_role("button", name="Screen", exact=True).click()


def _timeline(page: Page) -> list[dict[str, Any]]:
    items = page.locator("#history ol.timeline > li")
    return [
        {
            "locode": item.get_attribute("data-locode"),
            "risky": "risky" in (item.get_attribute("class") or ""),
            "text": item.inner_text(),
            "arrived": item.locator("time").get_attribute("datetime"),
        }
        for item in items.all()
    ]


def test_screen_lady_r_shows_the_match_and_the_risky_rajin_call(
    page: Page, tmp_path: Path
) -> None:
    expect(page.get_by_label("Port-call window (days)")).to_have_value("3650")
    _screen(page, "LADY R")

    banner = page.locator("#result-status .decision-banner")
    expect(banner).to_contain_text("Decision: Match")
    expect(banner).to_have_class("decision-banner decision-match")
    # Colour as well as words: the match banner is red.
    expect(banner).to_have_css("color", "rgb(143, 29, 20)")
    expect(banner).to_have_css("background-color", "rgb(253, 228, 225)")
    rows = page.locator("#matches-table tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("th, td").all_inner_texts()
    assert cells[:5] == ["1.00", "Match", "LADY R", "LADY R", "9161003"]
    assert cells[5:7] == ["RU", "us-ofac-sdn-sample"]
    assert "sanctioned jurisdiction" in cells[7]
    headers = page.locator("#matches-table thead th")
    expect(headers).to_have_text(
        ["Score", "Decision", "Name", "Matched name", "IMO", "Flag", "Lists", "Risk flags"]
    )
    for scope in page.locator("#matches-table thead th").all():
        assert scope.get_attribute("scope") == "col"

    rows.first.locator("td").first.click()  # anywhere on the row
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail).to_be_focused()
    expect(page.locator("#detail-heading")).to_have_text("Details: LADY R")
    expect(detail.locator("dl.fields").first).to_contain_text("TRANSMORFLOT LLC")
    # The reported calls of 2024 and the bundled AIS sample's recent ones, both flagged.
    expect(detail.locator(".risk-details")).to_contain_text(
        "3 calls in sanctioned jurisdictions: North Korea: Rajin (KPRJN)"
    )
    # The whole history from GET /v1/vessels/{entity_id}, newest first, risky calls marked.
    expect(detail.locator("#history")).to_contain_text("The whole history on record: 5 call(s)")
    calls = _timeline(page)
    assert [c["locode"] for c in calls] == ["KPRJN", "RUVYP", "KPRJN", "RUVYP", "KPRJN"]
    assert [c["arrived"] for c in calls] == sorted((c["arrived"] for c in calls), reverse=True)
    newest, reported = calls[0], calls[2]
    assert newest["risky"] and "Source: ais:" in newest["text"]
    assert "Rajin" in reported["text"] and "North Korea (KP)" in reported["text"]
    assert "2024-03-10" in reported["text"]
    assert "sanctioned jurisdiction" in reported["text"]
    assert "Source: press: Newsweek/NK Pro" in reported["text"]
    assert "port named in sanctions actions" in calls[1]["text"]
    rajin = page.locator("#history li.call.risky", has_text="KPRJN").first
    expect(rajin.locator(".badge.risk")).to_have_text("⚠ sanctioned jurisdiction")

    _screenshot(page, "screen-lady-r.png", tmp_path)


def test_review_and_clear_have_their_own_colour_and_words(page: Page) -> None:
    banner = page.locator("#result-status .decision-banner")
    _screen(page, "ANGRA")  # ANGARA less a letter, in a name of five: a review
    expect(banner).to_contain_text("Decision: Review")
    expect(banner).to_have_css("background-color", "rgb(255, 242, 198)")
    expect(page.locator("#matches-table tbody tr")).to_have_count(1)
    expect(page.locator("#matches-table tbody td").nth(1)).to_have_text("Review")

    page.get_by_label("IMO number").fill("9161015")
    _screen(page, "NORDIC SPIRIT")
    expect(banner).to_contain_text("Decision: Clear")
    expect(banner).to_have_css("background-color", "rgb(221, 243, 228)")
    expect(page.locator("#matches-table")).to_have_count(0)
    expect(page.locator("#result-body")).to_contain_text("No listed ship scored high enough")


def test_warnings_are_shown_with_the_answer(page: Page) -> None:
    page.get_by_label("IMO number").fill("9161004")
    page.get_by_label("Flag", exact=True).fill("Atlantis")
    _screen(page, "LADY R")
    expect(page.locator("#result-status .decision-banner")).to_contain_text("Decision: Match")
    warnings = page.locator(".warnings li")
    expect(warnings).to_have_count(2)
    expect(warnings.nth(0)).to_contain_text("'9161004' is not a valid IMO number")
    expect(warnings.nth(1)).to_contain_text("'Atlantis' is not a recognised country")
    expect(page.locator(".echo")).to_contain_text("IMO 9161004 (check digit fails)")


def test_a_query_without_name_imo_or_mmsi_is_explained_not_sent(page: Page) -> None:
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if "/v1/screen" in request.url else None
    )
    page.get_by_label("Flag", exact=True).fill("Russia")
    page.get_by_role("button", name="Screen", exact=True).click()
    expect(page.locator("#result-status .problem-title")).to_have_text("Nothing to screen")
    expect(page.get_by_label("Vessel name")).to_be_focused()
    assert sent == []


def test_keyboard_alone_screens_and_opens_a_match(page: Page) -> None:
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    name = page.get_by_label("Vessel name")
    expect(name).to_be_focused()
    # Focus is visible: the outline the style sheet gives :focus-visible.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type("MAIA-1")
    page.keyboard.press("Enter")
    expect(page.locator("#result-status .decision-banner")).to_contain_text("Decision: Match")

    button = page.locator("#matches-table .row-button").first
    expect(button).to_have_text("MAIA-1")
    for _ in range(40):  # Tab through the form to the first row's button
        if page.evaluate("document.activeElement.classList.contains('row-button')"):
            break
        page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#history")).to_contain_text("The whole history on record")
    calls = _timeline(page)
    # The reported call of 2024 and the AIS sample's recent one.
    assert [c["locode"] for c in calls] == ["KPRJN", "KPRJN"]
    assert all(c["risky"] for c in calls)


def _download_rows(page: Page, tmp_path: Path) -> list[dict[str, str]]:
    link = page.get_by_role("link", name="Download the results (screening-results.csv)")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "screening-results.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))


def test_csv_upload_shows_progress_and_downloads_the_results(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "fleet.csv"
    upload.write_text(
        "Vessel name,IMO number,flag,ref\n"
        'LADY R,,Russia,"case, 1"\n'
        "NORDIC SPIRIT,9161015,NO,case 2\n"
        ",9358010,,case 3\n",
        encoding="utf-8",
    )
    page.get_by_label("CSV file", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and screen").click()

    expect(page.locator("#csv-progress-text")).to_have_text("Done: 3 row(s) screened.")
    progress = page.locator("#csv-progress")
    expect(progress).to_be_visible()
    assert progress.evaluate("bar => bar.value === bar.max")
    expect(page.locator("#csv-cancel")).to_be_hidden()
    # LADY R's row carries the AIS sample's behaviour flags, so the preview shows the column.
    expect(page.locator("#csv-preview thead th")).to_have_text(
        ["Row", "Vessel name", "Decision", "Best match", "IMO", "Score", "Risk flags"]
    )
    preview = page.locator("#csv-preview tbody tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(0)).to_contain_text("Match")
    expect(preview.nth(1)).to_contain_text("Clear")
    expect(page.locator(".csv-counts")).to_contain_text("Match 2")

    _screenshot(page, "csv-upload.png", tmp_path)

    rows = _download_rows(page, tmp_path)
    assert [row["row"] for row in rows] == ["1", "2", "3"]
    assert [row["decision"] for row in rows] == ["match", "clear", "match"]
    assert [row["match_imo"] for row in rows] == ["9161003", "", "9358010"]
    assert rows[0]["ref"] == "case, 1"
    assert rows[0]["Vessel name"] == "LADY R"
    assert rows[2]["match_name"] == "MAIA-1"
    assert all(row["error"] == "" for row in rows)


def test_a_refused_csv_shows_the_problem(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "nothing.csv"
    upload.write_text("colour,size\nred,3\n", encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and screen").click()
    problem = page.locator("#csv-error .problem")
    expect(problem).to_be_visible()
    expect(problem.locator(".problem-title")).to_have_text("422 No usable column")
    expect(problem.locator(".problem-detail")).to_contain_text("No column gives a vessel's name")
    expect(problem.locator(".problem-fields li")).to_contain_text(["header: No column gives"])
    expect(page.locator("#csv-download-wrap")).to_be_hidden()
    expect(page.locator("#csv-progress-text")).to_have_text("The file was not screened.")


def test_a_401_asks_for_a_key_and_sends_it_as_a_bearer_token(page: Page) -> None:
    """Keys may be off on this server, so the first answer is a 401 made up in the browser."""
    sent: list[str | None] = []

    def guarded(route: Route) -> None:
        key = route.request.headers.get("authorization")
        sent.append(key)
        if key is None:
            route.fulfill(
                status=401,
                content_type="application/problem+json",
                headers={"WWW-Authenticate": 'Bearer realm="vessel-screen"'},
                body='{"type": "about:blank", "title": "Unauthorized", "status": 401,'
                ' "detail": "Send a valid API key."}',
            )
        else:
            route.continue_()

    page.route("**/v1/screen", guarded)
    _screen(page, "LADY R")
    expect(page.locator("#result-status .problem-title")).to_have_text("401 Unauthorized")
    key_input = page.get_by_role("textbox", name="API key")
    expect(key_input).to_be_visible()
    expect(key_input).to_be_focused()
    key_input.fill("vs_test_key_123")
    page.keyboard.press("Enter")  # saves the key and screens again with it
    expect(page.locator("#result-status .decision-banner")).to_contain_text("Decision: Match")
    assert sent == [None, "Bearer vs_test_key_123"]
    stored = page.evaluate("sessionStorage.getItem('vessel-screen-api-key')")
    assert stored == "vs_test_key_123"


def test_an_imo_with_a_bad_check_digit_is_never_a_green_clear(page: Page) -> None:
    banner = page.locator("#result-status .decision-banner")
    page.locator("#f-imo").fill("9161004")  # LADY R's IMO, last digit wrong
    page.get_by_role("button", name="Screen", exact=True).click()
    expect(banner).to_contain_text("Decision: Review")
    expect(banner).to_have_css("background-color", "rgb(255, 242, 198)")  # review, not clear
    reason = page.locator("#result-status .decision-reason")
    expect(reason).to_contain_text("Not screened in full")
    expect(reason).to_contain_text("IMO 9161003 (LADY R")
