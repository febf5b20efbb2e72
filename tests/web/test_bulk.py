"""POST /v1/screen/batch and POST /v1/screen/csv as callers use them, bad input included."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.web.errors import ApiProblem
from service.web.screen import load_request, plain_request
from tests.conftest import BUNDLED_LISTS

REPO = Path(__file__).resolve().parents[2]
CSV = "text/csv"
NAMES = [
    "LADY R",
    "m/v lady-r",
    "LADY RANIA",
    "MAIA I",
    "MAIA-1",
    "MARIA",
    "MARIYA",
    "ЛЕДИ Р",
    "ANGARA",
    "SASCO ANGARA",
    "SABITI",
    "HAPPINESS 1",
    "GRACE I",
    "NEPTUN",
    "OCEAN STAR 7",
    "NOBODY AT ALL",
    "EVER GIVEN",
]


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The service on the bundled sample with small bulk limits, to reach them cheaply."""
    from service import create_app

    return create_app(
        lists_dir=BUNDLED_LISTS,
        data_dir=tmp_path_factory.mktemp("data"),
        max_batch=3,
        csv_max_bytes=400,
        csv_max_rows=5,
    )


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((REPO / "openapi.yaml").read_text())


def schema_of(spec: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def problem(answer: TestResponse, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body: dict[str, Any] = answer.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer less what differs between two screenings of the same query."""
    return {k: v for k, v in answer.items() if k not in ("screening_id", "screened_at")}


# --- Batch ---------------------------------------------------------------------------------------


def test_batch_answers_each_query_in_order_as_post_v1_screen_does(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    queries: list[dict[str, Any]] = [{"name": n, "reference": f"r{i}"} for i, n in enumerate(NAMES)]
    queries += [
        {"imo": 9161003},
        {"imo": "IMO 9358010", "flag": "Russia"},
        {"mmsi": "273382620"},
        {"name": "MARIA", "limit": 1, "threshold": 0.85},
        {"name": "LADY R", "port_call_window_days": 3650},
        {"name": "MARIA", "lists": ["us-ofac-sdn-sample"]},
    ]
    answer = client.post("/v1/screen/batch", json={"queries": queries})
    assert answer.status_code == 200
    body = answer.get_json()
    schema_of(spec, "BatchResponse").validate(body)
    results = body["results"]
    assert len(results) == len(queries)
    for query, result in zip(queries, results, strict=True):
        single = client.post("/v1/screen", json=query).get_json()
        assert without_ids(result) == without_ids(single), query


def test_a_bad_item_is_answered_in_its_place(client: FlaskClient, spec: dict[str, Any]) -> None:
    queries = [{"name": "LADY R"}, {"flag": "RU"}, {"name": "X", "limit": 0}, "LADY R", {}]
    body = client.post("/v1/screen/batch", json={"queries": queries}).get_json()
    schema_of(spec, "BatchResponse").validate(body)
    first, *bad = body["results"]
    assert first["decision"] == "match"
    assert [set(item["error"]["errors"]) for item in bad] == [
        {"_schema"},
        {"limit"},
        {"_schema"},
        {"_schema"},
    ]
    assert all(item["error"]["status"] == 422 for item in bad)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"name": "LADY R"}], "_schema"),
        ({"query": []}, "query"),
        ({"queries": "LADY R"}, "queries"),
        ({"queries": [{"name": "A"}] * 4}, "queries"),
    ],
)
def test_a_bad_batch_is_a_422(small_app: Flask, body: Any, field: str) -> None:
    answer = small_app.test_client().post("/v1/screen/batch", json=body)
    assert field in problem(answer, 422)["errors"]


def test_an_empty_batch_and_a_full_one(small_app: Flask) -> None:
    client = small_app.test_client()
    assert client.post("/v1/screen/batch", json={"queries": []}).get_json() == {"results": []}
    full = client.post("/v1/screen/batch", json={"queries": [{"name": "LADY R"}] * 3})
    assert len(full.get_json()["results"]) == 3


def test_batch_needs_json(client: FlaskClient) -> None:
    problem(client.post("/v1/screen/batch", data="x", content_type=CSV), 415)
    problem(client.post("/v1/screen/batch", data="{", content_type="application/json"), 400)


ITEMS: list[Any] = [
    {"name": "LADY R"},
    {"name": "LADY R", "imo": "9161003", "mmsi": 273000000, "call_sign": "UBRH7", "flag": "RU"},
    {"name": "LADY R", "reference": "x", "imo": None, "flag": None},
    {"imo": 9161003},
    {"imo": "   ", "name": "A"},
    {"name": "   ", "imo": "9161003"},
    {"name": "\ufeff"},
    {"name": "\x1d"},
    {"name": "", "mmsi": ""},
    {"name": "X" * 200},
    {"name": "X" * 201},
    {"reference": "X" * 201, "name": "A"},
    {"imo": True},
    {"imo": 9161003.0},
    {"imo": 9161003.5},
    {"mmsi": -5},
    {"name": 12},
    {"name": "A", "nmae": "typo"},
    {"name": "A", "limit": 3},
    {"name": "A", "owner": "SOME OWNER LLC"},
    {"flag": "RU"},
    {},
    [],
    "LADY R",
    None,
]


@pytest.mark.parametrize("item", ITEMS)
def test_the_plain_fast_path_agrees_with_the_schema(sample_app: Flask, item: Any) -> None:
    index = sample_app.extensions["vessel_screen"].index
    fast = plain_request(item)
    try:
        loaded = load_request(item, index)
    except ApiProblem:
        assert fast is None
        return
    assert fast is None or fast == loaded


# --- CSV -----------------------------------------------------------------------------------------


def rows_of(answer: TestResponse) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == CSV
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def test_csv_rows_get_the_decisions_of_single_screening(client: FlaskClient) -> None:
    lines = ["Vessel Name,IMO Number,Flag State,Ref"]
    bodies = []
    for i, name in enumerate(NAMES):
        imo = "9161003" if i == 3 else ""
        flag = "RU" if i % 3 == 0 else ""
        lines.append(f"{name},{imo},{flag},row-{i}")
        query = {"name": name, "reference": f"row-{i}"}
        if imo:
            query["imo"] = imo
        if flag:
            query["flag"] = flag
        bodies.append(query)
    rows = rows_of(client.post("/v1/screen/csv", data="\n".join(lines), content_type=CSV))
    assert [r["row"] for r in rows] == [str(i) for i in range(1, len(NAMES) + 1)]
    assert [r["Vessel Name"] for r in rows] == NAMES
    for row, query in zip(rows, bodies, strict=True):
        single = client.post("/v1/screen", json=query).get_json()
        assert row["decision"] == single["decision"], query
        assert row["matches"] == str(len(single["matches"]))
        if single["matches"]:
            top = single["matches"][0]
            assert row["match_entity_id"] == top["entity_id"]
            assert row["match_score"] == str(top["score"])
            assert row["match_imo"] == (top["vessel"]["imo"] or "")
            assert row["risk_flags"] == ";".join(top["risk_flags"])
        else:
            assert row["match_entity_id"] == ""


def test_csv_by_multipart_upload_in_windows_1252(client: FlaskClient) -> None:
    data = "name;flag;note\nLADY R;RU;café\n".encode("cp1252")
    answer = client.post(
        "/v1/screen/csv",
        data={"file": (io.BytesIO(data), "fleet.csv")},
        content_type="multipart/form-data",
    )
    (row,) = rows_of(answer)
    assert (row["name"], row["note"], row["decision"]) == ("LADY R", "café", "match")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="screening.csv"'


def test_csv_with_bom_and_tabs(client: FlaskClient) -> None:
    data = codecs.BOM_UTF8 + b"IMO\tShip Name\n9161003\t\n"
    (row,) = rows_of(client.post("/v1/screen/csv", data=data, content_type=CSV))
    assert (row["IMO"], row["decision"], row["match_name"]) == ("9161003", "match", "LADY R")


def test_csv_answer_escapes_formulas(client: FlaskClient) -> None:
    data = 'name,comment\nLADY R,"=HYPERLINK(""http://x"")"\nMAIA-1,+1\n'
    rows = rows_of(client.post("/v1/screen/csv", data=data, content_type=CSV))
    assert [r["comment"] for r in rows] == ['\'=HYPERLINK("http://x")', "'+1"]


def test_csv_all_matches(client: FlaskClient) -> None:
    answer = client.post("/v1/screen/csv?all_matches=true", data="name\nMARIA\n", content_type=CSV)
    assert [r["match_rank"] for r in rows_of(answer)] == ["1", "2"]
    problem(
        client.post("/v1/screen/csv?all_matches=maybe", data="name\nA\n", content_type=CSV), 422
    )


def test_ndjson_when_asked(client: FlaskClient) -> None:
    answer = client.post(
        "/v1/screen/csv",
        data="name,ref\nLADY R,a\n,b\n",
        content_type=CSV,
        headers={"Accept": "application/x-ndjson"},
    )
    assert answer.status_code == 200 and answer.mimetype == "application/x-ndjson"
    first, second = (json.loads(line) for line in answer.get_data(as_text=True).splitlines())
    single = client.post("/v1/screen", json={"name": "LADY R", "reference": "a"}).get_json()
    assert without_ids(first["result"]) == without_ids(single)
    assert second["row"] == 2 and second["error"]["status"] == 422


def test_accept_neither_csv_nor_ndjson_is_406(client: FlaskClient) -> None:
    answer = client.post(
        "/v1/screen/csv", data="name\nA\n", content_type=CSV, headers={"Accept": "application/json"}
    )
    problem(answer, 406)


@pytest.mark.parametrize(
    ("data", "content_type", "status", "key"),
    [
        ("name\nA\n", "application/json", 415, None),
        (b"name\x00\nA\n", CSV, 415, "file"),
        ("name\nA\n".encode("utf-16"), CSV, 415, "file"),
        (b"", CSV, 422, "file"),
        ("LADY R,9161003\nMAIA-1,9358010\n", CSV, 422, "header"),
        ("colour,size\nred,3\n", CSV, 422, "header"),
        ("name,ship name\nA,B\n", CSV, 422, "header"),
    ],
)
def test_files_that_cannot_be_screened_get_a_problem_before_any_output(
    client: FlaskClient, data: str | bytes, content_type: str, status: int, key: str | None
) -> None:
    body = problem(client.post("/v1/screen/csv", data=data, content_type=content_type), status)
    if key is not None:
        assert key in body["errors"]


def test_a_multipart_upload_without_a_file_part(client: FlaskClient) -> None:
    answer = client.post("/v1/screen/csv", data={"other": "x"}, content_type="multipart/form-data")
    assert "file" in problem(answer, 422)["errors"]


def test_over_the_size_limit_is_413(small_app: Flask) -> None:
    client = small_app.test_client()
    data = "name\n" + "LADY R\n" * 100
    problem(client.post("/v1/screen/csv", data=data, content_type=CSV), 413)
    upload = {"file": (io.BytesIO(data.encode() * 200), "big.csv")}
    problem(client.post("/v1/screen/csv", data=upload, content_type="multipart/form-data"), 413)


def test_over_the_row_limit_is_413(small_app: Flask) -> None:
    client = small_app.test_client()
    body = problem(client.post("/v1/screen/csv", data="name\n" + "A\n" * 6, content_type=CSV), 413)
    assert "CSV_MAX_ROWS" in body["detail"]
    assert (
        len(rows_of(client.post("/v1/screen/csv", data="name\n" + "A\n" * 5, content_type=CSV)))
        == 5
    )


def test_bulk_paths_are_documented(spec: dict[str, Any]) -> None:
    assert "post" in spec["paths"]["/v1/screen/batch"]
    csv_path = spec["paths"]["/v1/screen/csv"]["post"]
    assert set(csv_path["requestBody"]["content"]) == {"multipart/form-data", CSV}
    assert set(csv_path["responses"]["200"]["content"]) == {CSV, "application/x-ndjson"}


def test_an_item_error_naming_a_list_element_by_number(client: FlaskClient) -> None:
    body = client.post("/v1/screen/batch", json={"queries": [{"name": "A", "lists": [""]}]})
    assert body.status_code == 200
    assert body.get_json()["results"][0]["error"]["errors"] == {
        "lists": {"0": ["Length must be between 1 and 200."]}
    }


def chunked(app: Flask, data: bytes) -> TestResponse:
    """A body without Content-Length, as gunicorn passes a chunked upload on."""
    return app.test_client().post(
        "/v1/screen/csv",
        input_stream=io.BytesIO(data),
        content_type=CSV,
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_body_of_undeclared_length_over_the_limit_is_413(small_app: Flask) -> None:
    answer = chunked(small_app, b"name\n" + b"LADY R\n" * 100)
    assert "CSV_MAX_BYTES" in problem(answer, 413)["detail"]
    assert rows_of(chunked(small_app, b"name\nLADY R\n"))[0]["decision"] == "match"
