"""Screen one vessel against an index: normalise, retrieve candidates, score, explain, decide.

How evidence counts (the README's "How matching decides" says the same to callers):
- An IMO number is given to a hull for life. The same IMO is decisive whatever the name (ships
  are renamed); a valid IMO on both sides that differs means another ship, so such a candidate
  never reaches `match`, whatever its name.
- An MMSI is the radio identity; the same MMSI is strong evidence, a different one is reported
  only (it changes when a ship changes flag).
- Names are compared after normalisation (`names`); hull numbers must agree.
- Call sign and flag corroborate. A flag that differs is reported but never clears a match:
  flag hopping is itself a red flag.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast

from service.candidates import QueryView, candidates, entries_of
from service.identifiers import (
    FlagResult,
    Imo,
    normalize_call_sign,
    normalize_flag,
    normalize_mmsi,
    parse_imo,
)
from service.index import NameEntry, ScreeningIndex
from service.model import ListInfo, Vessel
from service.name_scores import (
    NAME_KIND_RANK,
    OTHER_READING_CAP,
    name_similarity,
    script_note,
)
from service.names import NormalizedName, name_readings
from service.typos import typo_decisions

Decision = Literal["match", "review", "clear"]
ImoStatus = Literal["exact", "mismatch", "absent", "invalid"]
IdStatus = Literal["exact", "mismatch", "absent"]
FlagStatus = Literal["match", "mismatch", "absent"]

# Scores for identifier evidence, on the same 0..1 scale as name similarity.
IMO_EXACT_FLOOR = 0.95  # same IMO, name entirely different: a renamed ship, still a match
MMSI_EXACT_ALONE = 0.95
MMSI_EXACT_FLOOR = 0.85  # same MMSI, unrelated name: review at least
CALL_SIGN_ALONE = 0.85
CALL_SIGN_BONUS = 0.05
FLAG_BONUS = 0.02
# Two valid, different IMO numbers are two ships; what is left of the score only shows a caller
# who asked for low thresholds why the look-alike came up.
IMO_MISMATCH_FACTOR = 0.5


@dataclass(frozen=True, slots=True)
class Policy:
    """Decision thresholds. One letter wrong, missing, extra or swapped in a name of at least
    `typo_min_letters` letters is a `match` when the flag agrees, or when the name has at
    least `typo_alone_min_letters` letters, provided no identifier conflicts and no other
    listed ship is as close (`typos.typo_decisions`)."""

    match_threshold: float = 0.90
    review_threshold: float = 0.80
    default_limit: int = 10
    typo_min_letters: int = 5
    typo_alone_min_letters: int = 8


@dataclass(frozen=True, slots=True)
class Query:
    """A screening request as the caller sent it (already type-checked by the web layer)."""

    name: str | None = None
    imo: str | int | None = None
    mmsi: str | int | None = None
    call_sign: str | None = None
    flag: str | None = None
    lists: tuple[str, ...] | None = None
    threshold: float | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    """The query's fields normalised once, and echoed to the caller as understood."""

    name: str | None
    norm: NormalizedName | None
    imo: Imo | None
    mmsi_raw: str | None
    mmsi: str | None
    call_sign: str | None
    flag: FlagResult
    # `norm` first, then the name's other readings (`names.name_readings`).
    readings: tuple[NormalizedName, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    name: float | None
    imo: ImoStatus
    mmsi: IdStatus
    call_sign: IdStatus
    flag: FlagStatus
    matched_name_kind: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    vessel: Vessel
    score: float
    decision: Decision
    matched_name: str
    explanation: Explanation

    @property
    def entity_id(self) -> str:
        return self.vessel.entity_id

    @property
    def list_id(self) -> str:
        return self.vessel.list_id


@dataclass(frozen=True, slots=True)
class SetAside:
    """A listed ship whose name reached the bar but that was not returned, and why (today: a
    valid IMO that differs from the one sent, which makes it another ship)."""

    vessel: Vessel
    name_score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Screening:
    query: PreparedQuery
    lists: tuple[ListInfo, ...]
    decision: Decision
    matches: tuple[Match, ...]
    set_aside: tuple[SetAside, ...] = ()


def prepare(query: Query) -> PreparedQuery:
    name = query.name.strip() if query.name else None
    readings = tuple(r for r in name_readings(name) if r.key) if name else ()
    mmsi_raw = None if query.mmsi is None else str(query.mmsi).strip() or None
    return PreparedQuery(
        name=name or None,
        norm=readings[0] if readings else None,
        readings=readings,
        imo=parse_imo(query.imo),
        mmsi_raw=mmsi_raw,
        mmsi=normalize_mmsi(mmsi_raw),
        call_sign=normalize_call_sign(query.call_sign),
        flag=normalize_flag(query.flag),
    )


def screen(query: Query, index: ScreeningIndex, policy: Policy) -> Screening:
    """Screen one vessel; every returned match says why it matched."""
    return _screen_prepared(query, prepare(query), index, policy, None)


def _bar(query: Query, policy: Policy) -> float:
    return policy.review_threshold if query.threshold is None else query.threshold


def _screen_prepared(
    query: Query,
    pq: PreparedQuery,
    index: ScreeningIndex,
    policy: Policy,
    retrieved: Sequence[Sequence[int]] | None,
) -> Screening:
    """`screen` once the query is prepared; `retrieved` is the fuzzy pass when done in bulk."""
    index = cast(ScreeningIndex, QueryView(index))
    bar = _bar(query, policy)
    limit = policy.default_limit if query.limit is None else query.limit
    allowed = None if query.lists is None else frozenset(query.lists)

    matches: list[Match] = []
    set_aside: list[SetAside] = []
    # The names by which each match was reached, where they hold all the typo rule needs.
    reached: dict[str, Sequence[int]] = {}
    for vi, entries in candidates(pq, index, bar, retrieved).items():
        vessel = index.vessels[vi]
        if allowed is not None and vessel.list_id not in allowed:
            continue
        match = _score(pq, vi, index, policy, bar, entries)
        if isinstance(match, Match):
            matches.append(match)
            if entries is not None and bar <= 1 - 1 / max(5, policy.typo_min_letters):
                reached[match.entity_id] = entries
        elif match is not None:
            set_aside.append(match)
    if pq.norm is not None and matches:
        matches = typo_decisions(pq, matches, index, policy, reached)
    matches.sort(key=_match_order)
    matches = matches[:limit]
    set_aside.sort(key=lambda a: (-a.name_score, a.vessel.entity_id))
    lists = index.lists if allowed is None else tuple(i for i in index.lists if i.id in allowed)
    return Screening(
        query=pq,
        lists=lists,
        decision=_strongest(matches),
        matches=tuple(matches),
        set_aside=tuple(set_aside[:limit]),
    )


def _match_order(m: Match) -> tuple[float, int, str]:
    """Best score first; on equal scores, ships whose current name it is before those that
    carry it as an alias or a former name, then by entity id."""
    kind = m.explanation.matched_name_kind
    return (-m.score, NAME_KIND_RANK.get(kind or "primary", 0), m.entity_id)


def _strongest(matches: list[Match]) -> Decision:
    if any(m.decision == "match" for m in matches):
        return "match"
    return "review" if matches else "clear"


def _best_name(
    pq: PreparedQuery, vi: int, index: ScreeningIndex, entries: Sequence[int] | None = None
) -> tuple[float, NameEntry, NormalizedName]:
    """The vessel's listed name closest to any reading of the query's, with that reading,
    among `entries` (its names that reached the bar) or else all its names."""
    assert pq.norm is not None
    best_score = -1.0
    best: tuple[NameEntry, NormalizedName] | None = None
    for ni in index.names_of_vessel[vi] if entries is None else sorted(entries):
        entry = index.names[ni]
        for i, reading in enumerate(pq.readings):
            s = name_similarity(reading, entry.norm)
            if i:
                s = min(s, OTHER_READING_CAP)
            # Equal scores: the current name before an alias, an alias before a former name.
            if s > best_score or (
                s == best_score
                and best is not None
                and NAME_KIND_RANK[entry.kind] < NAME_KIND_RANK[best[0].kind]
            ):
                best_score, best = s, (entry, reading)
    assert best is not None
    return best_score, best[0], best[1]


def _imo_status(pq: PreparedQuery, vessel: Vessel, listed_valid: bool) -> ImoStatus:
    if pq.imo is None or not vessel.imo:
        return "absent"
    if pq.imo.digits == vessel.imo:
        return "exact"
    if not pq.imo.valid or not listed_valid:
        return "invalid"
    return "mismatch"


def _id_status(mine: str | None, listed: str | None) -> IdStatus:
    if not mine or not listed:
        return "absent"
    return "exact" if mine == listed else "mismatch"


def _score(
    pq: PreparedQuery,
    vi: int,
    index: ScreeningIndex,
    policy: Policy,
    bar: float,
    entries: Sequence[int] | None = None,
) -> Match | SetAside | None:
    """The candidate as a match, or set aside with the reason when only a differing valid IMO
    keeps it out, or None when it is simply not close enough."""
    vessel = index.vessels[vi]
    notes: list[str] = []
    name_score: float | None = None
    entry: NameEntry | None = None
    reading = pq.norm
    if pq.norm is not None and index.names_of_vessel[vi]:
        name_score, entry, reading = _best_name(pq, vi, index, entries)

    imo = _imo_status(pq, vessel, index.imo_valid[vi])
    mmsi = _id_status(pq.mmsi, vessel.mmsi)
    call_sign = _id_status(pq.call_sign, normalize_call_sign(vessel.call_sign))
    if (
        name_score is not None
        and name_score < bar
        and round(name_score, 4) < bar
        and "exact" not in (imo, mmsi, call_sign)
    ):
        # Without an identifier that agrees, nothing below raises the score above the name's
        # (the flag bonus needs the name at the bar): dropped before its notes are written.
        return None
    flag: FlagStatus = "absent"
    if pq.flag.code and vessel.flags:
        flag = "match" if pq.flag.code in vessel.flags else "mismatch"

    if imo == "exact":
        score = IMO_EXACT_FLOOR + (1 - IMO_EXACT_FLOOR) * (
            1.0 if name_score is None else name_score
        )
        notes.append(f"IMO {vessel.imo} is the listed ship's own IMO number; it is decisive")
        if name_score is not None and name_score < policy.review_threshold:
            notes.append("the name differs from every listed name: the ship may have been renamed")
    else:
        if mmsi == "exact":
            score = (
                MMSI_EXACT_ALONE
                if name_score is None
                else MMSI_EXACT_FLOOR + (MMSI_EXACT_ALONE + 0.02 - MMSI_EXACT_FLOOR) * name_score
            )
            notes.append(f"MMSI {vessel.mmsi} is the listed ship's MMSI")
        elif name_score is not None:
            score = name_score
        elif call_sign == "exact":
            score = CALL_SIGN_ALONE
        else:
            return None
        if call_sign == "exact" and (name_score is not None or mmsi == "exact"):
            score = min(1.0, score + CALL_SIGN_BONUS)
            notes.append(f"call sign {vessel.call_sign} agrees")
        if flag == "match" and name_score is not None and name_score >= bar:
            score = min(1.0, score + FLAG_BONUS)
        if imo == "mismatch":
            score *= IMO_MISMATCH_FACTOR
            notes.append(
                f"IMO {pq.imo.digits if pq.imo else ''} differs from the listed {vessel.imo}: "
                "both are valid, so this is another ship"
            )
        elif imo == "invalid":
            notes.append("an IMO number fails its check digit, so it was not compared")
    if mmsi == "mismatch":
        notes.append(f"MMSI differs from the listed {vessel.mmsi} (MMSIs change with the flag)")
    if flag == "mismatch":
        was = pq.flag.code in vessel.former_flags
        notes.append(
            f"flag {pq.flag.code} differs from the listed {', '.join(vessel.flags)}"
            + (" but is a former listed flag" if was else "")
            + "; a change of flag does not clear a match"
        )
    if entry is not None and reading is not None and reading.non_latin:
        notes.append(script_note(reading, entry))
    if (
        entry is not None
        and reading is not None
        and reading is not pq.norm
        and not reading.non_latin
    ):
        notes.append(f"the name was read as {reading.text}")
    if entry is not None and reading is not None and entry.norm.numbers != reading.numbers:
        notes.append(
            f"hull numbers differ: {' '.join(reading.numbers) or 'none'} against "
            f"{' '.join(entry.norm.numbers) or 'none'}"
        )

    score = round(score, 4)
    if score < bar:
        if imo == "mismatch" and name_score is not None and round(name_score, 4) >= bar:
            reason = (
                f"{vessel.name} ({vessel.entity_id}) matches the name ({round(name_score, 4)}) "
                f"but has IMO {vessel.imo}, not "
                f"{pq.imo.digits if pq.imo else ''}: two valid IMO numbers are two ships"
            )
            return SetAside(vessel, round(name_score, 4), reason)
        return None
    decision: Decision = (
        "match" if score >= policy.match_threshold and imo != "mismatch" else "review"
    )
    explanation = Explanation(
        name=None if name_score is None else round(name_score, 4),
        imo=imo,
        mmsi=mmsi,
        call_sign=call_sign,
        flag=flag,
        matched_name_kind=entry.kind if entry is not None else None,
        notes=tuple(notes),
    )
    return Match(
        vessel=vessel,
        score=score,
        decision=decision,
        matched_name=entry.listed if entry is not None else vessel.name,
        explanation=explanation,
    )


# --- Many queries at once ------------------------------------------------------------------------


def screen_many(
    queries: Sequence[Query], index: ScreeningIndex, policy: Policy, workers: int = -1
) -> list[Screening]:
    """Screen many vessels: for each query, exactly what `screen` answers, computed in bulk.

    Two things make it fast. Queries that are the same once normalised are screened once (bulk
    files repeat ships). And the fuzzy pass scores the candidate names of all the distinct
    names at once, in rapidfuzz's batch call on `workers` threads (-1: every core), instead of
    one call per query; every later step is `screen`'s own code.
    """
    prepared = [prepare(q) for q in queries]
    wanted: dict[float, dict[str, None]] = {}
    for q, pq in zip(queries, prepared, strict=True):
        strings = wanted.setdefault(_bar(q, policy), {})
        for reading in pq.readings:
            strings[reading.key] = strings[reading.text] = None
    found: dict[tuple[str, float], list[int]] = {}
    for bar, strings in wanted.items():
        texts = list(strings)
        for text, hits in zip(
            texts, index.name_index.within_many(texts, bar, workers), strict=True
        ):
            found[(text, bar)] = hits

    answers: dict[Hashable, Screening] = {}
    out: list[Screening] = []
    for q, pq in zip(queries, prepared, strict=True):
        key = _same_answer_key(q, pq, policy)
        done = answers.get(key)
        if done is None:
            bar = _bar(q, policy)
            retrieved = []
            for reading in pq.readings:
                hits = found[(reading.key, bar)]
                if reading.text != reading.key:
                    hits = hits + found[(reading.text, bar)]
                retrieved.append(entries_of(hits, len(index.names)))
            done = answers[key] = _screen_prepared(q, pq, index, policy, retrieved)
        # The answer echoes each caller's own spelling, so only the matches are shared.
        out.append(done if done.query == pq else replace(done, query=pq))
    return out


def _same_answer_key(q: Query, pq: PreparedQuery, policy: Policy) -> Hashable:
    """Everything `candidates` and `_score` read: queries with equal keys get equal matches."""
    return (
        pq.readings,
        None if pq.imo is None else (pq.imo.digits, pq.imo.valid),
        pq.mmsi,
        pq.call_sign,
        pq.flag.code,
        _bar(q, policy),
        policy.default_limit if q.limit is None else q.limit,
        None if q.lists is None else frozenset(q.lists),
    )
