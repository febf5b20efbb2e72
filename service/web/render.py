"""Core objects to plain dicts shaped like the schemas; the schemas then dump them."""

from __future__ import annotations

from typing import Any

from service.ais.model import AisEvent
from service.identifiers import mid_country
from service.index import ScreeningIndex
from service.matcher import Match, PreparedQuery
from service.model import ListInfo, Vessel
from service.portcalls.history import VesselHistory
from service.screening import Outcome
from service.web.schemas import Dumped


def list_ref(info: ListInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "version": info.version,
        "loaded_at": info.loaded_at,
        "entries": info.entries,
    }


def vessel(v: Vessel) -> dict[str, Any]:
    return {
        "name": v.name,
        "aliases": list(v.aliases),
        "former_names": list(v.former_names),
        "imo": v.imo,
        "mmsi": v.mmsi,
        "call_sign": v.call_sign,
        "flags": list(v.flags),
        "former_flags": list(v.former_flags),
        "vessel_type": v.vessel_type,
        "build_year": v.build_year,
        "tonnage": v.tonnage,
        "gross_registered_tonnage": v.gross_registered_tonnage,
        "owner": v.owner,
        "programs": list(v.programs),
        "listed_on": v.listed_on,
    }


def dumped_vessel(v: Vessel) -> Dumped:
    """The vessel as `VesselSchema` dumps it: the model's fields are already the schema's types
    (strings, ints, lists of strings), so the plain dict is the dump (tests/web/test_screen.py
    holds every listed vessel of the real lists to it), built per answer rather than kept: a
    dumped vessel kept per listed ship would grow each worker by a kilobyte or two for every
    ship ever matched."""
    return Dumped(vessel(v))


def query_echo(pq: PreparedQuery) -> dict[str, Any]:
    imo = pq.imo
    return {
        "name": pq.name,
        "name_normalized": pq.norm.text if pq.norm else None,
        "imo": (imo.digits or imo.raw) if imo else None,
        "imo_valid": imo.valid if imo else None,
        "mmsi": pq.mmsi or pq.mmsi_raw,
        "mmsi_valid": (pq.mmsi is not None) if pq.mmsi_raw else None,
        "mmsi_flag": mid_country(pq.mmsi) if pq.mmsi else None,
        "call_sign": pq.call_sign,
        "flag": pq.flag.code,
        "flag_recognized": None if pq.flag.raw is None else pq.flag.known,
    }


def history(h: VesselHistory) -> dict[str, Any]:
    """`port_calls`, `risk_flags` and `risk_details` of a match or a vessel."""
    return {
        "port_calls": [
            {
                "port": r.call.port_name,
                "locode": r.call.locode,
                "country": r.call.country,
                "arrived_at": r.call.arrived_at,
                "departed_at": r.call.departed_at,
                "source": r.call.source,
                "note": r.call.note,
                "confidence": r.call.confidence,
                "risk": list(r.risks),
            }
            for r in h.calls
        ],
        "port_calls_before_window": h.before_window,
        "risk_flags": list(h.flag_codes),
        "risk_details": [{"code": f.code, "reason": f.reason} for f in h.flags],
        "events": [event(e) for e in h.events],
    }


def event(e: AisEvent) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "mmsi": e.mmsi,
        "start": e.start,
        "end": e.end,
        "hours": round(e.hours, 2),
        "lat": e.lat,
        "lon": e.lon,
        "evidence": e.evidence,
        "source": e.source if e.source.startswith("ais") else f"ais:{e.source}".rstrip(":"),
    }


def match(m: Match, h: VesselHistory, listings: tuple[Match, ...] = ()) -> dict[str, Any]:
    e = m.explanation
    return {
        "entity_id": m.entity_id,
        "list": m.list_id,
        "score": m.score,
        "decision": m.decision,
        "matched_name": m.matched_name,
        "vessel": dumped_vessel(m.vessel),
        "lists": list(dict.fromkeys(x.list_id for x in listings or (m,))),
        "listings": [
            {
                "entity_id": x.entity_id,
                "list": x.list_id,
                "name": x.vessel.name,
                "programs": list(x.vessel.programs),
                "listed_on": x.vessel.listed_on,
                "score": x.score,
            }
            for x in listings or (m,)
        ],
        "explanation": {
            "name": e.name,
            "imo": e.imo,
            "mmsi": e.mmsi,
            "call_sign": e.call_sign,
            "flag": e.flag,
            "matched_name_kind": e.matched_name_kind,
            "notes": list(e.notes),
        },
    } | history(h)


def screening(outcome: Outcome, index: ScreeningIndex) -> dict[str, Any]:
    s = outcome.screening
    return {
        "screening_id": outcome.screening_id,
        "screened_at": outcome.screened_at,
        "reference": outcome.reference,
        "query": query_echo(s.query),
        "lists": [list_ref(i) for i in s.lists],
        "decision": outcome.decision,
        "matches": [
            match(m, h, x)
            for m, h, x in zip(s.matches, outcome.histories, outcome.listings, strict=True)
        ],
        "party_matches": [
            {
                "role": p.role,
                "query_name": p.query_name,
                "entity_id": p.entity.entity_id,
                "list": p.entity.list_id,
                "name": p.entity.name,
                "matched_name": p.matched_name,
                "kind": p.entity.kind,
                "imo_company_number": p.entity.imo_company_number,
                "programs": list(p.entity.programs),
                "score": p.score,
                "decision": p.decision,
            }
            for p in outcome.parties
        ],
        "risk_flags": list(outcome.risk_flags),
        "warnings": list(outcome.warnings),
        "decision_reason": outcome.decision_reason,
        "set_aside": [
            {
                "entity_id": a.vessel.entity_id,
                "list": a.vessel.list_id,
                "name": a.vessel.name,
                "imo": a.vessel.imo,
                "name_score": a.name_score,
                "reason": a.reason,
            }
            for a in s.set_aside
        ],
        "imo_suggestions": [
            {"imo": v.imo, "entity_id": v.entity_id, "list": v.list_id, "name": v.name}
            for v in outcome.suggestions
        ],
    }
