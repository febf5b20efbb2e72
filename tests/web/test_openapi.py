"""openapi.yaml is the contract: valid, generated from the code, and true of real answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from service.web.openapi import build_spec, spec_yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((REPO / "openapi.yaml").read_text())


def test_committed_document_is_the_one_the_code_builds() -> None:
    committed = (REPO / "openapi.yaml").read_text()
    assert committed == spec_yaml(), "openapi.yaml is stale: run `make openapi` and commit it"


def test_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_served_document_is_the_committed_one(client: FlaskClient) -> None:
    answer = client.get("/openapi.yaml")
    assert answer.status_code == 200
    assert yaml.safe_load(answer.get_data(as_text=True)) == build_spec()
    assert "/v1/screen" in client.get("/docs").get_data(as_text=True)


def test_contract_paths_are_all_documented(spec: dict[str, Any]) -> None:
    for path, method in [
        ("/v1/screen", "post"),
        ("/v1/lists", "get"),
        ("/v1/vessels/{entity_id}", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in spec["paths"][path]


def _validator(spec: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> str:
    responses = spec["paths"][path][method]["responses"]
    content = responses[str(status)]["content"]
    ref = next(iter(content.values()))["schema"]["$ref"]
    return str(ref.rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("method", "path", "template", "body", "status"),
    [
        ("post", "/v1/screen", "/v1/screen", {"name": "LADY R", "flag": "RU"}, 200),
        ("post", "/v1/screen", "/v1/screen", {"name": "ЛЕДИ Р", "imo": 9161004}, 200),
        ("post", "/v1/screen", "/v1/screen", {"name": "NOBODY AT ALL"}, 200),
        ("post", "/v1/screen", "/v1/screen", {"limit": 0}, 422),
        ("get", "/v1/lists", "/v1/lists", None, 200),
        ("get", "/v1/vessels/nope", "/v1/vessels/{entity_id}", None, 404),
        ("get", "/healthz", "/healthz", None, 200),
        ("get", "/readyz", "/readyz", None, 200),
    ],
)
def test_real_answers_match_the_document(
    client: FlaskClient,
    spec: dict[str, Any],
    method: str,
    path: str,
    template: str,
    body: Any,
    status: int,
) -> None:
    answer = client.open(path, method=method.upper(), json=body)
    assert answer.status_code == status
    name = _response_schema(spec, template, method, status)
    _validator(spec, name).validate(answer.get_json())


def test_a_listed_vessel_matches_the_document(client: FlaskClient, spec: dict[str, Any]) -> None:
    entity = client.post("/v1/screen", json={"name": "LADY R"}).get_json()["matches"][0]
    answer = client.get(f"/v1/vessels/{entity['entity_id']}")
    _validator(spec, "VesselDetail").validate(answer.get_json())
