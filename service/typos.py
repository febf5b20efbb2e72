"""The typo rule: one letter wrong, missing, extra or swapped in a listed ship's name.

A name one edit from a listed one is `review` by its score alone in names under ten letters;
this rule makes it a `match` where a typo is the likelier reading (see `typo_decisions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rapidfuzz.distance import OSA

from service.index import NameEntry, ScreeningIndex
from service.name_scores import edit_distance, letter_count
from service.names import NormalizedName

if TYPE_CHECKING:
    from service.matcher import Match, Policy, PreparedQuery


def typo_decisions(
    pq: PreparedQuery,
    matches: list[Match],
    index: ScreeningIndex,
    policy: Policy,
    reached: Mapping[str, Sequence[int]] | None = None,
) -> list[Match]:
    """Raise to `match` the one listed ship whose name is one typo from the query's.

    One edit in a name of `typo_min_letters` letters or more is more likely a slip than
    another ship when something corroborates it: the flag agrees, or the name is long
    (`typo_alone_min_letters`) and so is the word the edit falls in, so that one letter is a
    small share of it. It stays
    `review` when an identifier conflicts, or when another listed ship's name is as close
    (two listed ships one letter apart: the letter is what tells them apart).

    `reached` holds, by entity id, the names of a match that reached a bar of 0.8 or less:
    every name one edit from the query's in five letters or more is among them, so only those
    are read; a match not in it has all its names read.
    """
    if all(m.decision == "match" for m in matches):
        return matches  # nothing to raise (the usual answer to an exact name)
    closest: list[tuple[int, Match, NameEntry, NormalizedName]] = []
    for m in matches:
        mine = reached.get(m.entity_id) if reached is not None else None
        if mine is None:
            mine = index.names_of_vessel[index.by_entity[m.entity_id]]
        best: tuple[int, NameEntry, NormalizedName] | None = None
        for ni in mine:
            entry = index.names[ni]
            for reading in pq.readings:
                d = edit_distance(reading, entry.norm)
                if d <= 1 and (best is None or d < best[0]):
                    best = (d, entry, reading)
        if best is not None:
            closest.append((best[0], m, best[1], best[2]))
    ships = {m.vessel.imo or m.entity_id for _, m, _, _ in closest}
    if len(ships) != 1 or closest[0][0] != 1:
        return matches
    raised: dict[str, Match] = {}
    for _, m, entry, reading in closest:
        e = m.explanation
        letters = min(letter_count(reading), letter_count(entry.norm))
        # Alone, the slip must also fall in a word of typo_min_letters: one letter changes a
        # short word into another (XING HONG, LING HONG; ES LEADER, NS LEADER).
        alone = (
            letters >= policy.typo_alone_min_letters
            and _edited_word_letters(reading, entry.norm) >= policy.typo_min_letters
        )
        corroborated = e.flag == "match" or alone
        if (
            m.decision == "match"
            or "mismatch" in (e.imo, e.mmsi, e.call_sign)
            or letters < policy.typo_min_letters
            or not corroborated
        ):
            continue
        note = (
            f"one letter differs from the listed {entry.listed} ({letters} letters) and no "
            "other listed ship is as close: read as a typo"
            + ("; the flag agrees" if e.flag == "match" else "")
        )
        raised[m.entity_id] = replace(
            m,
            score=max(m.score, policy.match_threshold),
            decision="match",
            matched_name=entry.listed,
            explanation=replace(e, matched_name_kind=entry.kind, notes=(*e.notes, note)),
        )
    return [raised.get(m.entity_id, m) for m in matches]


def _edited_word_letters(q: NormalizedName, c: NormalizedName) -> int:
    """Letters in the shorter of the one pair of words that differ, in the form (folded key or
    plain text) in which the names are one edit apart; in the whole name where the words do
    not pair up. By key, CHARLOTTA B and CHARLOTA C differ in B and C alone."""
    for a, b in ((q.key, c.key), (q.text, c.text)):
        if OSA.distance(a, b, score_cutoff=1) > 1:
            continue
        qw, cw = a.split(), b.split()
        differing = [(x, y) for x, y in zip(qw, cw, strict=False) if x != y]
        if len(qw) == len(cw) and len(differing) == 1:
            x, y = differing[0]
            return min(sum(ch.isalpha() for ch in x), sum(ch.isalpha() for ch in y))
    return min(letter_count(q), letter_count(c))
