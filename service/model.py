"""The one vessel model every loader produces, and the list that carries it.

Small frozen dataclasses: a list version is built once and shared read-only by every request
(and, under gunicorn, by every worker forked after it was loaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

NameKind = Literal["primary", "aka", "fka", "nka"]


@dataclass(frozen=True, slots=True)
class VesselName:
    """One name a vessel is listed under, with the kind the publisher gave it."""

    name: str
    kind: NameKind = "primary"


@dataclass(frozen=True, slots=True)
class Vessel:
    """A listed vessel, whatever list it came from.

    `flags` holds ISO 3166 alpha-2 codes, the current flag first; `former_flags` those the list
    says the ship flew before. Identifiers are kept as published digits (IMO without the "IMO"
    prefix); whether an IMO's check digit holds is decided by `identifiers`, not here.
    """

    entity_id: str
    list_id: str
    source_id: str
    name: str
    names: tuple[VesselName, ...] = ()
    imo: str | None = None
    mmsi: str | None = None
    call_sign: str | None = None
    flags: tuple[str, ...] = ()
    former_flags: tuple[str, ...] = ()
    vessel_type: str | None = None
    build_year: int | None = None
    tonnage: int | None = None
    gross_registered_tonnage: int | None = None
    owner: str | None = None
    programs: tuple[str, ...] = ()
    listed_on: str | None = None
    remarks: str | None = None
    source_record: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Appended last so that every existing positional or keyword construction stays valid. Lists
    # name the ship's manager and (commercial) operator apart from its registered owner.
    manager: str | None = None
    operator: str | None = None

    @property
    def aliases(self) -> tuple[str, ...]:
        """Names the ship is also known (or now known) as."""
        return tuple(n.name for n in self.names if n.kind in ("aka", "nka"))

    @property
    def former_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.names if n.kind == "fka")

    @property
    def all_names(self) -> tuple[str, ...]:
        """The primary name first, then every other listed name, without repeats."""
        seen: dict[str, None] = {self.name: None}
        for n in self.names:
            seen.setdefault(n.name, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class ListInfo:
    """What is known about one loaded list version."""

    id: str
    title: str
    version: str
    loaded_at: datetime
    entries: int
    source: str | None = None
    format: str = ""
    sha256: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    published_at: str | None = None


EntityKind = Literal["company", "organisation", "entity"]


@dataclass(frozen=True, slots=True)
class ListedEntity:
    """A listed company or organisation (never a person), kept so that ship owners can be screened.

    `kind` is what the publisher calls it: "company", "organisation", or "entity" where the list
    only says it is not a person. `aliases` holds every other name it is or was listed under
    (a.k.a., f.k.a., n.k.a. and weak aliases alike: an owner may trade under any of them).
    `imo_company_number` is the IMO Unique Company and Registered Owner Identification Number,
    seven digits as published; it identifies the company the way an IMO number identifies a hull.
    """

    entity_id: str
    list_id: str
    source_id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: EntityKind = "entity"
    imo_company_number: str | None = None
    programs: tuple[str, ...] = ()
    listed_on: str | None = None
    remarks: str | None = None
    source_record: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def all_names(self) -> tuple[str, ...]:
        """The listed name first, then every alias, without repeats."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))


@dataclass(frozen=True, slots=True)
class LoadedList:
    info: ListInfo
    vessels: tuple[Vessel, ...]
    # Appended with a default: callers build LoadedList(info, vessels) positionally.
    entities: tuple[ListedEntity, ...] = ()
