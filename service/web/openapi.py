"""Build the OpenAPI 3.1 document from the marshmallow schemas.

`openapi.yaml` at the top of the repo is this document, exported with `make openapi`; a test
fails when the two differ, so the published contract always describes the running code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from service.web import schemas
from service.web.schemas import NOT_BLANK

PROBLEM = "application/problem+json"


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": "Problem"}}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_BAD_INPUT = {
    "400": _problem("The body is not valid JSON."),
    "413": _problem("The body is larger than the service accepts."),
    "415": _problem("The body is not application/json."),
    "422": _problem("A field is missing or not valid; `errors` names each one."),
    "503": _problem("No list is loaded yet."),
}


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Vessel sanctions screening API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Screens a vessel's name, IMO number, MMSI, call sign and flag against the "
                "loaded sanctions lists and explains every match. Errors are "
                "application/problem+json (RFC 9457)."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
    )
    for name, schema in (
        ("ScreenRequest", schemas.ScreenRequestSchema),
        ("ScreenResponse", schemas.ScreenResponseSchema),
        ("ListsResponse", schemas.ListsResponseSchema),
        ("VesselDetail", schemas.VesselDetailSchema),
        ("Health", schemas.HealthSchema),
        ("Ready", schemas.ReadySchema),
        ("PortCallsPushResponse", schemas.PortCallsPushResponseSchema),
        ("Problem", schemas.ProblemSchema),
    ):
        spec.components.schema(name, schema=schema)

    spec.path(
        path="/v1/screen",
        operations={
            "post": {
                "operationId": "screen",
                "summary": "Screen one vessel",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": "ScreenRequest"}},
                },
                "responses": {"200": _json("ScreenResponse", "The screening.")} | _BAD_INPUT,
            }
        },
    )
    _bulk_paths(spec)
    spec.path(
        path="/v1/lists",
        operations={
            "get": {
                "operationId": "lists",
                "summary": "The loaded lists, their versions and sources",
                "responses": {
                    "200": _json("ListsResponse", "Every loaded list."),
                    "503": _BAD_INPUT["503"],
                },
            }
        },
    )
    spec.path(
        path="/v1/vessels/{entity_id}",
        operations={
            "get": {
                "operationId": "vessel",
                "summary": "One listed vessel with every field and its provenance",
                "parameters": [
                    {
                        "name": "entity_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "`<list id>:<source id>`, as in a match.",
                    }
                ],
                "responses": {
                    "200": _json("VesselDetail", "The vessel."),
                    "404": _problem("No listed vessel has this id."),
                    "503": _BAD_INPUT["503"],
                },
            }
        },
    )
    spec.path(
        path="/v1/port-calls",
        operations={
            "post": {
                "operationId": "pushPortCalls",
                "summary": "Add port calls: a JSON array, JSON lines or CSV (see ports/README.md)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"type": "object"}}
                        },
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": _json(
                        "PortCallsPushResponse",
                        "Accepted calls are stored; rejected rows are listed with their reasons.",
                    ),
                    "400": _BAD_INPUT["400"],
                    "413": _BAD_INPUT["413"],
                    "415": _problem("Not JSON, JSON lines or CSV."),
                    "422": _problem(
                        "No row could be accepted; `errors.rows` says why each failed."
                    ),
                },
            }
        },
    )
    spec.path(
        path="/healthz",
        operations={
            "get": {
                "operationId": "healthz",
                "summary": "The process serves",
                "responses": {"200": _json("Health", "Alive.")},
            }
        },
    )
    spec.path(
        path="/readyz",
        operations={
            "get": {
                "operationId": "readyz",
                "summary": "Lists are loaded and every backing store answers",
                "responses": {
                    "200": _json("Ready", "Ready to screen."),
                    "503": _json("Ready", "Not ready; `reasons` says why."),
                },
            }
        },
    )
    spec.path(
        path="/openapi.yaml",
        operations={
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/yaml": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    )
    document = spec.to_dict()
    # "At least one of name, imo, mmsi" in the document's own terms, so generated clients and
    # fuzzers know it too.
    document["components"]["schemas"]["ScreenRequest"]["anyOf"] = [
        {"required": [field], "properties": {field: {"type": "string", "pattern": NOT_BLANK}}}
        for field in ("name", "imo", "mmsi")
    ] + [
        {"required": [field], "properties": {field: {"type": "integer"}}}
        for field in ("imo", "mmsi")
    ]
    order = ("openapi", "info", "paths", "components")
    return {key: document[key] for key in order} | {
        k: v for k, v in document.items() if k not in order
    }


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@lru_cache(maxsize=1)
def spec_yaml() -> str:
    return yaml.dump(
        build_spec(), Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100
    )


def _bulk_paths(spec: APISpec) -> None:
    """POST /v1/screen/batch and POST /v1/screen/csv (service/web/bulk.py)."""
    for name, schema in (
        ("BatchRequest", schemas.BatchRequestSchema),
        ("BatchItemError", schemas.BatchItemErrorSchema),
        ("BatchResponse", schemas.BatchResponseSchema),
    ):
        spec.components.schema(name, schema=schema)
    spec.path(
        path="/v1/screen/batch",
        operations={
            "post": {
                "operationId": "screenBatch",
                "summary": "Screen many vessels; a bad item is answered with its error",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": "BatchRequest"}},
                },
                "responses": {
                    "200": _json(
                        "BatchResponse",
                        "One result per query, in order: the screening, or `{error}` for an "
                        "item that is not valid.",
                    ),
                    **_BAD_INPUT,
                    "422": _problem(
                        'The body is not {"queries": [...]} or holds more than MAX_BATCH.'
                    ),
                },
            }
        },
    )
    csv_text = {"type": "string", "contentMediaType": "text/csv"}
    spec.path(
        path="/v1/screen/csv",
        operations={
            "post": {
                "operationId": "screenCsv",
                "summary": "Screen every row of a CSV file; the answer streams row by row",
                "description": (
                    "A header row is required. Recognised columns (any case; synonyms such as "
                    "`vessel name`, `IMO number`, `flag state`, `callsign`, `ref`): name, imo, "
                    "mmsi, call_sign, flag, reference; other columns are passed through. UTF-8 "
                    "(with or without BOM) or Windows-1252; comma, semicolon or tab separated. "
                    "The answer has a row per input row, in order (`row` 1 is the first after "
                    "the header): the input cells, then decision, matches, and the best match's "
                    "entity id, list, name, IMO, flags, score, decision and risk flags, or the "
                    "row's `error`. Cells starting with = + - @ tab or CR get a leading `'`. "
                    "Problems with the whole file are answered before any output."
                ),
                "parameters": [
                    {
                        "name": "all_matches",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "boolean", "default": False},
                        "description": "A line per match instead of per row.",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {"file": csv_text},
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": (
                            "The screened rows: CSV, or JSON lines (one object per row with "
                            "`row`, `input` and the whole `result` or its `error`) when Accept "
                            "asks for application/x-ndjson."
                        ),
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    "406": _problem("The Accept header takes neither text/csv nor NDJSON."),
                    "413": _problem("Over CSV_MAX_BYTES or CSV_MAX_ROWS."),
                    "415": _problem(
                        "Not multipart/form-data or text/csv, or the file is binary or UTF-16."
                    ),
                    "422": _problem(
                        "Empty, no header row, no column naming a vessel, or two columns that "
                        "give the same field; `errors` says which."
                    ),
                    "503": _BAD_INPUT["503"],
                },
            }
        },
    )
