"""Identity events: an MMSI that changes the name, IMO or call sign it broadcasts; an IMO number
broadcast under several MMSIs; and the check of an MMSI's flag (its MID) against the flags a
sanctions list gives the ship.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from service.ais.model import AisEvent
from service.ais.params import AisParams
from service.ais.tracks import IdentitySpan, IdentityTimeline
from service.identifiers import flag_name, mid_country, normalize_flag, normalize_mmsi

__all__ = ["find_identity_changes", "find_shared_imos", "mid_flag_mismatch"]

_FIELDS = ("name", "imo", "call_sign")


def find_identity_changes(
    identity: IdentityTimeline, params: AisParams, source: str
) -> list[AisEvent]:
    """One event per change of broadcast identity. A field counts as changed only when both the
    old and the new value are known (a first call sign after a name is not a change); changes
    within `identity_join_hours` of each other are one event."""
    window = timedelta(hours=params.identity_join_hours)
    events: list[AisEvent] = []
    for mmsi in identity:
        spans = identity.spans(mmsi)
        pending: list[tuple[IdentitySpan, IdentitySpan, dict[str, dict[str, str]]]] = []
        for before, after in pairwise(spans):
            changed = {
                f: {"from": getattr(before, f), "to": getattr(after, f)}
                for f in _FIELDS
                if getattr(before, f) is not None
                and getattr(after, f) is not None
                and getattr(before, f) != getattr(after, f)
            }
            if not changed:
                continue
            if pending and after.first_seen - pending[-1][1].first_seen <= window:
                first_before, _, merged = pending[-1]
                for f, change in changed.items():
                    merged[f] = {"from": merged.get(f, change)["from"], "to": change["to"]}
                pending[-1] = (first_before, after, merged)
            else:
                pending.append((before, after, changed))
        for before, after, changed in pending:
            events.append(_change_event(mmsi, before, after, changed, source))
    return events


def _change_event(
    mmsi: str,
    before: IdentitySpan,
    after: IdentitySpan,
    changed: dict[str, dict[str, str]],
    source: str,
) -> AisEvent:
    evidence: dict[str, Any] = {
        "change": "broadcast_identity",
        "fields": sorted(changed),
        "changes": changed,
        "last_seen_before": before.last_seen.isoformat(),
        "first_seen_after": after.first_seen.isoformat(),
        "before": _span_json(before),
        "after": _span_json(after),
    }
    return AisEvent(
        "identity_change", mmsi, before.last_seen, after.first_seen, None, None, evidence, source
    )


def find_shared_imos(identity: IdentityTimeline, source: str) -> list[AisEvent]:
    """For every IMO broadcast under two or more MMSIs, one event per MMSI naming the others:
    a ship re-flagged (new MMSI), or one ship's identity borrowed by another."""
    events: list[AisEvent] = []
    for imo, mmsis in sorted(identity.mmsis_by_imo().items()):
        if len(mmsis) < 2:
            continue
        seen = {m: _seen_with_imo(identity.spans(m), imo) for m in mmsis}
        others_json = {
            m: {"mmsi": m, "first_seen": a.isoformat(), "last_seen": b.isoformat()}
            for m, (a, b) in seen.items()
        }
        for mmsi in sorted(mmsis):
            start, end = seen[mmsi]
            overlapping = [
                o for o in sorted(mmsis) if o != mmsi and seen[o][0] <= end and start <= seen[o][1]
            ]
            evidence = {
                "change": "imo_shared",
                "imo": imo,
                "other_mmsis": [others_json[o] for o in sorted(mmsis) if o != mmsi],
                "simultaneous_with": overlapping,
                "first_seen": start.isoformat(),
                "last_seen": end.isoformat(),
            }
            events.append(
                AisEvent("identity_change", mmsi, start, end, None, None, evidence, source)
            )
    return events


def _seen_with_imo(spans: list[IdentitySpan], imo: str) -> tuple[datetime, datetime]:
    with_imo = [s for s in spans if s.imo == imo]
    return with_imo[0].first_seen, with_imo[-1].last_seen


def mid_flag_mismatch(mmsi: str | int, listed_flags: Iterable[str]) -> dict[str, Any] | None:
    """Evidence when the MMSI's MID names a flag state none of `listed_flags` (codes or names, as
    a list writes them) is; None when it agrees with one of them, or either side is unknown
    (no MID flag, or no recognisable listed flag) so there is nothing to compare."""
    code = mid_country(mmsi)
    listed = {normalize_flag(f).code for f in listed_flags}
    listed.discard(None)
    if code is None or not listed or code in listed:
        return None
    digits = normalize_mmsi(mmsi)
    return {
        "mmsi": digits,
        "mid": digits[:3] if digits else None,
        "mid_flag": code,
        "mid_flag_name": flag_name(code),
        "listed_flags": sorted(c for c in listed if c is not None),
    }


def _span_json(span: IdentitySpan) -> dict[str, Any]:
    return {
        "name": span.name,
        "imo": span.imo,
        "call_sign": span.call_sign,
        "ship_type": span.ship_type,
        "first_seen": span.first_seen.isoformat(),
        "last_seen": span.last_seen.isoformat(),
    }
