"""The single screening's fast lane answers a plain POST /v1/screen exactly as Flask would, and
hands every other request to Flask untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client, EnvironBuilder

from service import create_app
from service.web.lane import ScreenLane
from tests.conftest import BUNDLED_LISTS

VOLATILE = ("screening_id", "screened_at")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path_factory.mktemp("data"))


class Counting:
    """The Flask app behind the lane, counting the requests handed to it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.inner(environ, start_response)


def both(app: Flask, **request: Any) -> tuple[Any, Any, int]:
    """The same request through the lane and straight to Flask: (lane's answer, Flask's,
    how many times the lane handed the request on)."""
    lane = app.wsgi_app
    assert isinstance(lane, ScreenLane)
    behind = Counting(lane.app)
    through = ScreenLane(behind, lane.state, lane.ring, lane.max_body_bytes)
    answers = [
        Client(wsgi).open(EnvironBuilder(method="POST", path="/v1/screen", **request))
        for wsgi in (through, lane.app)
    ]
    return answers[0], answers[1], behind.calls


def comparable(answer: Any) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in answer.headers.items() if k != "X-Request-Id"}
    body = json.loads(answer.get_data())
    for key in (*VOLATILE, "request_id"):
        body.pop(key, None)
    return answer.status_code, headers, body


@pytest.mark.parametrize(
    "body",
    [
        {"name": "LADY R"},
        {"name": "M/V Lady-R.", "imo": "IMO 9161003", "flag": "Russia"},
        {"imo": 9358010, "reference": "charter 77"},
        {"mmsi": "273382620", "call_sign": None},
        {"name": "NORDIC SPIRIT"},
        {"imo": 123},  # a check digit that fails: answered, with imo_valid false
    ],
)
def test_a_plain_screening_is_answered_by_the_lane_as_flask_answers_it(
    app: Flask, body: dict[str, Any]
) -> None:
    lane, flask, handed_on = both(app, json=body)
    assert handed_on == 0
    assert comparable(lane) == comparable(flask)
    assert lane.status_code == 200
    assert lane.headers["X-Request-Id"]


def test_the_lane_keeps_the_callers_request_id_and_records_the_answer(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/v1/screen", json={"name": "LADY R"}, headers={"X-Request-Id": "r-42"})
    assert answer.headers["X-Request-Id"] == "r-42"
    stored = client.get(f"/v1/screenings/{answer.json['screening_id']}")
    assert stored.status_code == 200
    assert stored.get_data() == answer.get_data()
    record = app.extensions["vessel_screen"].store.get_screening(answer.json["screening_id"])
    assert record is not None and record.query == {"name": "LADY R"} and record.kind == "single"


@pytest.mark.parametrize(
    "request_",
    [
        {"data": b"{not json", "content_type": "application/json"},
        {"data": b'{"name": "LADY R"}', "content_type": "text/plain"},
        {"json": {"name": "LADY R", "limit": 1}},  # not plain: marshmallow's
        {"json": {"name": "LADY R", "limit": 0}},  # a 422
        {"json": {"name": "LADY R", "flag": 7}},
        {"json": {"name": "LADY R", "imo": 9161003.0}},
        {"json": ["LADY R"]},
        {"json": {"name": "   "}},
        {"data": b'{"imo": 99999999999999999999999}', "content_type": "application/json"},
        {"data": b"", "content_type": "application/json"},
    ],
)
def test_anything_but_a_plain_screening_is_answered_by_flask(
    app: Flask, request_: dict[str, Any]
) -> None:
    lane, flask, handed_on = both(app, **request_)
    assert handed_on == 1
    assert comparable(lane) == comparable(flask)


def test_other_routes_and_methods_go_to_flask(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/v1/screen").status_code == 405
    batch = client.post("/v1/screen/batch", json={"queries": [{"name": "LADY R"}]})
    assert batch.status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_body_over_the_limit_is_flasks_413(tmp_path: Path) -> None:
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, max_body_bytes=64)
    answer = app.test_client().post("/v1/screen", json={"name": "LADY R", "reference": "x" * 80})
    assert answer.status_code == 413
    assert answer.content_type == "application/problem+json"


def test_keys_are_checked_in_the_lane_and_refusals_come_from_flask(tmp_path: Path) -> None:
    from service.auth import KeyRing

    ring = KeyRing(tmp_path / "keys.json")
    _, screener = ring.create("screener", ("screen",))
    _, reader = ring.create("reader", ("read",))
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, keys_file=str(ring.path))
    client = app.test_client()
    assert client.post("/v1/screen", json={"name": "LADY R"}).status_code == 401
    wrong = {"Authorization": "Bearer vsk_00000000_" + "x" * 43}
    assert client.post("/v1/screen", json={"name": "LADY R"}, headers=wrong).status_code == 401
    as_reader = {"X-API-Key": reader}
    assert client.post("/v1/screen", json={"name": "LADY R"}, headers=as_reader).status_code == 403
    answer = client.post(
        "/v1/screen", json={"name": "LADY R"}, headers={"Authorization": f"Bearer {screener}"}
    )
    assert answer.status_code == 200
    stored = app.extensions["vessel_screen"].store.get_screening(answer.json["screening_id"])
    assert stored is not None and stored.caller is not None


def test_the_lane_is_off_with_a_rate_limit_or_logged_queries(tmp_path: Path) -> None:
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, log_queries=True)
    assert not isinstance(app.wsgi_app, ScreenLane)
    answer = app.test_client().post("/v1/screen", json={"name": "LADY R"})
    assert answer.status_code == 200
