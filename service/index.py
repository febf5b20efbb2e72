"""The screening index: built once per set of list versions, then only read.

Every lookup a query needs is prepared here, so that screening one vessel costs a few dict
look-ups and one pass over a bigram index of the listed names (`retrieval`), never a loop over
the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.identifiers import is_valid_imo, normalize_call_sign
from service.model import ListedEntity, ListInfo, LoadedList, NameKind, Vessel
from service.names import NormalizedName, normalize_company, normalize_name
from service.retrieval import StringIndex


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


def _freeze(mapping: dict[str, list[int]]) -> dict[str, tuple[int, ...]]:
    return {key: tuple(dict.fromkeys(ids)) for key, ids in mapping.items()}


@dataclass(frozen=True)
class ScreeningIndex:
    """Everything the matcher reads, for one consistent set of list versions.

    A request takes one reference to an index and uses only it, so swapping in a new index
    (a new list version) never mixes versions within an answer.
    """

    lists: tuple[ListInfo, ...]
    vessels: tuple[Vessel, ...]
    imo_valid: tuple[bool, ...]
    names: tuple[NameEntry, ...]
    # Per name entry, the folded key; the fuzzy pass runs over this list.
    name_keys: tuple[str, ...]
    # The fuzzy pass's index over every name entry's folded key and plain text (entry number
    # i for its key, len(names) + i for its text; most are the same string, indexed once).
    name_index: StringIndex
    names_of_vessel: tuple[tuple[int, ...], ...]
    by_imo: dict[str, tuple[int, ...]]
    by_mmsi: dict[str, tuple[int, ...]]
    by_call_sign: dict[str, tuple[int, ...]]
    by_compact: dict[str, tuple[int, ...]]
    by_ordered: dict[str, tuple[int, ...]]
    by_sound: dict[str, tuple[int, ...]]
    by_entity: dict[str, int] = field(repr=False)
    # The lists as loaded, to rebuild an index with one list replaced.
    loaded: tuple[LoadedList, ...] = field(default=(), repr=False)
    # Listed companies and organisations, for screening a ship's owner, manager or operator.
    entities: tuple[ListedEntity, ...] = field(default=(), repr=False)
    party_names: tuple[PartyName, ...] = field(default=(), repr=False)
    party_index: StringIndex = field(default_factory=lambda: StringIndex.build(()), repr=False)
    by_company_number: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    # Views derived from this version's vessels that a face of the service wants to compute
    # once (the web layer keeps each vessel's dumped JSON here); dropped with the version.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def list_ids(self) -> tuple[str, ...]:
        return tuple(info.id for info in self.lists)

    def vessel(self, entity_id: str) -> Vessel | None:
        i = self.by_entity.get(entity_id)
        return None if i is None else self.vessels[i]


def build_index(loaded: Sequence[LoadedList]) -> ScreeningIndex:
    """Index every vessel of every list; the lists' order is kept for ties and display."""
    vessels: list[Vessel] = [v for lst in loaded for v in lst.vessels]
    names: list[NameEntry] = []
    names_of_vessel: list[tuple[int, ...]] = []
    by_imo: dict[str, list[int]] = defaultdict(list)
    by_mmsi: dict[str, list[int]] = defaultdict(list)
    by_call_sign: dict[str, list[int]] = defaultdict(list)
    by_compact: dict[str, list[int]] = defaultdict(list)
    by_ordered: dict[str, list[int]] = defaultdict(list)
    by_sound: dict[str, list[int]] = defaultdict(list)

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

    return ScreeningIndex(
        lists=tuple(lst.info for lst in loaded),
        vessels=tuple(vessels),
        imo_valid=tuple(bool(v.imo) and is_valid_imo(v.imo or "") for v in vessels),
        names=tuple(names),
        name_keys=tuple(n.norm.key for n in names),
        name_index=StringIndex.build([*(n.norm.key for n in names), *(n.norm.text for n in names)]),
        names_of_vessel=tuple(names_of_vessel),
        by_imo=_freeze(by_imo),
        by_mmsi=_freeze(by_mmsi),
        by_call_sign=_freeze(by_call_sign),
        by_compact=_freeze(by_compact),
        by_ordered=_freeze(by_ordered),
        by_sound=_freeze(by_sound),
        by_entity={v.entity_id: i for i, v in enumerate(vessels)},
        loaded=tuple(loaded),
        entities=tuple(entities),
        party_names=tuple(party_names),
        party_index=StringIndex.build(p.key for p in party_names),
        by_company_number=_freeze(by_company_number),
    )


def _names_with_kinds(vessel: Vessel) -> Iterable[tuple[str, NameKind]]:
    yield vessel.name, "primary"
    for n in vessel.names:
        if n.name != vessel.name:
            yield n.name, n.kind
