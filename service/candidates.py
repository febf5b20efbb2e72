"""A screening's candidates: the listed vessels worth scoring, from the exact identifier maps
and the fuzzy pass over each reading of the name, read through a per-query view of the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from service.index import ScreeningIndex
from service.name_scores import NUMBER_MISMATCH_CAP
from service.names import NormalizedName

if TYPE_CHECKING:
    from service.matcher import PreparedQuery

T = TypeVar("T")


class _Read(Generic[T]):
    """A sequence of the index read through a dict: one screening reads some entries several
    times (its hits, then each candidate's names, then the typo rule's), and the packed index
    decodes an entry at each read."""

    __slots__ = ("_read", "_values")

    def __init__(self, values: Sequence[T]) -> None:
        self._values = values
        self._read: dict[int, T] = {}

    def __getitem__(self, i: int) -> T:
        try:
            return self._read[i]
        except KeyError:
            value = self._read[i] = self._values[i]
            return value

    def __len__(self) -> int:
        return len(self._values)


class QueryView:
    """The index as one screening reads it: its vessels, names and each vessel's names read
    once each; everything else is the index's own."""

    def __init__(self, index: ScreeningIndex) -> None:
        self._index = index
        self.vessels = _Read(index.vessels)
        self.names = _Read(index.names)
        self.names_of_vessel = _Read(index.names_of_vessel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def candidates(
    pq: PreparedQuery,
    index: ScreeningIndex,
    bar: float,
    retrieved: Sequence[Sequence[int]] | None = None,
) -> dict[int, list[int] | None]:
    """Vessel numbers worth scoring, from exact identifier maps and the fuzzy name pass over
    each reading of the name, each with the name entries that reached the bar (None for a
    vessel an identifier found: all its names are scored, since its score rests on them).

    Only those entries can give a vessel reached by name its best name: any other of its
    names is further than the bar by edit similarity and not equal in compact, word-sorted
    or sound form, and no rule raises such a name to the bar.

    `retrieved` is the fuzzy pass's answer (name entry numbers, per reading) when `screen_many`
    computed it for many queries at once; it must be what `retrieve` would have returned.
    """
    found: dict[int, list[int] | None] = {}
    if pq.imo is not None and pq.imo.digits:
        found.update(dict.fromkeys(index.by_imo.get(pq.imo.digits, ())))
    if pq.mmsi:
        found.update(dict.fromkeys(index.by_mmsi.get(pq.mmsi, ())))
    if pq.call_sign:
        found.update(dict.fromkeys(index.by_call_sign.get(pq.call_sign, ())))
    for i, norm in enumerate(pq.readings):
        entries: list[int] = []
        entries.extend(index.by_compact.get(norm.compact, ()))
        entries.extend(index.by_ordered.get(norm.ordered, ()))
        if norm.non_latin and norm.sound_is_distinctive:
            entries.extend(index.by_sound.get(norm.sound, ()))
        if norm.arabic:
            entries.extend(index.by_arabic.get(norm.arabic, ()))
        # A name whose hull number differs cannot reach the bar on its name (OCEAN STAR 7 for
        # OCEAN STAR 8); skipping it here spares scoring a whole numbered fleet per query.
        numbered_out = bool(norm.numbers) and bar > NUMBER_MISMATCH_CAP
        hits: Sequence[int] = ()
        if retrieved is None:
            hits = retrieve(norm, index, bar)
        elif i < len(retrieved):
            hits = retrieved[i]
        for ni in hits:
            if numbered_out:
                other = index.numbers_of(ni)
                if other and other != norm.numbers:
                    continue
            entries.append(ni)
        for ni, vi in zip(entries, index.vessels_of(entries), strict=True):
            if vi not in found:
                found[vi] = [ni]
            else:
                mine = found[vi]
                if mine is not None and ni not in mine:
                    mine.append(ni)
    return found


def retrieve(norm: NormalizedName, index: ScreeningIndex, bar: float) -> list[int]:
    """The name entries (ascending) whose folded key or plain text is within `bar` of the
    query's: every name whose edit similarity in `name_similarity` can reach the bar."""
    found = index.name_index.within(norm.key, bar)
    if norm.text != norm.key:
        found += index.name_index.within(norm.text, bar)
    return entries_of(found, len(index.names))


def entries_of(found: list[int], count: int) -> list[int]:
    """Name entry numbers from name index strings (a key is entry i, a text count + i)."""
    return sorted({i if i < count else i - count for i in found})
