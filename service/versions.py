"""List versions as data: a vessel to a stored record and back, and what changed between two.

A published version is stored whole (one record per vessel), so any instance can serve it
without the source files, and two versions can be compared field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from service.model import ListedEntity, ListInfo, LoadedList, Vessel, VesselName

# Fields compared by a diff: everything a screening or an analyst sees. The raw source record
# is left out; its changes show through the parsed fields.
_COMPARED = tuple(
    f.name for f in fields(Vessel) if f.name not in ("source_record", "entity_id", "list_id")
)


# Field names, and those holding tuples (stored as lists), worked out once: a list version of a
# million entries is turned into records at every cold start.
_VESSEL_NAMES = tuple(f.name for f in fields(Vessel))
_VESSEL_TUPLES = tuple(
    f.name for f in fields(Vessel) if f.name != "names" and str(f.type).startswith("tuple")
)
_ENTITY_NAMES = tuple(f.name for f in fields(ListedEntity))
_ENTITY_TUPLES = tuple(f.name for f in fields(ListedEntity) if str(f.type).startswith("tuple"))


def to_record(v: Vessel) -> dict[str, Any]:
    """A JSON-able dict holding every field of the vessel."""
    record = {name: getattr(v, name) for name in _VESSEL_NAMES}
    for name in _VESSEL_TUPLES:
        record[name] = list(record[name])
    record["names"] = [{"name": n.name, "kind": n.kind} for n in v.names]
    return record


def from_record(record: dict[str, Any]) -> Vessel:
    """The vessel a `to_record` dict was made from."""
    values: dict[str, Any] = {}
    for f in fields(Vessel):
        if f.name not in record:
            continue
        value = record[f.name]
        if f.name == "names":
            value = tuple(VesselName(n["name"], n["kind"]) for n in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return Vessel(**values)


def entity_to_record(e: ListedEntity) -> dict[str, Any]:
    record: dict[str, Any] = {"record_type": "entity"}
    for name in _ENTITY_NAMES:
        record[name] = getattr(e, name)
    for name in _ENTITY_TUPLES:
        record[name] = list(record[name])
    return record


def entity_from_record(record: dict[str, Any]) -> ListedEntity:
    values: dict[str, Any] = {
        f.name: tuple(record[f.name]) if isinstance(record[f.name], list) else record[f.name]
        for f in fields(ListedEntity)
        if f.name in record
    }
    return ListedEntity(**values)


def records_of(lst: LoadedList) -> list[dict[str, Any]]:
    """Every vessel and listed entity of a list version, as stored records."""
    return [to_record(v) for v in lst.vessels] + [entity_to_record(e) for e in lst.entities]


def loaded_from_records(info: ListInfo, records: list[dict[str, Any]]) -> LoadedList:
    """The list version the records were made from; `entries` counts its vessels, as a load
    from files does."""
    vessels = tuple(from_record(r) for r in records if r.get("record_type") != "entity")
    entities = tuple(entity_from_record(r) for r in records if r.get("record_type") == "entity")
    return LoadedList(replace(info, entries=len(vessels)), vessels, entities)


@dataclass(frozen=True, slots=True)
class Change:
    entity_id: str
    name: str
    fields: dict[str, tuple[Any, Any]]  # field -> (before, after)


@dataclass(frozen=True, slots=True)
class Diff:
    added: tuple[Vessel, ...]
    removed: tuple[Vessel, ...]
    changed: tuple[Change, ...]
    # Added and changed vessels as they are now: what a past screening may now match.
    touched: tuple[Vessel, ...]


def diff(
    before: list[Vessel] | tuple[Vessel, ...], after: list[Vessel] | tuple[Vessel, ...]
) -> Diff:
    """Vessels added, removed and changed (by entity id) from `before` to `after`."""
    old = {v.entity_id: v for v in before}
    new = {v.entity_id: v for v in after}
    added = tuple(v for k, v in new.items() if k not in old)
    removed = tuple(v for k, v in old.items() if k not in new)
    changed = []
    for key, v in new.items():
        was = old.get(key)
        if was is None:
            continue
        delta = {
            name: (_plain(getattr(was, name)), _plain(getattr(v, name)))
            for name in _COMPARED
            if getattr(was, name) != getattr(v, name)
        }
        if delta:
            changed.append(Change(key, v.name, delta))
    keys = {c.entity_id for c in changed}
    touched = added + tuple(v for k, v in new.items() if k in keys)
    return Diff(added, removed, tuple(changed), touched)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, VesselName):
        return {"name": value.name, "kind": value.kind}
    return value
