"""The screening index: built once per set of list versions, then only read.

Every lookup a query needs is prepared here, so that screening one vessel costs a few key
look-ups and one pass over a bigram index of the listed names (`retrieval`), never a loop over
the list. Everything is held in numpy arrays and byte buffers (`packed`), not as a Python object
per vessel, name or company: a listed vessel or company is made into one when it is read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast, overload

import numpy as np

from service import collector
from service.identifiers import is_valid_imo, normalize_call_sign
from service.model import ListedEntity, ListInfo, LoadedList, NameKind, Vessel
from service.names import NormalizedName, normalize_company, normalize_name
from service.packed import KeyMap, KeyNumbers, Ragged, Records, Strings
from service.retrieval import StringIndex
from service.scripts import as_arabic_reads


@dataclass(frozen=True, slots=True)
class PartyName:
    """One listed name of one listed company, normalised once (for owner screening)."""

    entity: int
    listed: str
    key: str


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One listed name of one vessel, normalised once at build time."""

    vessel: int
    listed: str
    kind: NameKind
    norm: NormalizedName


class PartyNames(Sequence[PartyName]):
    """Every listed company name: its entity number, the name as listed and its key, in arrays."""

    __slots__ = ("entity", "keys", "listed")

    def __init__(self, entity: np.ndarray, listed: Strings, keys: Strings) -> None:
        self.entity = entity  # int32 per name
        self.listed = listed
        self.keys = keys

    @classmethod
    def build(cls, names: Sequence[PartyName]) -> PartyNames:
        return cls(
            np.fromiter((p.entity for p in names), dtype=np.int32, count=len(names)),
            Strings.build(p.listed for p in names),
            Strings.build(p.key for p in names),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (PartyNames, (self.entity, self.listed, self.keys))

    def __len__(self) -> int:
        return len(self.entity)

    def _one(self, i: int) -> PartyName:
        return PartyName(int(self.entity[i]), self.listed[i], self.keys[i])

    @overload
    def __getitem__(self, i: int) -> PartyName: ...

    @overload
    def __getitem__(self, i: slice) -> list[PartyName]: ...

    def __getitem__(self, i: int | slice) -> PartyName | list[PartyName]:
        if isinstance(i, slice):
            return [self._one(j) for j in range(*i.indices(len(self)))]
        return self._one(i)

    def __iter__(self) -> Iterator[PartyName]:
        return (self._one(i) for i in range(len(self)))


class ListedVessels(Sequence[Vessel]):
    """Listed vessels read whole: each one's screening fields (`lean`) with its source
    record (`sources`) put back. Screening reads the lean records alone, a fifth of the bytes
    (the source record is most of a vessel's pickle and only an analyst's look-up or a stored
    list version shows it)."""

    __slots__ = ("lean", "sources")

    def __init__(self, lean: Records[Vessel], sources: Records[dict[str, Any]]) -> None:
        self.lean = lean
        self.sources = sources

    def __reduce__(self) -> tuple[Any, ...]:
        return (ListedVessels, (self.lean, self.sources))

    def __len__(self) -> int:
        return len(self.lean)

    def _one(self, i: int) -> Vessel:
        return replace(self.lean[i], source_record=self.sources[i])

    @overload
    def __getitem__(self, i: int) -> Vessel: ...

    @overload
    def __getitem__(self, i: slice) -> list[Vessel]: ...

    def __getitem__(self, i: int | slice) -> Vessel | list[Vessel]:
        if isinstance(i, slice):
            return [self._one(j) for j in range(*i.indices(len(self)))]
        return self._one(i)

    def __iter__(self) -> Iterator[Vessel]:
        return (self._one(i) for i in range(len(self)))

    def part(self, start: int, stop: int) -> ListedVessels:
        """Vessels start..stop-1, sharing these buffers."""
        return ListedVessels(self.lean.part(start, stop), self.sources.part(start, stop))


def _freeze(mapping: dict[str, list[int]]) -> KeyMap:
    return KeyMap.build({key: tuple(dict.fromkeys(ids)) for key, ids in mapping.items()})


def _no_vessels() -> ListedVessels:
    return ListedVessels(Records.pack(()), Records.pack(()))


def _empty_parties() -> PartyNames:
    return PartyNames.build(())


@dataclass(frozen=True)
class ScreeningIndex:
    """Everything the matcher reads, for one consistent set of list versions.

    A request takes one reference to an index and uses only it, so swapping in a new index
    (a new list version) never mixes versions within an answer.
    """

    lists: tuple[ListInfo, ...]
    # Each vessel without its source record (`listed` has them whole).
    vessels: Records[Vessel]
    imo_valid: np.ndarray  # bool per vessel
    names: Records[NameEntry]
    # Per name entry, the folded key; the fuzzy pass runs over this list.
    name_keys: Strings
    # The fuzzy pass's index over every name entry's folded key and plain text (entry number
    # i for its key, len(names) + i for its text; most are the same string, indexed once).
    name_index: StringIndex
    names_of_vessel: Ragged
    by_imo: KeyMap
    by_mmsi: KeyMap
    by_call_sign: KeyMap
    by_compact: KeyMap
    by_ordered: KeyMap
    by_sound: KeyMap
    # Each name as it reads once written in Arabic letters (`scripts.as_arabic_reads`).
    by_arabic: KeyMap
    by_entity: KeyNumbers = field(repr=False)  # entity id -> vessel number
    # The vessels whole, source records included.
    listed: ListedVessels = field(default_factory=lambda: _no_vessels(), repr=False)
    # The lists as loaded, to rebuild an index with one list replaced; their vessels and
    # entities are parts of `listed` and `entities`.
    loaded: tuple[LoadedList, ...] = field(default=(), repr=False)
    # Listed companies and organisations, for screening a ship's owner, manager or operator.
    entities: Records[ListedEntity] = field(default_factory=lambda: Records.pack(()), repr=False)
    party_names: PartyNames = field(default_factory=_empty_parties, repr=False)
    party_index: StringIndex = field(default_factory=lambda: StringIndex.build(()), repr=False)
    by_company_number: KeyMap = field(default_factory=lambda: KeyMap.build({}), repr=False)

    def vessels_of(self, entries: Sequence[int]) -> list[int]:
        """The vessel number of each name entry, without reading the entries: a vessel's
        entries are numbered consecutively, vessel after vessel (`build_index`)."""
        if not entries:
            return []
        at = np.asarray(entries, dtype=np.int64)
        return (np.searchsorted(self.names_of_vessel.starts, at, side="right") - 1).tolist()

    def numbers_of(self, entry: int) -> tuple[str, ...]:
        """A name entry's hull numbers, read from its key alone."""
        return tuple(sorted(t for t in self.name_keys[entry].split() if t.isdigit()))

    @property
    def list_ids(self) -> tuple[str, ...]:
        return tuple(info.id for info in self.lists)

    def vessel(self, entity_id: str) -> Vessel | None:
        i = self.by_entity.get(entity_id)
        return None if i is None else self.listed[i]


def build_index(loaded: Sequence[LoadedList]) -> ScreeningIndex:
    """Index every vessel of every list; the lists' order is kept for ties and display."""
    with collector.paused():
        return _build(loaded)


def _build(loaded: Sequence[LoadedList]) -> ScreeningIndex:
    vessels: list[Vessel] = [v for lst in loaded for v in lst.vessels]
    names: list[NameEntry] = []
    names_of_vessel: list[tuple[int, ...]] = []
    by_imo: dict[str, list[int]] = defaultdict(list)
    by_mmsi: dict[str, list[int]] = defaultdict(list)
    by_call_sign: dict[str, list[int]] = defaultdict(list)
    by_compact: dict[str, list[int]] = defaultdict(list)
    by_ordered: dict[str, list[int]] = defaultdict(list)
    by_sound: dict[str, list[int]] = defaultdict(list)
    by_arabic: dict[str, list[int]] = defaultdict(list)

    for vi, vessel in enumerate(vessels):
        if vessel.imo:
            by_imo[vessel.imo].append(vi)
        if vessel.mmsi:
            by_mmsi[vessel.mmsi].append(vi)
        call_sign = normalize_call_sign(vessel.call_sign)
        if call_sign:
            by_call_sign[call_sign].append(vi)
        mine: list[int] = []
        for listed, kind in _names_with_kinds(vessel):
            norm = normalize_name(listed)
            if not norm.key:
                continue
            ni = len(names)
            names.append(NameEntry(vi, listed, kind, norm))
            mine.append(ni)
            by_compact[norm.compact].append(ni)
            by_ordered[norm.ordered].append(ni)
            if norm.sound_is_distinctive:
                by_sound[norm.sound].append(ni)
            by_arabic[as_arabic_reads(norm.text)].append(ni)
        names_of_vessel.append(tuple(mine))

    entities = [e for lst in loaded for e in lst.entities]
    party_names: list[PartyName] = []
    by_company_number: dict[str, list[int]] = defaultdict(list)
    for ei, entity in enumerate(entities):
        if entity.imo_company_number:
            by_company_number[entity.imo_company_number].append(ei)
        for listed in entity.all_names:
            key = normalize_company(listed)
            if key:
                party_names.append(PartyName(ei, listed, key))

    lean = Records.pack(replace(v, source_record={}) for v in vessels)
    whole = ListedVessels(lean, Records.pack(v.source_record for v in vessels))
    packed_entities = Records.pack(entities)
    return ScreeningIndex(
        lists=tuple(lst.info for lst in loaded),
        vessels=lean,
        imo_valid=np.fromiter(
            (bool(v.imo) and is_valid_imo(v.imo or "") for v in vessels),
            dtype=bool,
            count=len(vessels),
        ),
        names=Records.pack(names),
        name_keys=Strings.build(n.norm.key for n in names),
        name_index=StringIndex.build([*(n.norm.key for n in names), *(n.norm.text for n in names)]),
        names_of_vessel=Ragged.build(names_of_vessel),
        by_imo=_freeze(by_imo),
        by_mmsi=_freeze(by_mmsi),
        by_call_sign=_freeze(by_call_sign),
        by_compact=_freeze(by_compact),
        by_ordered=_freeze(by_ordered),
        by_sound=_freeze(by_sound),
        by_arabic=_freeze(by_arabic),
        by_entity=KeyNumbers.build({v.entity_id: i for i, v in enumerate(vessels)}),
        listed=whole,
        loaded=_parts(loaded, whole, packed_entities),
        entities=packed_entities,
        party_names=PartyNames.build(party_names),
        party_index=StringIndex.build(p.key for p in party_names),
        by_company_number=_freeze(by_company_number),
    )


def _parts(
    loaded: Sequence[LoadedList], vessels: ListedVessels, entities: Records[ListedEntity]
) -> tuple[LoadedList, ...]:
    """The lists with their vessels and entities read from the index's packed ones."""
    out = []
    v = e = 0
    for lst in loaded:
        nv, ne = len(lst.vessels), len(lst.entities)
        out.append(
            replace(
                lst,
                vessels=cast(tuple[Vessel, ...], vessels.part(v, v + nv)),
                entities=cast(tuple[ListedEntity, ...], entities.part(e, e + ne)),
            )
        )
        v, e = v + nv, e + ne
    return tuple(out)


def _names_with_kinds(vessel: Vessel) -> Iterable[tuple[str, NameKind]]:
    yield vessel.name, "primary"
    for n in vessel.names:
        if n.name != vessel.name:
            yield n.name, n.kind
