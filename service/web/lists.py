"""GET /v1/lists and GET /v1/vessels/{entity_id}: what is loaded, and one listed ship."""

from __future__ import annotations

from flask import Blueprint, Response

from service.web import render
from service.web.errors import ApiProblem
from service.web.http import json_response, serving
from service.web.schemas import ListsResponseSchema, VesselDetailSchema

bp = Blueprint("lists", __name__)
_lists_schema = ListsResponseSchema()
_vessel_schema = VesselDetailSchema()


@bp.get("/v1/lists")
def lists() -> Response:
    state = serving()
    assert state.index is not None
    body = {
        "lists": [
            {
                "id": info.id,
                "title": info.title,
                "source": info.source,
                "format": info.format,
                "version": info.version,
                "loaded_at": info.loaded_at,
                "sha256": dict(info.sha256),
                "entries": info.entries,
                "last_error": state.last_error,
            }
            for info in state.index.lists
        ]
    }
    return json_response(_lists_schema.dump(body))


@bp.get("/v1/vessels/<path:entity_id>")
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
        | render.history(state.history(v, None))
    )
    return json_response(_vessel_schema.dump(body))
