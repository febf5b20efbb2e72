"""Logs are JSON lines: one per request and one per event, with the fields a log shipper needs,
and without what was screened unless LOG_QUERIES says so."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.auth import KeyRing
from service.logs import JsonFormatter
from service.settings import Settings
from service.web.observe import RequestIdFilter
from tests.conftest import BUNDLED_LISTS
from tests.served import call, gunicorn, json_lines, output

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRET = {"name": "SECRET VESSEL", "imo": "IMO 9161003", "mmsi": "273382620"}


class Lines(logging.Handler):
    """Each record as the service's stdout handler writes it: JsonFormatter, request ids."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text]

    def of(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.parsed() if line.get("request_id") == request_id]


@pytest.fixture()
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("service")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_record_is_one_json_line_with_time_level_logger_and_message() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "service.test", logging.ERROR, __file__, 1, "failed %s", ("twice",), sys.exc_info()
        )
    record.request_id = "rid-1"
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert ISO_UTC.match(line["ts"])
    assert (line["level"], line["logger"], line["message"]) == (
        "ERROR",
        "service.test",
        "failed twice",
    )
    assert line["request_id"] == "rid-1"
    assert "ValueError: boom" in line["exception"]


def test_each_request_has_one_line_and_never_what_was_screened(
    sample_app: Flask, lines: Lines
) -> None:
    client = sample_app.test_client()
    answer = client.post("/v1/screen", json=SECRET, headers={"X-Request-Id": "log-ok"})
    assert answer.status_code == 200
    [line] = lines.of("log-ok")
    assert ISO_UTC.match(line["ts"])
    assert line["level"] == "INFO" and line["logger"] == "service.access"
    assert line["event"] == "request" and line["message"] == "POST /v1/screen 200"
    assert (line["method"], line["route"], line["status"]) == ("POST", "/v1/screen", 200)
    assert line["key"] is None  # an open service: no API key
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0

    # An error: its own line (service/web/errors.py) and the request's, both with the id.
    bad = {**SECRET, "limit": 0}
    client.post("/v1/screen", json=bad, headers={"X-Request-Id": "log-bad"})
    assert sorted(line["logger"] for line in lines.of("log-bad")) == [
        "service.access",
        "service.web",
    ]
    for value in (*SECRET.values(), "9161003"):
        assert not any(value in text for text in lines.text)


def test_log_queries_puts_the_path_and_body_in_the_line(tmp_path: Path, lines: Lines) -> None:
    assert Settings.from_env({}).log_queries is False
    assert Settings.from_env({"LOG_QUERIES": "true"}).log_queries is True
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, log_queries=True)
    client = app.test_client()
    answer = client.post("/v1/screen", json=SECRET, headers={"X-Request-Id": "log-q"})
    assert answer.status_code == 200  # the route still reads the body the log kept
    [line] = lines.of("log-q")
    assert line["query"] == SECRET and line["path"] == "/v1/screen"
    client.get("/v1/vessels/us-ofac-sdn-sample:37095?x=1", headers={"X-Request-Id": "log-g"})
    [line] = lines.of("log-g")
    assert line["route"] == "/v1/vessels/<path:entity_id>"
    assert line["path"] == "/v1/vessels/us-ofac-sdn-sample:37095?x=1"


def test_the_line_names_the_api_key(tmp_path: Path, lines: Lines) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    key, secret = ring.create("bank-a screening", ("screen",))
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path, keys_file=str(ring.path))
    headers = {"X-API-Key": secret, "X-Request-Id": "log-key"}
    assert app.test_client().post("/v1/screen", json=SECRET, headers=headers).status_code == 200
    [line] = lines.of("log-key")
    assert (line["key"], line["key_id"]) == ("bank-a screening", key.id)
    assert not any(secret in text for text in lines.text)


def test_gunicorn_writes_json_lines_one_per_request(tmp_path: Path) -> None:
    with gunicorn(tmp_path) as server:
        status, _ = call(server.port, "POST", "/v1/screen", SECRET, {"X-Request-Id": "gl-1"})
        assert status == 200
        assert call(server.port, "GET", "/nowhere", headers={"X-Request-Id": "gl-2"})[0] == 404
        logged = json_lines(server)
        text = output(server)
    # gunicorn's own access log is off: the JSON line is the only one per request.
    assert "HTTP/1.1" not in text
    mine = [line for line in logged if line.get("request_id") in ("gl-1", "gl-2")]
    access = [line for line in mine if line.get("event") == "request"]
    assert [(line["request_id"], line["route"]) for line in access] == [
        ("gl-1", "/v1/screen"),
        ("gl-2", "unmatched"),
    ]
    for line in logged:  # the master's start-up lines and the workers' lines alike
        assert {"ts", "level", "logger", "pid", "message"} <= line.keys()
    assert any(line["logger"] == "service.serving" for line in logged)
    assert "SECRET" not in text and "9161003" not in text
