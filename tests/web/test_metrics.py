"""GET /metrics: Prometheus text, open, labelled by route template, right across workers."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from service import create_app, metrics
from service.auth import KeyRing
from service.store import StoreError
from tests.conftest import BUNDLED_LISTS
from tests.served import call, gunicorn, json_lines, poll

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client: FlaskClient) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    return parse(answer.get_data(as_text=True))


def screened(samples: Samples, kind: str, decision: str) -> float:
    return value(samples, "vessel_screen_screenings_total", kind=kind, decision=decision)


def test_metrics_are_prometheus_text_and_need_no_key(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    ring.create("reader", ("read",))
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, keys_file=str(ring.path))
    client = app.test_client()
    assert client.get("/v1/lists").status_code == 401  # keys are on ...
    answer = client.get("/metrics")  # ... and the scrape needs none
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert "version=0.0.4" in answer.headers["Content-Type"]
    samples = parse(answer.get_data(as_text=True))
    # Series exist from the start, at 0 until something happens.
    labels = frozenset({"kind": "csv", "decision": "match"}.items())
    assert ("vessel_screen_screenings_total", labels) in samples


def test_requests_are_counted_by_route_template_never_the_raw_path(client: FlaskClient) -> None:
    before = scrape(client)
    assert client.post("/v1/screen", json={"name": "LADY R"}).status_code == 200
    assert client.post("/v1/screen", json={"limit": 0}).status_code == 422
    assert client.get("/v1/vessels/no-such-vessel").status_code == 404
    assert client.get("/v1/vessels/another-one").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    assert client.delete("/v1/screen").status_code == 405
    after = scrape(client)

    def delta(route: str, method: str, status: str) -> float:
        name = "vessel_screen_http_requests_total"
        labels = {"route": route, "method": method, "status": status}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("/v1/screen", "POST", "200") == 1
    assert delta("/v1/screen", "POST", "422") == 1
    assert delta("/v1/vessels/<path:entity_id>", "GET", "404") == 2
    assert delta(metrics.UNMATCHED, "GET", "404") == 1
    assert delta(metrics.UNMATCHED, "DELETE", "405") == 1
    assert not any("no-such-vessel" in str(key) or "/no/such" in str(key) for key in after)
    count = "vessel_screen_http_request_duration_seconds_count"
    grew = value(after, count, route="/v1/screen") - value(before, count, route="/v1/screen")
    assert grew == 2


def test_screenings_are_counted_by_kind_and_decision(client: FlaskClient) -> None:
    before = scrape(client)
    client.post("/v1/screen", json={"name": "LADY R"})
    client.post("/v1/screen", json={"name": "NOBODY AT ALL"})
    batch = {"queries": [{"name": "LADY R"}, {"name": "MAIA-1"}, {"limit": 0}]}
    assert client.post("/v1/screen/batch", json=batch).status_code == 200
    csv = "name\nLADY R\nNOBODY AT ALL\nEVER GIVEN\n"
    answer = client.post("/v1/screen/csv", data=csv, content_type="text/csv")
    assert answer.status_code == 200
    answer.get_data()  # the rows are recorded, and counted, as the answer streams
    after = scrape(client)
    for kind, decision, grew in (
        ("single", "match", 1),
        ("single", "clear", 1),
        ("batch", "match", 2),  # the invalid item is answered with its error, not screened
        ("csv", "match", 1),
        ("csv", "clear", 2),
    ):
        assert screened(after, kind, decision) - screened(before, kind, decision) == grew
    rows = "vessel_screen_csv_rows_screened_total"
    assert value(after, rows) - value(before, rows) == 3


def test_each_served_list_shows_its_version_age_and_size(sample_app: Flask) -> None:
    samples = scrape(sample_app.test_client())
    served = sample_app.extensions["vessel_screen"].index.lists[0]
    listed = {"list": served.id}
    assert value(samples, "vessel_screen_list_info", version=served.version, **listed) == 1
    assert value(samples, "vessel_screen_list_entries", **listed) == served.entries == 15
    assert 0 <= value(samples, "vessel_screen_list_age_seconds", **listed) < 24 * 3600


def test_refused_list_loads_and_unrecorded_answers_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(BUNDLED_LISTS, tmp_path / "lists")
    app = create_app(lists_dir=tmp_path / "lists", data_dir=tmp_path / "data")
    client = app.test_client()
    state = app.extensions["vessel_screen"]
    before = scrape(client)
    (tmp_path / "lists" / "ofac-sample" / "sdn.csv").write_bytes(b"")
    assert state.reload() is False
    failures = "vessel_screen_list_load_failures_total"
    assert value(scrape(client), failures, list="*") - value(before, failures, list="*") == 1

    def refuse(records: object) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(state.store, "record_screenings", refuse)
    assert client.post("/v1/screen", json={"name": "LADY R"}).status_code == 503
    after = scrape(client)
    errors = "vessel_screen_audit_store_errors_total"
    assert value(after, errors, kind="single") - value(before, errors, kind="single") == 1
    assert screened(after, "single", "match") == screened(before, "single", "match")


def test_label_children_are_resolved_once_per_route_method_and_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved: list[tuple[str, ...]] = []
    labels = metrics.HTTP_REQUESTS.labels

    def counting(*values: str) -> object:
        resolved.append(values)
        return labels(*values)

    monkeypatch.setattr(metrics.HTTP_REQUESTS, "labels", counting)
    monkeypatch.setattr(metrics, "_request_children", {})
    for _ in range(3):
        metrics.observe_request("/v1/screen", "POST", 200, 0.001)
    metrics.observe_request("/v1/screen", "BREW", 400, 0.001)
    metrics.observe_request("/v1/screen", "STEEP", 400, 0.001)
    assert resolved == [("/v1/screen", "POST", "200"), ("/v1/screen", "other", "400")]
    assert len(metrics._request_children) == 2  # a client's made-up methods share one entry


def test_screening_label_children_are_resolved_once_per_kind_and_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved: list[tuple[str, ...]] = []
    labels = metrics.SCREENINGS.labels

    def counting(*values: str) -> object:
        resolved.append(values)
        return labels(*values)

    monkeypatch.setattr(metrics.SCREENINGS, "labels", counting)
    monkeypatch.setattr(metrics, "_screening_children", {})
    lone = SimpleNamespace(kind="single", decision="match")
    batch = [SimpleNamespace(kind="batch", decision=d) for d in ("match", "clear", "match")]
    before = metrics.SCREENINGS.labels("batch", "match")._value.get()
    for _ in range(3):
        metrics.count_screenings([lone])  # type: ignore[list-item]
        metrics.count_screenings(batch)  # type: ignore[arg-type]
    assert sorted(resolved[1:]) == [("batch", "clear"), ("batch", "match"), ("single", "match")]
    assert metrics.SCREENINGS.labels("batch", "match")._value.get() - before == 6


def test_counts_add_up_across_two_gunicorn_workers(tmp_path: Path) -> None:
    """N screenings spread over two workers; every scrape, whichever worker answers, says N."""
    n = 24
    with gunicorn(tmp_path, workers=2) as server:
        for i in range(n):
            body = {"name": "LADY R" if i % 2 else "NOBODY AT ALL"}
            status, _ = call(server.port, "POST", "/v1/screen", body)
            assert status == 200
        scrapes: dict[str, Samples] = {}

        def scraped_by_both_workers() -> set[int] | None:
            request_id = f"scrape-{len(scrapes)}"
            status, body = call(
                server.port, "GET", "/metrics", headers={"X-Request-Id": request_id}
            )
            assert status == 200
            scrapes[request_id] = parse(body.decode())
            pids = {
                line["pid"]
                for line in json_lines(server)
                if line.get("event") == "request" and line["request_id"] in scrapes
            }
            return pids if len(pids) == 2 else None

        poll(scraped_by_both_workers, "a scrape answered by each of the two workers")
        for samples in scrapes.values():
            assert screened(samples, "single", "match") == n / 2
            assert screened(samples, "single", "clear") == n / 2
            route = {"route": "/v1/screen"}
            ok = {"method": "POST", "status": "200", **route}
            assert value(samples, "vessel_screen_http_requests_total", **ok) == n
            count = "vessel_screen_http_request_duration_seconds_count"
            assert value(samples, count, **route) == n
            assert value(samples, "vessel_screen_list_entries", list="us-ofac-sdn-sample") == 15
