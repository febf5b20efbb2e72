"""What a query carried that could not be used: the warnings an answer gives, the identifiers
that make a clear answer impossible, and the listed IMO numbers a mistyped one may have meant."""

from __future__ import annotations

from service.identifiers import is_valid_imo
from service.index import ScreeningIndex
from service.matcher import PreparedQuery
from service.model import Vessel


def unusable_identifiers(pq: PreparedQuery) -> tuple[str, ...]:
    """The identifiers sent that could not be compared as identifiers: an IMO number whose check
    digit fails (compared only for an exact listed match), an MMSI that is not nine digits."""
    out = []
    if pq.imo is not None and not pq.imo.valid:
        out.append(f"IMO {pq.imo.digits or pq.imo.raw}")
    if pq.mmsi_raw and pq.mmsi is None:
        out.append(f"MMSI {pq.mmsi_raw}")
    return tuple(out)


def query_warnings(pq: PreparedQuery) -> tuple[str, ...]:
    out = []
    if pq.name and pq.norm is None:
        out.append(f"name {pq.name!r} has no letters or digits; it was not compared")
    if pq.imo is not None and not pq.imo.valid:
        out.append(
            f"IMO {pq.imo.raw!r} is not a valid IMO number (7 digits with a check digit); "
            "it was compared only for an exact listed match"
        )
    if pq.mmsi_raw and pq.mmsi is None:
        out.append(f"MMSI {pq.mmsi_raw!r} is not 9 digits; it was not compared")
    if not pq.flag.known:
        out.append(f"flag {pq.flag.raw!r} is not a recognised country; it was not compared")
    return tuple(out)


def imo_suggestions(
    pq: PreparedQuery, index: ScreeningIndex, lists: frozenset[str] | None = None
) -> tuple[Vessel, ...]:
    """Listed ships whose valid IMO number differs from the one sent in one digit, when the one
    sent fails its check digit: the usual typing slip, and one a screening must not wave past.
    Any single wrong digit breaks the check, so a valid neighbour is always a candidate."""
    imo = pq.imo
    if imo is None or imo.valid or imo.digits is None:
        return ()
    digits = imo.digits
    found: dict[str, Vessel] = {}
    for position, sent in enumerate(digits):
        for other in "0123456789":
            if other == sent:
                continue
            candidate = digits[:position] + other + digits[position + 1 :]
            if not is_valid_imo(candidate):
                continue
            for vi in index.by_imo.get(candidate, ()):
                vessel = index.vessels[vi]
                if lists is None or vessel.list_id in lists:
                    found.setdefault(vessel.entity_id, vessel)
    return tuple(sorted(found.values(), key=lambda v: (v.imo or "", v.entity_id)))


def suggestion_text(suggestions: tuple[Vessel, ...]) -> str:
    named = "; ".join(f"IMO {v.imo} ({v.name}, {v.entity_id})" for v in suggestions)
    return f"A listed ship's IMO differs from the IMO sent by one digit: {named}."
