"""The paths of the OpenAPI document that `web/openapi.py` builds, one helper per group of
routes, and the response helpers every path uses.

Each helper registers the schemas its paths answer with, so a group's contract reads in one place.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from marshmallow import fields, validate

from service.web import ais_schemas, list_schemas, record_schemas, schemas

PROBLEM = "application/problem+json"


def problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": "Problem"}}}


def json_answer(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_INPUT = {
    "400": problem("The body is not valid JSON."),
    "413": problem("The body is larger than the service accepts."),
    "415": problem("The body is not application/json."),
    "422": problem("A field is missing or not valid; `errors` names each one."),
    "503": problem("No list is loaded yet."),
}


def record_paths(spec: APISpec) -> None:
    """List versions and their diff, the audit trail and the alerts (records.py, lists.py)."""
    for name, schema in (
        ("ListVersions", list_schemas.ListVersionsSchema),
        ("ListDiff", list_schemas.ListDiffSchema),
        ("AlertsResponse", record_schemas.AlertsResponseSchema),
    ):
        spec.components.schema(name, schema=schema)
    list_id = {
        "name": "list_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "A list id, as in GET /v1/lists.",
    }
    unavailable = problem("The store does not answer.")
    spec.path(
        path="/v1/lists/{list_id}/versions",
        operations={
            "get": {
                "operationId": "listVersions",
                "summary": "Every load of a list, published or failed, newest first",
                "parameters": [list_id],
                "responses": {
                    "200": json_answer("ListVersions", "The versions."),
                    "404": problem("No list has this id."),
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
                    "200": json_answer("ListDiff", "The differences."),
                    "404": problem("No list has this id."),
                    "422": problem("`from` or `to` is not a published version of the list."),
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
                    "200": json_answer("ScreenResponse", "The answer as it was sent."),
                    "404": problem("No screening has this id."),
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
                    "200": json_answer("AlertsResponse", "The alerts, newest first."),
                    "422": problem("`since` or `limit` is not valid."),
                    "503": unavailable,
                },
            }
        },
    )


def ais_paths(spec: APISpec) -> None:
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
                    "201": json_answer("AisIngest", "Stored; the counts of what was kept."),
                    "200": json_answer(
                        "AisIngest", "These bytes were stored before: nothing added."
                    ),
                    "415": problem("Neither text/plain, text/csv nor gzip."),
                    "422": problem("Not AIS (no times in an NMEA log, an unknown CSV layout)."),
                    "503": problem("The store does not answer."),
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
                    "200": json_answer("Track", "The track and the events in its range."),
                    "404": problem("No listed vessel has this id."),
                    "422": problem("A bad `from`, `to` or `limit`."),
                    "503": problem("No list is loaded."),
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


def bulk_paths(spec: APISpec) -> None:
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
                    "200": json_answer(
                        "BatchResponse",
                        "One result per query, in order: the screening, or `{error}` for an "
                        "item that is not valid.",
                    ),
                    **BAD_INPUT,
                    "422": problem(
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
                    "406": problem("The Accept header takes neither text/csv nor NDJSON."),
                    "413": problem("Over CSV_MAX_BYTES or CSV_MAX_ROWS."),
                    "415": problem(
                        "Not multipart/form-data or text/csv, or the file is binary or UTF-16."
                    ),
                    "422": problem(
                        "Empty, no header row, no column naming a vessel, or two columns that "
                        "give the same field; `errors` says which."
                    ),
                    "503": BAD_INPUT["503"],
                },
            }
        },
    )
