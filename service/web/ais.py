"""POST /v1/ais (raw AIS in) and GET /v1/vessels/{entity_id}/track (a listed ship's track)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from service.ais.streams import AisFormatError
from service.store import StoreError
from service.web import render
from service.web.access import scope
from service.web.ais_schemas import AisIngestSchema, TrackSchema
from service.web.errors import ApiProblem, validation_problem
from service.web.http import json_response, serving, state

bp = Blueprint("ais", __name__)
_ingest_schema = AisIngestSchema()
_track_schema = TrackSchema()

AIS_TYPES = ("text/plain", "text/csv", "application/csv", "application/gzip")
MAX_TRACK_POINTS = 10_000


@bp.post("/v1/ais")
@scope("admin")
def ingest_ais() -> Response:
    """Store raw AIS (NMEA as text/plain, a position CSV as text/csv, either gzipped) and
    derive events again; the answer counts what was kept and shows the first rejections."""
    current = state()
    if current.ais is None:
        raise ApiProblem(503, "Service Unavailable", "AIS is not set up in this service.")
    if request.mimetype not in AIS_TYPES:
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            "Send NMEA as text/plain or a MarineCadastre / Danish Maritime Authority position "
            f"CSV as text/csv (gzip allowed), not {request.mimetype or 'nothing'}.",
        )
    unknown = sorted(set(request.args) - {"source"})
    if unknown:
        raise validation_problem({k: ["Unknown parameter."] for k in unknown})
    name = request.args.get("source") or f"post-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    body = request.get_data(cache=False)
    if not body:
        raise validation_problem({"body": ["Empty: send AIS sentences or a position CSV."]})
    try:
        result = current.ais.ingest(body, name)
    except AisFormatError as exc:
        raise ApiProblem(422, "Not AIS", exc.reason, errors={"body": [exc.reason]}) from None
    except StoreError as exc:
        raise ApiProblem(503, "Service Unavailable", "The AIS could not be stored.") from exc
    s = result.summary
    answer = {
        "source": name,
        "format": s.format,
        "stored": result.new,
        "ingest_id": result.stored.ingest_id,
        "lines": s.lines,
        "accepted": s.accepted if result.new else 0,
        "positions": s.positions,
        "statics": s.statics,
        "rejected": s.rejected,
        "outliers": s.outliers,
        "duplicates": s.duplicates,
        "first_rejections": [
            {"line": r.line, "reason": r.reason, "text": r.text} for r in s.first_rejections
        ],
    }
    return json_response(_ingest_schema.dump(answer), 201 if result.new else 200)


@bp.get("/v1/vessels/<path:entity_id>/track")
@scope("read")
def track(entity_id: str) -> Response:
    current = serving()
    index = current.index
    assert index is not None
    vessel = index.vessel(entity_id)
    if vessel is None:
        raise ApiProblem(404, "Not Found", f"No listed vessel has the id {entity_id!r}.")
    start, end, limit = _track_args()
    behaviour = current.ais.current() if current.ais is not None else None
    body: dict[str, Any] = {
        "entity_id": entity_id,
        "mmsis": [],
        "from_": start,
        "to": end,
        "total": 0,
        "downsampled": False,
        "points": [],
        "events": [],
    }
    if behaviour is not None:
        mmsis, points, total = behaviour.track_of(vessel, start, end, limit)
        events = [e for e in behaviour.events_of(vessel, start) if end is None or e.start <= end]
        body |= {
            "mmsis": mmsis,
            "total": total,
            "downsampled": len(points) < total,
            "points": [
                {
                    "t": datetime.fromtimestamp(int(t), UTC),
                    "lat": float(lat),
                    "lon": float(lon),
                    "sog": None if sog != sog else round(float(sog), 1),
                    "mmsi": str(mmsi),
                }
                for t, lat, lon, sog, mmsi in zip(
                    points.t, points.lat, points.lon, points.sog, points.mmsi, strict=True
                )
            ],
            "events": [render.event(e) for e in events],
        }
    return json_response(_track_schema.dump(body))


def _track_args() -> tuple[datetime | None, datetime | None, int]:
    errors: dict[str, list[str]] = {
        k: ["Unknown parameter."] for k in sorted(set(request.args) - {"from", "to", "limit"})
    }
    times: list[datetime | None] = []
    for key in ("from", "to"):
        raw = request.args.get(key)
        if raw is None:
            times.append(None)
            continue
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            errors[key] = ["Not an RFC 3339 time."]
            times.append(None)
            continue
        times.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    raw_limit = request.args.get("limit", "2000")
    limit = int(raw_limit) if raw_limit.isdigit() else 0
    if not 1 <= limit <= MAX_TRACK_POINTS:
        errors["limit"] = [f"An integer from 1 to {MAX_TRACK_POINTS}."]
    if errors:
        raise validation_problem(errors)
    return times[0], times[1], limit
