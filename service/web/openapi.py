"""Build the OpenAPI 3.1 document from the marshmallow schemas.

`openapi.yaml` at the top of the repo is this document, exported with `make openapi`; a test
fails when the two differ, so the published contract always describes the running code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate

from service.web import ais_schemas, schemas
from service.web.access import required_scope
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
    _record_paths(spec)
    _ais_paths(spec)
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
    spec.components.schema("RefreshResponse", schema=schemas.RefreshResponseSchema)
    spec.path(
        path="/v1/lists/refresh",
        operations={
            "post": {
                "operationId": "refreshLists",
                "summary": "Download the lists from their sources and serve new versions",
                "description": (
                    "Conditional downloads of every list with download addresses; a list that "
                    "fails to download or parse, or shrinks past MAX_LIST_SHRINK, is refused "
                    "and the served version stays (status `failed` with the reason)."
                ),
                "responses": {"200": _json("RefreshResponse", "One result per list.")},
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
        path="/metrics",
        operations={
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics of every worker (text exposition format 0.0.4)",
                "responses": {
                    "200": {
                        "description": "Requests, latency, screenings, lists and failures.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
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
    _secure(document)
    order = ("openapi", "info", "paths", "components")
    return {key: document[key] for key in order} | {
        k: v for k, v in document.items() if k not in order
    }


def _secure(document: dict[str, Any]) -> None:
    """Security as `web/access.py` enforces it: the same function decides both."""
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API key."},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            scope = required_scope(re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
            if scope is None:
                op["security"] = []
                continue
            op["security"] = [{"bearer": []}, {"apiKey": []}]
            op["description"] = (op.get("description", "") + f" Needs the `{scope}` scope.").strip()
            # Added after apispec resolved schema names, so the reference is written out.
            for status, text in (
                ("401", "No API key, or not a valid one."),
                ("403", f"The key lacks the `{scope}` scope."),
                ("429", "Over the key's rate limit; `Retry-After` says when to retry."),
            ):
                op["responses"].setdefault(
                    status,
                    {
                        "description": text,
                        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                )


def _record_paths(spec: APISpec) -> None:
    """List versions and their diff, the audit trail and the alerts (records.py, lists.py)."""
    for name, schema in (
        ("ListVersions", schemas.ListVersionsSchema),
        ("ListDiff", schemas.ListDiffSchema),
        ("AlertsResponse", schemas.AlertsResponseSchema),
    ):
        spec.components.schema(name, schema=schema)
    list_id = {
        "name": "list_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "A list id, as in GET /v1/lists.",
    }
    unavailable = _problem("The store does not answer.")
    spec.path(
        path="/v1/lists/{list_id}/versions",
        operations={
            "get": {
                "operationId": "listVersions",
                "summary": "Every load of a list, published or failed, newest first",
                "parameters": [list_id],
                "responses": {
                    "200": _json("ListVersions", "The versions."),
                    "404": _problem("No list has this id."),
                    "503": unavailable,
                },
            }
        },
    )
    spec.path(
        path="/v1/lists/{list_id}/diff",
        operations={
            "get": {
                "operationId": "listDiff",
                "summary": "Vessels added, removed and changed between two versions",
                "parameters": [
                    list_id,
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json("ListDiff", "The differences."),
                    "404": _problem("No list has this id."),
                    "422": _problem("`from` or `to` is not a published version of the list."),
                    "503": unavailable,
                },
            }
        },
    )
    spec.path(
        path="/v1/screenings/{screening_id}",
        operations={
            "get": {
                "operationId": "screening",
                "summary": "A screening exactly as it was answered, from the audit trail",
                "parameters": [
                    {
                        "name": "screening_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json("ScreenResponse", "The answer as it was sent."),
                    "404": _problem("No screening has this id."),
                    "503": unavailable,
                },
            }
        },
    )
    spec.path(
        path="/v1/alerts",
        operations={
            "get": {
                "operationId": "alerts",
                "summary": "New or stronger matches found by re-screening after a new version",
                "parameters": [
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
                "responses": {
                    "200": _json("AlertsResponse", "The alerts, newest first."),
                    "422": _problem("`since` or `limit` is not valid."),
                    "503": unavailable,
                },
            }
        },
    )


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@lru_cache(maxsize=1)
def spec_yaml() -> str:
    return yaml.dump(
        build_spec(), Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100
    )


def _ais_paths(spec: APISpec) -> None:
    """POST /v1/ais and GET /v1/vessels/{entity_id}/track (service/web/ais.py)."""
    spec.components.schema("AisIngest", schema=ais_schemas.AisIngestSchema)
    spec.components.schema("Track", schema=ais_schemas.TrackSchema)
    raw = {"type": "string"}
    body = {"type": "string", "minLength": 1}
    spec.path(
        path="/v1/ais",
        operations={
            "post": {
                "operationId": "ingestAis",
                "summary": "Store raw AIS and derive the ships' behaviour again",
                "description": (
                    "NMEA 0183 !AIVDM/!AIVDO sentences (text/plain; a time from a tag block "
                    "`\\c:<unix>` or a leading Unix or ISO timestamp on each line), or a "
                    "MarineCadastre or Danish Maritime Authority position CSV (text/csv), "
                    "gzipped or plain. Bad lines are counted and the first shown with their "
                    "line numbers; the good ones are kept. The same bytes posted again are "
                    "stored once (200, `stored: false`)."
                ),
                "parameters": [
                    {
                        "name": "source",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "The feed or file name events cite (`ais:<source>`).",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {t: {"schema": body} for t in ("text/plain", "text/csv")},
                },
                "responses": {
                    "201": _json("AisIngest", "Stored; the counts of what was kept."),
                    "200": _json("AisIngest", "These bytes were stored before: nothing added."),
                    "415": _problem("Neither text/plain, text/csv nor gzip."),
                    "422": _problem("Not AIS (no times in an NMEA log, an unknown CSV layout)."),
                    "503": _problem("The store does not answer."),
                },
            }
        },
    )
    spec.path(
        path="/v1/vessels/{entity_id}/track",
        operations={
            "get": {
                "operationId": "vesselTrack",
                "summary": "A listed ship's AIS track, thinned to a point limit, with its events",
                "parameters": [
                    {"name": "entity_id", "in": "path", "required": True, "schema": raw},
                    {
                        "name": "from",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        "description": "Most points returned (default 2000), evenly spread.",
                    },
                ],
                "responses": {
                    "200": _json("Track", "The track and the events in its range."),
                    "404": _problem("No listed vessel has this id."),
                    "422": _problem("A bad `from`, `to` or `limit`."),
                    "503": _problem("No list is loaded."),
                },
            }
        },
    )


def _csv_option_parameters() -> list[dict[str, Any]]:
    """The screening options of a CSV upload as query parameters, read off the schema that
    checks them (its types and ranges), so the document and the check cannot differ."""
    out = []
    for name, field in schemas.ScreeningOptionsSchema().fields.items():
        schema: dict[str, Any]
        description = field.metadata.get("description", "")
        if isinstance(field, fields.List):
            schema = {"type": "string"}
            description = "Comma-separated list ids (or the parameter repeated). " + description
        else:
            schema = {"type": "integer" if isinstance(field, fields.Integer) else "number"}
            for rule in field.validators:
                if isinstance(rule, validate.Range):
                    schema |= {"minimum": rule.min, "maximum": rule.max}
        out.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": description,
            }
        )
    return out


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
                    "the header): the input cells, then decision and its reason, matches, the "
                    "best match's entity id, list, every list the ship is on, name, the listed "
                    "name that matched and its kind, IMO, flags, score, decision and notes, "
                    "risk flags, warnings and IMO suggestions, or the row's `error`. Cells "
                    "starting with = + - @ tab or CR get a leading `'`. The options `lists`, "
                    "`threshold`, `limit` and `port_call_window_days` apply to every row and "
                    "are given as query parameters or (multipart) form fields; any other "
                    "parameter is a 422. Problems with the whole file are answered before any "
                    "output."
                ),
                "parameters": [
                    {
                        "name": "all_matches",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "boolean", "default": False},
                        "description": "A line per match instead of per row.",
                    },
                    *_csv_option_parameters(),
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
