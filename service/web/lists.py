"""What is loaded and what was: /v1/lists, a list's versions and their diff, one listed ship."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flask import Blueprint, Response, request

from service.model import ListInfo, Vessel
from service.refresh import refresh_lists
from service.serving import Serving
from service.store import ListVersionRecord, Store, StoreError
from service.versions import diff, loaded_from_records
from service.web import render
from service.web.access import scope
from service.web.errors import ApiProblem, validation_problem
from service.web.http import json_response, serving
from service.web.http import state as current_state
from service.web.list_schemas import (
    ListDiffSchema,
    ListsResponseSchema,
    ListVersionsSchema,
    RefreshResponseSchema,
    VesselDetailSchema,
)

bp = Blueprint("lists", __name__)
_lists_schema = ListsResponseSchema()
_vessel_schema = VesselDetailSchema()
_versions_schema = ListVersionsSchema()
_diff_schema = ListDiffSchema()
_refresh_schema = RefreshResponseSchema()


@bp.get("/v1/lists")
@scope("read")
def lists() -> Response:
    state = serving()
    assert state.index is not None
    served = [
        _list_info(info, state.last_error, "served", None) for info in state.index.lists
    ]
    return json_response(_lists_schema.dump({"lists": served + _retired(state.store)}))


def _list_info(
    info: ListInfo, error: str | None, status: str, retired_at: datetime | None
) -> dict[str, object]:
    return {
        "id": info.id,
        "title": info.title,
        "source": info.source,
        "format": info.format,
        "version": info.version,
        "loaded_at": info.loaded_at,
        "sha256": dict(info.sha256),
        "entries": info.entries,
        "last_error": error,
        "status": status,
        "retired_at": retired_at,
    }


def _retired(store: Store) -> list[dict[str, object]]:
    """Retired lists with their last version; none when the store does not answer (the served
    lists are still worth showing)."""
    try:
        retired = store.retired_lists()
        latest = {list_id: store.latest_version(list_id) for list_id in retired}
    except StoreError:
        return []
    out = []
    for list_id, at in retired.items():
        record = latest[list_id]
        if record is None:
            continue
        info = replace(record.to_list_info(), entries=_vessels(record))
        out.append(_list_info(info, None, "retired", at))
    return out


def _vessels(record: ListVersionRecord) -> int:
    return record.entries if record.vessels is None else record.vessels


@bp.post("/v1/lists/refresh")
@scope("admin")
def refresh() -> Response:
    """Download, check and publish new list versions now (admin). Synchronous: the answer is
    the outcome. A failed list is in the results with 200, since the service still serves.
    It runs with no list loaded yet too, which is when a download helps most."""
    results = refresh_lists(current_state())
    return json_response(_refresh_schema.dump({"results": [r.as_dict() for r in results]}))


@bp.get("/v1/vessels/<path:entity_id>")
@scope("read")
def vessel(entity_id: str) -> Response:
    state = serving()
    index = state.index
    assert index is not None
    v = index.vessel(entity_id)
    if v is None:
        raise ApiProblem(404, "Not Found", f"No listed vessel has the id {entity_id!r}.")
    info = next(i for i in index.lists if i.id == v.list_id)
    body = (
        render.vessel(v)
        | {
            "entity_id": v.entity_id,
            "list": render.list_ref(info),
            "names": [{"name": v.name, "kind": "primary"}]
            + [{"name": n.name, "kind": n.kind} for n in v.names if n.name != v.name],
            "remarks": v.remarks,
            "source_record": v.source_record,
        }
        | render.history(state.context(index).history(v, None))
        | {"track": _track_summary(state, v)}
    )
    return json_response(_vessel_schema.dump(body))


def _track_summary(state: Serving, v: Vessel) -> dict[str, object] | None:
    """How much AIS the service holds for the ship (its points: GET .../track)."""
    behaviour = state.ais.current() if state.ais is not None else None
    if behaviour is None:
        return None
    mmsis, points, total = behaviour.track_of(v, limit=2)
    return {
        "points": total,
        "first": None if not total else datetime.fromtimestamp(int(points.t[0]), UTC),
        "last": None if not total else datetime.fromtimestamp(int(points.t[-1]), UTC),
        "mmsis": mmsis,
    }


def _known_list(list_id: str) -> list[ListVersionRecord]:
    try:
        versions = serving().store.list_versions(list_id)
    except StoreError as exc:
        raise ApiProblem(503, "Service Unavailable", "The store does not answer.") from exc
    if not versions:
        raise ApiProblem(404, "Not Found", f"No list has the id {list_id!r}; see GET /v1/lists.")
    return versions


@bp.get("/v1/lists/<list_id>/versions")
@scope("read")
def versions(list_id: str) -> Response:
    records = _known_list(list_id)
    body = {
        "list": list_id,
        "versions": [
            {
                "version": r.version,
                "loaded_at": r.loaded_at,
                "entries": _vessels(r),
                "records": r.entries,
                "sha256": dict(r.sha256),
                "published": r.published,
                "error": r.error,
            }
            for r in records
        ],
    }
    return json_response(_versions_schema.dump(body))


@bp.get("/v1/lists/<list_id>/diff")
@scope("read")
def version_diff(list_id: str) -> Response:
    records = _known_list(list_id)
    published = [r.version for r in records if r.published and r.version]
    old, new = request.args.get("from"), request.args.get("to")
    missing = {
        k: ["Required: a published version of this list."]
        for k, v in (("from", old), ("to", new))
        if not v
    }
    if missing:
        raise validation_problem(missing)
    unknown = {
        k: [f"No published version {v!r}; see /v1/lists/{list_id}/versions."]
        for k, v in (("from", old), ("to", new))
        if v not in published
    }
    if unknown:
        raise validation_problem(unknown)
    store = serving().store
    versions = {r.version: r for r in records}
    before, after = (
        loaded_from_records(
            versions[v].to_list_info(), store.list_version_entries(list_id, v) or []
        )
        for v in (str(old), str(new))
    )
    d = diff(before.vessels, after.vessels)
    body = {
        "list": list_id,
        "from": old,
        "to": new,
        "added": [_brief(v) for v in d.added],
        "removed": [_brief(v) for v in d.removed],
        "changed": [
            {
                "entity_id": c.entity_id,
                "name": c.name,
                "fields": {k: {"before": b, "after": a} for k, (b, a) in c.fields.items()},
            }
            for c in d.changed
        ],
    }
    return json_response(_diff_schema.dump(body))


def _brief(v: Vessel) -> dict[str, object]:
    return {"entity_id": v.entity_id, "name": v.name, "imo": v.imo}
