"""A matched ship's AIS track on the analyst's page, in the same headless Chromium as
test_browser.py (its service, browser and page fixtures, so its checks hold here too: no script
error, no CSP violation, no request to another host).

The service serves the bundled AIS sample (`ais/` at the repo root): LADY R calls at Vostochny
and Rajin, goes dark at sea and meets another ship. What the page must show is read from the
service's own answers where the sample decides it (the other ship's name, how many events), so
the test checks that the page draws what the API says, not one version of the sample.

One test feeds the page answers made up in the browser (`page.route`) in the shapes the API
contract allows but the sample lacks: a position jump, an identity change, evidence under the
contract's other field names, a thinned track.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.web import test_browser as browser_tests

# Without Playwright the fixtures skip these tests (or fail them under CI=true).
with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, Route, expect

# The fixtures of test_browser.py, bound here so that pytest finds them for this module.
base_url = browser_tests.base_url
browser = browser_tests.browser
problems = browser_tests.problems
page = browser_tests.page

LADY_R = "us-ofac-sdn-sample:37095"
# The page's risk colour, --match-line in app.css.
RISK_RED = "rgb(214, 69, 58)"


def _open_first_match(page: Page, name: str) -> None:
    browser_tests._screen(page, name)
    expect(page.locator("#result-status .decision-banner")).to_be_visible()
    page.locator("#matches-table tbody tr").first.locator("td").first.click()
    expect(page.locator("#detail")).to_be_visible()


def _polyline_points(page: Page) -> list[int]:
    return page.locator("#track-map svg .track-line").evaluate_all(
        "lines => lines.map(l => l.getAttribute('points').trim().split(/\\s+/).length)"
    )


def _event_items(page: Page) -> list[dict[str, Any]]:
    items = page.locator("#track-events > li")
    return [
        {
            "kind": item.get_attribute("data-kind"),
            "start": item.get_attribute("data-start"),
            "locode": item.get_attribute("data-locode"),
            "text": item.inner_text(),
        }
        for item in items.all()
    ]


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_lady_r_track_is_drawn_with_its_port_calls_gap_and_meeting(
    page: Page, tmp_path: Path
) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/track" in r.url else None)
    with page.expect_response(re.compile(r"/v1/vessels/[^/]+$")) as vessel_answer:
        _open_first_match(page, "LADY R")
    vessel = vessel_answer.value.json()
    assert vessel["entity_id"] == LADY_R
    assert vessel["track"]["points"] > 100

    map_ = page.locator("#track-map svg")
    expect(map_).to_be_visible()
    assert len(asked) == 1 and "limit=2000" in asked[0]
    # Described for a screen reader: what the picture is, and what is on it.
    expect(map_).to_have_attribute("role", "img")
    label = map_.get_attribute("aria-label") or ""
    assert "AIS track of LADY R" in label
    assert "Rajin (KPRJN)" in label and "Vostochny (RUVYP)" in label
    expect(map_.locator("title").first).to_have_text("AIS track of LADY R")
    expect(map_.locator(".graticule text").first).to_have_text(re.compile(r"°[NSEW]$"))

    # The track: many points, in lines broken where the ship went unseen.
    drawn = _polyline_points(page)
    assert sum(drawn) > 500, drawn
    assert len(drawn) >= 2, "the dark gap breaks the line"
    expect(page.locator("#track-summary")).to_contain_text("AIS position(s) from")

    # Port calls: Rajin (North Korea) in the risk colour, one marker a port.
    rajin = map_.locator(".event-marker[data-kind=port_call][data-locode=KPRJN]")
    expect(rajin).to_have_count(1)
    expect(rajin).to_have_class(re.compile(r"\brisky\b"))
    expect(rajin.locator(".marker-shape")).to_have_css("fill", RISK_RED)
    expect(rajin.locator(".marker-label")).to_have_text(re.compile(r"^Rajin \(KPRJN\)"))
    expect(map_.locator(".event-marker[data-kind=port_call][data-locode=RUVYP]")).to_have_count(1)

    # The dark gap: dashed, from where the ship vanished to where it came back.
    gap = map_.locator(".gap-line[data-kind=ais_gap]").first
    expect(gap).to_be_visible()
    assert gap.evaluate("g => getComputedStyle(g).strokeDasharray") not in ("", "none")
    ends = gap.evaluate("g => ['x1', 'y1', 'x2', 'y2'].map(a => Number(g.getAttribute(a)))")
    assert (ends[0], ends[1]) != (ends[2], ends[3])

    # The meeting, named after the other ship as the service names it.
    meetings = [e for e in vessel["events"] if e["kind"] == "ship_to_ship"]
    assert meetings
    other = meetings[0]["evidence"].get("other_name") or (
        meetings[0]["evidence"].get("other") or {}
    ).get("name")
    assert other
    meeting = map_.locator(".event-marker[data-kind=ship_to_ship]").first
    expect(meeting.locator(".marker-label")).to_have_text(f"meets {other}")

    # The events in words, oldest first, one item per event the service gave.
    items = _event_items(page)
    assert len(items) == len(vessel["events"])
    starts = [_when(item["start"]) for item in items]
    assert starts == sorted(starts)
    kinds = {item["kind"] for item in items}
    assert {"port_call", "ais_gap", "ship_to_ship"} <= kinds
    called = next(i for i in items if i["kind"] == "port_call" and i["locode"] == "KPRJN")
    assert re.search(r"Called at Rajin \(KPRJN\).* from .+ to .+", called["text"])
    assert "sanctioned jurisdiction" in called["text"]
    dark = next(i for i in items if i["kind"] == "ais_gap")
    gap_words = r"Dark for [\d.]+ (h|min) at sea between .+ and .+, [\d.,]+ nm apart"
    assert re.search(gap_words, dark["text"])
    alongside = next(i for i in items if i["kind"] == "ship_to_ship")
    meeting_words = rf"Alongside {re.escape(other)} \(MMSI \d{{9}}.*\) for .+ at sea"
    assert re.search(meeting_words, alongside["text"])
    risky = page.locator("#track-events > li.risky[data-locode=KPRJN]").first
    expect(risky).to_have_css("border-left-color", RISK_RED)

    browser_tests._screenshot(page, "track-lady-r.png", tmp_path)


def test_a_ship_without_ais_says_so_in_one_line(page: Page) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/track" in r.url else None)
    with page.expect_response(re.compile(r"/v1/vessels/[^/]+$")) as vessel_answer:
        _open_first_match(page, "SABITI")
    track = vessel_answer.value.json().get("track")
    assert not track or track["points"] == 0
    expect(page.locator("#track-none")).to_have_text("No AIS positions on record for this ship.")
    expect(page.locator("#track-map")).to_have_count(0)
    expect(page.locator("#track")).not_to_have_attribute("aria-busy", "true")
    assert asked == []


def test_a_track_that_cannot_be_read_shows_the_problem_and_the_events(page: Page) -> None:
    def refused(route: Route) -> None:
        route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"type": "about:blank", "title": "Service Unavailable", "status": 503,'
            ' "detail": "The track store is busy."}',
        )

    page.route(re.compile(r"/v1/vessels/[^/]+/track\?"), refused)
    _open_first_match(page, "LADY R")
    track = page.locator("#track")
    expect(track.locator(".problem-title")).to_have_text("503 Service Unavailable")
    expect(track).to_contain_text("The track could not be read")
    expect(page.locator("#track-events > li").first).to_be_visible()
    expect(page.locator("#track-map")).to_have_count(0)


# --- The contract's other shapes, made up in the browser ------------------------------------------

MMSI = "273445480"


def _event(kind: str, start: str, end: str, hours: float, **rest: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "mmsi": MMSI,
        "start": start,
        "end": end,
        "hours": hours,
        "lat": rest.pop("lat", None),
        "lon": rest.pop("lon", None),
        "evidence": rest.pop("evidence", {}),
        "source": "ais:made-up",
    }


def _made_up_answers() -> tuple[dict[str, Any], dict[str, Any]]:
    """A track across the antimeridian with a jump, an identity change, and evidence under the
    contract's field names (`port`, `from`/`to`, `other`) rather than the sample's."""
    points = [
        {
            "t": f"2025-03-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
            "lat": 51.0 + i * 0.02,
            "lon": 179.0 + i * 0.05 - (360 if 179.0 + i * 0.05 > 180 else 0),
            "sog": 10.0,
            "mmsi": MMSI,
        }
        for i in range(60)
    ]
    events = [
        _event(
            "port_call",
            "2025-03-01T00:00:00Z",
            "2025-03-01T05:00:00Z",
            5.0,
            lat=51.0,
            lon=179.0,
            evidence={"locode": "ZZABC", "port": "Abcport"},
        ),
        _event(
            "position_jump",
            "2025-03-01T10:00:00Z",
            "2025-03-01T10:10:00Z",
            0.17,
            lat=51.6,
            lon=-178.0,
            evidence={
                "from": {"lat": 51.2, "lon": 179.5},
                "to": {"lat": 51.6, "lon": -178.0},
                "distance_nm": 420.0,
                "seconds": 600,
                "implied_speed_kn": 2520.0,
                "returned": True,
            },
        ),
        _event(
            "ship_to_ship",
            "2025-03-02T01:00:00Z",
            "2025-03-02T05:00:00Z",
            4.0,
            lat=51.5,
            lon=-179.2,
            evidence={"other": {"mmsi": "445000001", "name": "ZZZ", "imo": "9000001"}},
        ),
        _event(
            "identity_change",
            "2025-03-02T06:00:00Z",
            "2025-03-02T07:00:00Z",
            1.0,
            evidence={"changes": {"name": {"from": "LADY R", "to": "LADY X"}}},
        ),
    ]
    track = {
        "entity_id": LADY_R,
        "mmsis": [MMSI],
        "from": points[0]["t"],
        "to": points[-1]["t"],
        "total": 6000,
        "downsampled": True,
        "points": points,
        "events": events,
    }
    summary = {"points": 6000, "first": points[0]["t"], "last": points[-1]["t"], "mmsis": [MMSI]}
    return {"events": events, "track": summary}, track


def test_every_event_kind_of_the_contract_is_drawn_and_worded(page: Page) -> None:
    extra, track = _made_up_answers()

    def vessel(route: Route) -> None:
        if "/track" in route.request.url:
            route.fulfill(json=track)
            return
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), **extra})

    page.route(re.compile(r"/v1/vessels/"), vessel)
    _open_first_match(page, "LADY R")
    map_ = page.locator("#track-map svg")
    expect(map_).to_be_visible()
    # Across 180°: one unbroken line, not two pieces at the map's edges.
    drawn = _polyline_points(page)
    assert drawn == [60]
    xs = page.locator("#track-map svg .track-line").evaluate(
        "l => l.getAttribute('points').split(' ').map(p => Number(p.split(',')[0]))"
    )
    assert xs == sorted(xs)
    expect(map_.locator(".graticule text", has_text=re.compile("^180°$"))).to_have_count(1)
    expect(map_.locator(".graticule text", has_text=re.compile("°W$")).first).to_be_attached()
    expect(page.locator("#track-summary")).to_contain_text("The map draws 60 of them")

    port = map_.locator(".event-marker[data-kind=port_call][data-locode=ZZABC]")
    expect(port.locator(".marker-label")).to_have_text("Abcport (ZZABC)")
    expect(port).not_to_have_class(re.compile(r"\brisky\b"))
    expect(map_.locator(".event-marker[data-kind=position_jump]")).to_have_count(1)
    expect(map_.locator(".jump-line[data-kind=position_jump]")).to_have_count(1)
    meeting = map_.locator(".event-marker[data-kind=ship_to_ship]")
    expect(meeting.locator(".marker-label")).to_have_text("meets ZZZ")

    items = page.locator("#track-events > li")
    expect(items).to_have_count(4)
    assert items.evaluate_all("li => li.map(i => i.dataset.kind)") == [
        "port_call",
        "position_jump",
        "ship_to_ship",
        "identity_change",
    ]
    expect(items.nth(0)).to_contain_text("Called at Abcport (ZZABC) from 2025-03-01 to")
    expect(items.nth(1)).to_contain_text("Position jumped 420 nm in 10 min")
    expect(items.nth(1)).to_contain_text("then back where it was")
    expect(items.nth(2)).to_contain_text(
        "Alongside ZZZ (MMSI 445000001, IMO 9000001) for 4 h at sea"
    )
    expect(items.nth(3)).to_contain_text("name LADY R → LADY X")
