"""POST /v1/screen as callers use it: answers, explanations, and every kind of bad input."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from service.loaders.registry import load_lists
from service.web.render import dumped_vessel
from service.web.schemas import VesselSchema
from tests.conftest import BUNDLED_LISTS, shared_path


def screen(client: FlaskClient, **body: object) -> dict:
    answer = client.post("/v1/screen", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_lady_r_on_the_bundled_sample_is_a_match(client: FlaskClient) -> None:
    body = screen(client, name="LADY R", reference="case-17")
    assert body["decision"] == "match"
    top = body["matches"][0]
    assert top["vessel"]["imo"] == "9161003"
    assert top["vessel"]["owner"] == "TRANSMORFLOT LLC"
    assert top["vessel"]["programs"] == ["RUSSIA-EO14024"]
    assert top["list"] == "us-ofac-sdn-sample"
    assert top["entity_id"].startswith("us-ofac-sdn-sample:")
    assert top["explanation"]["name"] == 1.0
    assert body["reference"] == "case-17"
    uuid.UUID(body["screening_id"])
    assert datetime.fromisoformat(body["screened_at"]).tzinfo is not None
    assert body["lists"][0]["id"] == "us-ofac-sdn-sample"
    assert body["lists"][0]["entries"] >= 4


def test_query_is_echoed_as_understood(client: FlaskClient) -> None:
    body = screen(client, name="M/V Lady-R.", imo="IMO9161003", mmsi=273000000, flag="Russia")
    q = body["query"]
    assert q["name_normalized"] == "LADY R"
    assert (q["imo"], q["imo_valid"]) == ("9161003", True)
    assert (q["mmsi"], q["mmsi_valid"], q["mmsi_flag"]) == ("273000000", True, "RU")
    assert q["flag"] == "RU"
    assert body["warnings"] == []


def test_bad_check_digit_and_unknown_flag_are_warnings_not_errors(client: FlaskClient) -> None:
    body = screen(client, name="LADY R", imo="9161004", flag="Atlantis")
    assert body["query"]["imo_valid"] is False
    assert body["query"]["flag_recognized"] is False
    assert len(body["warnings"]) == 2
    assert body["decision"] == "match"


def test_a_clear_answer_has_no_matches(client: FlaskClient) -> None:
    body = screen(client, name="NORDIC SPIRIT", imo="9161015")
    assert (body["decision"], body["matches"]) == ("clear", [])


def test_integer_imo_and_limit(client: FlaskClient) -> None:
    body = screen(client, imo=9161003, limit=1.0)  # JSON Schema's integer includes 1.0
    assert len(body["matches"]) == 1
    assert body["matches"][0]["explanation"]["imo"] == "exact"


def test_unknown_list_id_is_a_422(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", json={"name": "LADY R", "lists": ["nope"]})
    assert answer.status_code == 422
    assert "lists" in answer.get_json()["errors"]


def _problem(answer, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in answer.get_data(as_text=True)
    return body


def test_malformed_json_is_400(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", data="{name: ", content_type="application/json")
    _problem(answer, 400)


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    _problem(client.post("/v1/screen", data="name=LADY R", content_type="text/plain"), 415)
    _problem(client.post("/v1/screen", data="name=x"), 415)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"_schema"}),
        ({"flag": "RU"}, {"_schema"}),
        ({"name": "   "}, {"_schema"}),
        ({"name": "X", "limit": 0}, {"limit"}),
        ({"name": "X", "limit": 101}, {"limit"}),
        ({"name": "X", "limit": 2.5}, {"limit"}),
        ({"name": "X", "limit": "3"}, {"limit"}),
        ({"name": "X", "threshold": 1.5}, {"threshold"}),
        ({"name": "X", "threshold": "0.5"}, {"threshold"}),
        ({"name": 12}, {"name"}),
        ({"name": "X" * 201}, {"name"}),
        ({"imo": 9161003.5}, {"imo"}),
        ({"imo": True}, {"imo"}),
        ({"name": "X", "lists": "us-ofac-sdn"}, {"lists"}),
        ({"name": "X", "nmae": "typo"}, {"nmae"}),
        ({"name": "X", "limit": 0, "threshold": -1}, {"limit", "threshold"}),
    ],
)
def test_invalid_fields_are_422_naming_each_field(
    client: FlaskClient, body: dict, fields: set[str]
) -> None:
    problem = _problem(client.post("/v1/screen", json=body), 422)
    assert set(problem["errors"]) == fields


def test_a_json_array_is_422(client: FlaskClient) -> None:
    assert "_schema" in _problem(client.post("/v1/screen", json=["LADY R"]), 422)["errors"]


def test_unknown_path_404_and_wrong_method_405(client: FlaskClient) -> None:
    _problem(client.get("/v1/nothing-here"), 404)
    answer = client.get("/v1/screen")
    _problem(answer, 405)
    assert "POST" in answer.headers["Allow"]


def test_oversized_body_is_413(sample_app) -> None:  # type: ignore[no-untyped-def]
    limit = sample_app.config["MAX_CONTENT_LENGTH"]
    body = '{"name": "' + "x" * limit + '"}'
    answer = sample_app.test_client().post("/v1/screen", data=body, content_type="application/json")
    _problem(answer, 413)


def test_every_answer_carries_a_request_id(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", json={}, headers={"X-Request-Id": "abc-123"})
    assert answer.headers["X-Request-Id"] == "abc-123"
    assert answer.get_json()["request_id"] == "abc-123"
    assert client.get("/healthz").headers["X-Request-Id"]


def test_a_screening_keeps_the_callers_request_id_and_is_recorded_as_answered(
    sample_app,  # type: ignore[no-untyped-def]
) -> None:
    client = sample_app.test_client()
    answer = client.post("/v1/screen", json={"name": "LADY R"}, headers={"X-Request-Id": "r-42"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["X-Request-Id"] == "r-42"
    assert client.post("/v1/screen", json={"name": "LADY R"}).headers["X-Request-Id"]
    stored = client.get(f"/v1/screenings/{answer.json['screening_id']}")
    assert stored.status_code == 200
    assert stored.get_data() == answer.get_data()
    record = sample_app.extensions["vessel_screen"].store.get_screening(answer.json["screening_id"])
    assert record is not None and record.query == {"name": "LADY R"} and record.kind == "single"


def test_lists_vessels_and_health(client: FlaskClient) -> None:
    lists = client.get("/v1/lists").get_json()["lists"]
    assert [entry["id"] for entry in lists] == ["us-ofac-sdn-sample"]
    assert lists[0]["sha256"] and lists[0]["version"] and "SAMPLE" in lists[0]["title"]
    entity = screen(client, name="MAIA-1")["matches"][0]["entity_id"]
    vessel = client.get(f"/v1/vessels/{entity}").get_json()
    assert vessel["imo"] == "9358010"
    assert {"name": "NEPTUN", "kind": "fka"} in vessel["names"]
    assert vessel["list"]["id"] == "us-ofac-sdn-sample"
    assert vessel["source_record"]
    assert [c["locode"] for c in vessel["port_calls"]] == ["KPRJN"]
    _problem(client.get("/v1/vessels/us-ofac-sdn-sample:0"), 404)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"


def test_not_ready_without_lists(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from service import create_app

    app = create_app(lists_dir=tmp_path, data_dir=tmp_path)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["reasons"]
    assert client.get("/healthz").status_code == 200
    _problem(client.post("/v1/screen", json={"name": "LADY R"}), 503)


def test_the_real_ofac_list_through_http(ofac_app) -> None:  # type: ignore[no-untyped-def]
    client = ofac_app.test_client()
    body = screen(client, name="ЛЕДИ Р")
    assert body["matches"][0]["vessel"]["imo"] == "9161003"
    assert client.get("/v1/lists").get_json()["lists"][0]["entries"] == 851


def test_json_beyond_64_bit_integers_is_judged_by_the_schema(client: FlaskClient) -> None:
    answer = client.post(
        "/v1/screen",
        data='{"imo": 123456789012345678901234567890}',
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.get_json()["query"]["imo_valid"] is False


def test_nan_is_not_json(client: FlaskClient) -> None:
    answer = client.post(
        "/v1/screen", data='{"name": "X", "threshold": NaN}', content_type="application/json"
    )
    assert answer.status_code in (400, 422)


def test_each_error_is_logged_once_with_its_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="service.web")
    answer = client.post(
        "/v1/screen", json={"limit": 0, "name": "SECRET NAME"}, headers={"X-Request-Id": "rid-42"}
    )
    assert answer.status_code == 422
    lines = [r.getMessage() for r in caplog.records if r.name == "service.web"]
    assert [line for line in lines if "rid-42" in line] == [
        "rid-42 POST /v1/screen -> 422 Invalid request"
    ]
    assert not any("SECRET NAME" in line for line in lines)


# A plain body and one with options take the same route; both must fail the same way.
@pytest.mark.parametrize("body", [{"name": "LADY R"}, {"name": "LADY R", "limit": 5}])
def test_an_internal_failure_is_a_500_problem_without_a_trace(
    sample_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, body
) -> None:  # type: ignore[no-untyped-def]
    from service.web import screen as screen_module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(screen_module, "run", boom)
    answer = sample_app.test_client().post(
        "/v1/screen", json=body, headers={"X-Request-Id": "rid-500"}
    )
    assert answer.status_code == 500
    assert answer.mimetype == "application/problem+json"
    text = answer.get_data(as_text=True)
    assert "internal detail" not in text and "Traceback" not in text
    assert answer.get_json()["request_id"] == "rid-500"
    logged = [r for r in caplog.records if "rid-500" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


@pytest.mark.parametrize("folder", ["bundled", "ofac", "eu/ojeu"])
def test_a_listed_vessel_is_answered_as_its_schema_dumps_it(folder: str) -> None:
    """Answers carry each matched vessel as the plain dict of its fields, not dumped by
    `VesselSchema`: every vessel of the bundled and the real lists must come out the same."""
    lists = load_lists(BUNDLED_LISTS if folder == "bundled" else shared_path(*folder.split("/")))
    vessels = [v for lst in lists for v in lst.vessels]
    assert vessels
    schema = VesselSchema()
    for v in vessels:
        plain = dumped_vessel(v)
        assert plain == schema.dump(plain), v.entity_id
