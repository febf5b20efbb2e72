"""Build the OpenAPI 3.1 document from the marshmallow schemas.

`openapi.yaml` at the top of the repo is this document, exported with `make openapi`; a test
fails when the two differ, so the published contract always describes the running code. The
paths of the batch and CSV, records and AIS routes are in `web/openapi_paths.py`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from service.auth import Scope
from service.web import list_schemas, record_schemas, schemas
from service.web.access import declared_routes
from service.web.openapi_paths import (
    BAD_INPUT,
    PROBLEM,
    ais_paths,
    bulk_paths,
    json_answer,
    problem,
    record_paths,
)
from service.web.schemas import NOT_BLANK


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
        ("ListsResponse", list_schemas.ListsResponseSchema),
        ("VesselDetail", list_schemas.VesselDetailSchema),
        ("Health", list_schemas.HealthSchema),
        ("Ready", list_schemas.ReadySchema),
        ("PortCallsPushResponse", record_schemas.PortCallsPushResponseSchema),
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
                "responses": {"200": json_answer("ScreenResponse", "The screening.")} | BAD_INPUT,
            }
        },
    )
    bulk_paths(spec)
    record_paths(spec)
    ais_paths(spec)
    spec.path(
        path="/v1/lists",
        operations={
            "get": {
                "operationId": "lists",
                "summary": "The loaded lists, their versions and sources",
                "responses": {
                    "200": json_answer("ListsResponse", "Every loaded list."),
                    "503": BAD_INPUT["503"],
                },
            }
        },
    )
    spec.components.schema("RefreshResponse", schema=list_schemas.RefreshResponseSchema)
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
                "responses": {"200": json_answer("RefreshResponse", "One result per list.")},
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
                    "200": json_answer("VesselDetail", "The vessel."),
                    "404": problem("No listed vessel has this id."),
                    "503": BAD_INPUT["503"],
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
                    "200": json_answer(
                        "PortCallsPushResponse",
                        "Accepted calls are stored; rejected rows are listed with their reasons.",
                    ),
                    "400": BAD_INPUT["400"],
                    "413": BAD_INPUT["413"],
                    "415": problem("Not JSON, JSON lines or CSV."),
                    "422": problem("No row could be accepted; `errors.rows` says why each failed."),
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
                "responses": {"200": json_answer("Health", "Alive.")},
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
                    "200": json_answer("Ready", "Ready to screen."),
                    "503": json_answer("Ready", "Not ready; `reasons` says why."),
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
    _secure(document, declared_routes())
    order = ("openapi", "info", "paths", "components")
    return {key: document[key] for key in order} | {
        k: v for k, v in document.items() if k not in order
    }


def _secure(document: dict[str, Any], scopes: dict[tuple[str, str], Scope | None]) -> None:
    """Security as `web/access.py` enforces it: from the scopes the view functions declare.

    `scopes` maps (path, method) to a route's declared scope; a path in the document that no
    route serves raises KeyError, so the contract cannot describe a route that is not there.
    """
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API key."},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            scope = scopes[path, method.upper()]
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


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@lru_cache(maxsize=1)
def spec_yaml() -> str:
    return yaml.dump(
        build_spec(), Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100
    )
