"""FollowTheMoney entities as JSON lines, the format of OpenSanctions' exports
(`entities.ftm.json`, https://www.opensanctions.org/docs/bulk/json/; the schema is documented
at https://followthemoney.tech/explorer/).

One JSON object per line: `{"id": ..., "schema": "Vessel", "properties": {"name": [...], ...},
"target": true, "first_seen": ..., "datasets": [...]}`; every property is a list of strings.
What is read:

- `Vessel`: name, alias, weakAlias, previousName (former names), imoNumber, mmsi, callSign,
  flag, pastFlags, type, buildDate, tonnage, grossRegisteredTonnage, owner and operator (entity
  ids), program, notes.
- `Company`, `Organization`, `LegalEntity`, `PublicBody`: listed entities, with imoNumber as
  their IMO company number.
- `Ownership` (owner -> asset) links an owner to a ship as the `owner` property does.
- `Sanction` (entity, program, startDate, listingDate) gives programs and the listing date.

Owner and operator ids are turned into names where that entity is in the files; ids that are
not stay in the source record. An entity whose `target` is false is in the file only because a
listed one points at it (the owner of a listed ship, say): it names owners but is not listed
itself. Every `*.ftm.json` file in the folder belongs to the one list.
"""

from __future__ import annotations

import codecs
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from service.loaders.common import (
    SourceSet,
    alias_names,
    check_unique,
    clean,
    decode_utf8,
    flag_codes,
    imo_digits,
    iso_date,
    mmsi_digits,
    names_with_kinds,
    read_all,
    require_folder,
    to_int,
    version_and_hashes,
    year_of,
)
from service.loaders.errors import ListLoadError
from service.model import EntityKind, ListedEntity, Vessel, VesselName

DEFAULT_LIST_ID = "opensanctions"
SUFFIX = ".ftm.json"
ENTITY_KINDS: dict[str, EntityKind] = {
    "Company": "company",
    "Organization": "organisation",
    "PublicBody": "organisation",
    "LegalEntity": "entity",
}

Props = dict[str, list[str]]
_ABSENT = object()
# Other names of a listed entity, after the second and later values of `name`.
_OTHER_NAMES = ("alias", "weakAlias", "previousName")
# What of a record its source record keeps, in this order.
_SOURCE_KEYS = ("id", "schema", "properties", "datasets", "first_seen", "last_seen", "target")


def ftm_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.iterdir()) if p.name.lower().endswith(SUFFIX) and p.is_file()]


def is_ftm(folder: Path) -> bool:
    return bool(ftm_files(folder))


def read_ftm(folder: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    require_folder(folder)
    files = ftm_files(folder)
    if not files:
        raise ListLoadError(f"{folder} has no *{SUFFIX} file")
    data = read_all(files)
    records: dict[str, dict[str, Any]] = {}
    for name, raw in data.items():
        for line, record in _records(name, raw):
            if record["id"] in records:
                raise ListLoadError(f"{name} line {line}: entity id {record['id']!r} appears twice")
            records[record["id"]] = record

    owners: dict[str, list[str]] = defaultdict(list)
    sanctions: dict[str, list[Props]] = defaultdict(list)
    for record in records.values():
        schema = record["schema"]
        if schema == "Ownership":
            props: Props = record["properties"]
            for asset in props.get("asset", []):
                owners[asset].extend(props.get("owner", []))
        elif schema == "Sanction":
            props = record["properties"]
            for target in props.get("entity", []):
                sanctions[target].append(props)

    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    for record in records.values():
        if record.get("target") is False:
            continue
        schema = record["schema"]
        if schema == "Vessel":
            vessels.append(_vessel(list_id, record, records, owners, sanctions))
        elif schema in ENTITY_KINDS:
            entity = _entity(list_id, record, sanctions)
            if entity is not None:
                entities.append(entity)
    if not vessels and not entities:
        raise ListLoadError(f"{folder}: the {SUFFIX} files hold no listed vessel or company")
    check_unique("vessel", (v.entity_id for v in vessels), str(folder))
    version, sha256 = version_and_hashes(data)
    return SourceSet(
        vessels=tuple(vessels), entities=tuple(entities), version=version, sha256=sha256
    )


def _records(name: str, raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The file's entities with their line numbers. A file that is not UTF-8 is refused as such
    whatever else is wrong with it; checked only when something is, since orjson refuses any
    line that is not UTF-8 and decoding a whole file of a million entities takes a second."""
    try:
        records = _parse_lines(name, raw)
    except ListLoadError:
        decode_utf8(name, raw)
        raise
    if not records:
        raise ListLoadError(f"{name} holds no entity")
    return records


def _parse_lines(name: str, raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    # The bytes are split and parsed as they are (orjson reads UTF-8 itself): lines end at
    # \n, \r or \r\n only, so a U+2028 inside a JSON string stays in its line.
    lines = raw.splitlines()
    if lines and lines[0].startswith(codecs.BOM_UTF8):
        lines[0] = lines[0][len(codecs.BOM_UTF8) :]
    loads = orjson.loads
    records: list[tuple[int, dict[str, Any]]] = []
    for line, text in enumerate(lines, start=1):
        try:
            record = loads(text)
        except orjson.JSONDecodeError as exc:
            if not text.strip():  # a blank line is no entity; looked at only here, where rare
                continue
            raise ListLoadError(f"{name} line {line}: not JSON: {exc.msg}") from exc
        if type(record) is not dict:
            raise ListLoadError(f"{name} line {line}: not a JSON object")
        entity_id = record.get("id")
        if type(entity_id) is not str or not entity_id:
            raise ListLoadError(f"{name} line {line}: no string 'id'")
        if type(record.get("schema")) is not str:
            raise ListLoadError(f"{name} line {line}: no string 'schema'")
        props = record.get("properties", _ABSENT)
        if props is _ABSENT:
            record["properties"] = {}
        elif type(props) is not dict or not _string_lists(props):
            raise ListLoadError(f"{name} line {line}: 'properties' must map names to string lists")
        records.append((line, record))
    return records


def _string_lists(props: dict[str, Any]) -> bool:
    for values in props.values():
        if type(values) is not list:
            return False
        for value in values:
            if type(value) is not str:
                return False
    return True


def _vessel(
    list_id: str,
    record: dict[str, Any],
    records: dict[str, dict[str, Any]],
    owners: dict[str, list[str]],
    sanctions: dict[str, list[Props]],
) -> Vessel:
    props: Props = record["properties"]
    entity_id: str = record["id"]
    names = _values(props, "name")
    if not names:
        raise ListLoadError(f"vessel {entity_id} has no name")
    others = [
        *(VesselName(n, "aka") for n in names[1:]),
        *(VesselName(n, "aka") for n in _values(props, "alias")),
        *(VesselName(n, "aka") for n in _values(props, "weakAlias")),
        *(VesselName(n, "fka") for n in _values(props, "previousName")),
    ]
    owner_ids = list(dict.fromkeys([*props.get("owner", []), *owners.get(entity_id, [])]))
    owner_names = _names_of(owner_ids, records)
    operator_names = _names_of(props.get("operator", []), records)
    imos = [d for d in (imo_digits(v) for v in props.get("imoNumber", [])) if d]
    mmsis = [d for d in (mmsi_digits(v) for v in props.get("mmsi", [])) if d]
    unrecognized: list[str] = []
    source_record = _source_record(record, sanctions)
    source_record.update(
        owner_ids=owner_ids,
        owners=owner_names,
        unresolved_owner_ids=[i for i in owner_ids if i not in records],
        operators=operator_names,
        unrecognized_flags=unrecognized,
    )
    return Vessel(
        entity_id=f"{list_id}:{entity_id}",
        list_id=list_id,
        source_id=entity_id,
        name=names[0],
        names=names_with_kinds(names[0], others),
        imo=imos[0] if imos else None,
        mmsi=mmsis[0] if mmsis else None,
        call_sign=next(iter(_values(props, "callSign")), None),
        flags=flag_codes(props.get("flag", []), unrecognized),
        former_flags=flag_codes(props.get("pastFlags", []), unrecognized),
        vessel_type=next(iter(_values(props, "type")), None),
        build_year=next((y for y in map(year_of, props.get("buildDate", [])) if y), None),
        tonnage=next((t for t in map(to_int, props.get("tonnage", [])) if t), None),
        gross_registered_tonnage=next(
            (t for t in map(to_int, props.get("grossRegisteredTonnage", [])) if t), None
        ),
        owner=owner_names[0] if owner_names else None,
        programs=_programs(props, sanctions.get(entity_id, [])),
        listed_on=_listed_on(sanctions.get(entity_id, [])),
        remarks="\n".join(_values(props, "notes")) or None,
        source_record=source_record,
        operator=operator_names[0] if operator_names else None,
    )


def _entity(
    list_id: str, record: dict[str, Any], sanctions: dict[str, list[Props]]
) -> ListedEntity | None:
    # A million of these make up an OpenSanctions export: properties that are absent (most
    # of them) are not looked at again, and nothing is built for them.
    props: Props = record["properties"]
    names = _values(props, "name")
    if not names:
        return None
    entity_id: str = record["id"]
    listed = sanctions.get(entity_id)
    others = names[1:]
    for key in _OTHER_NAMES:
        if key in props:
            others.extend(_values(props, key))
    imo = None
    if "imoNumber" in props:
        imo = next(filter(None, map(imo_digits, props["imoNumber"])), None)
    return ListedEntity(
        entity_id=f"{list_id}:{entity_id}",
        list_id=list_id,
        source_id=entity_id,
        name=names[0],
        aliases=alias_names(names[0], others) if others else (),
        kind=ENTITY_KINDS[record["schema"]],
        imo_company_number=imo,
        programs=_programs(props, listed or []),
        listed_on=_listed_on(listed) if listed else None,
        remarks="\n".join(_values(props, "notes")) or None,
        source_record=_source_record(record, sanctions),
    )


def _values(props: Props, name: str) -> list[str]:
    """The property's values, cleaned, each once, in order."""
    values = props.get(name)
    return _cleaned(values) if values else []


def _cleaned(values: list[str]) -> list[str]:
    if len(values) == 1:  # nearly always
        text = clean(values[0])
        return [text] if text else []
    return list(dict.fromkeys(v for v in map(clean, values) if v))


def _names_of(ids: list[str], records: dict[str, dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for entity_id in ids:
        record = records.get(entity_id)
        if record is not None:
            names.extend(_values(record["properties"], "name")[:1])
    return list(dict.fromkeys(names))


def _programs(props: Props, sanctions: list[Props]) -> tuple[str, ...]:
    values = props.get("program", [])
    if sanctions:
        values = [*values, *(p for s in sanctions for p in s.get("program", []))]
    return tuple(_cleaned(values)) if values else ()


def _listed_on(sanctions: list[Props]) -> str | None:
    """The earliest start or listing date of the entity's sanctions, as YYYY-MM-DD."""
    dates = [
        iso_date(d[:10], ("%Y-%m-%d",))
        for s in sanctions
        for d in (*s.get("startDate", []), *s.get("listingDate", []))
    ]
    return min((d for d in dates if d), default=None)


def _source_record(record: dict[str, Any], sanctions: dict[str, list[Props]]) -> dict[str, Any]:
    source = {k: record[k] for k in _SOURCE_KEYS if k in record}
    source["sanctions"] = sanctions.get(record["id"], [])
    return source
