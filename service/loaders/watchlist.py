"""The project's own watchlist layout: ships (and companies) an operator flags in house.

`watchlist.csv`, UTF-8 (a byte-order mark is fine), comma-separated with a header row:

    id,name,aliases,former_names,imo,mmsi,call_sign,flag,former_flags,vessel_type,owner,
    program,listed_on,notes

plus, optionally, `manager`, `operator` and `kind`. Only `id` and `name` must be there; the
columns may come in any order. Cells holding several values (aliases, former_names, flag,
former_flags, program) separate them with ";". `kind` is `vessel` (the default when empty or
absent) or `company` / `organisation` / `entity` for an owner or manager to be screened as one;
such a row may fill only id, name, aliases, former_names, imo (its IMO company number),
program, listed_on, notes and kind.

Unlike the published lists, this file is written by the people who run the service, so it is
checked strictly: an unknown column, a duplicate id, an IMO number that is not seven digits, an
MMSI that is not nine, a flag no one recognises or a date that is not YYYY-MM-DD stops the load
with the line number, rather than being screened wrongly. The list's version is the content hash
of the file. See lists/README.md for an example.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from service.identifiers import normalize_flag, normalize_mmsi, parse_imo
from service.loaders.common import (
    SourceSet,
    clean,
    content_version,
    decode_utf8,
    files_by_name,
    names_with_kinds,
    read_bytes,
    require_folder,
    sha256_by_file,
    split_multi,
)
from service.loaders.errors import ListLoadError
from service.model import EntityKind, ListedEntity, Vessel, VesselName

FILE_NAME = "watchlist.csv"
DEFAULT_LIST_ID = "watchlist"
COLUMNS = (
    "id",
    "name",
    "aliases",
    "former_names",
    "imo",
    "mmsi",
    "call_sign",
    "flag",
    "former_flags",
    "vessel_type",
    "owner",
    "program",
    "listed_on",
    "notes",
)
OPTIONAL_COLUMNS = ("manager", "operator", "kind")
REQUIRED_COLUMNS = ("id", "name")
ENTITY_KINDS: dict[str, EntityKind] = {
    "company": "company",
    "organisation": "organisation",
    "organization": "organisation",
    "entity": "entity",
}
# Columns that describe a ship and mean nothing for a company row.
VESSEL_ONLY = (
    "mmsi",
    "call_sign",
    "flag",
    "former_flags",
    "vessel_type",
    "owner",
    "manager",
    "operator",
)
# Ids become part of entity ids in URLs: plain characters only.
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def is_watchlist(folder: Path) -> bool:
    return bool(files_by_name(folder, [FILE_NAME]))


def read_watchlist(folder: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    require_folder(folder)
    path = files_by_name(folder, [FILE_NAME]).get(FILE_NAME)
    if path is None:
        raise ListLoadError(f"{folder} has no {FILE_NAME}")
    raw = read_bytes(path)
    name = path.name
    reader = csv.DictReader(io.StringIO(decode_utf8(name, raw), newline=""), strict=True)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = [h for h in header if h not in COLUMNS and h not in OPTIONAL_COLUMNS]
    if unknown:
        raise ListLoadError(
            f"{name}: unknown columns {unknown}; allowed: {', '.join(COLUMNS + OPTIONAL_COLUMNS)}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ListLoadError(f"{name}: header lacks {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise ListLoadError(f"{name}: a column appears twice in the header")

    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    ids: set[str] = set()
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise ListLoadError(f"{name} line {line}: {len(header)} cells expected")
            cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
            if not any(cells.values()):
                continue
            row_id = cells["id"]
            if not _ID_RE.match(row_id):
                raise ListLoadError(
                    f"{name} line {line}: id {row_id!r} must be letters, digits, '.', '_' or '-'"
                )
            if row_id in ids:
                raise ListLoadError(f"{name} line {line}: id {row_id!r} appears twice")
            ids.add(row_id)
            if not cells["name"]:
                raise ListLoadError(f"{name} line {line}: no name")
            kind = cells.get("kind", "").lower() or "vessel"
            if kind == "vessel":
                vessels.append(_vessel(f"{name} line {line}", list_id, cells))
            elif kind in ENTITY_KINDS:
                entities.append(_entity(f"{name} line {line}", list_id, cells, ENTITY_KINDS[kind]))
            else:
                raise ListLoadError(
                    f"{name} line {line}: kind {kind!r} is not vessel, {', '.join(ENTITY_KINDS)}"
                )
    except csv.Error as exc:
        raise ListLoadError(f"{name} line {reader.line_num}: {exc}") from exc
    if not vessels and not entities:
        raise ListLoadError(f"{name} holds no row")
    data = {name: raw}
    return SourceSet(
        vessels=tuple(vessels),
        entities=tuple(entities),
        version=content_version(data),
        sha256=sha256_by_file(data),
    )


def _vessel(where: str, list_id: str, cells: dict[str, str]) -> Vessel:
    name = cells["name"]
    others = [
        *(VesselName(n, "aka") for n in split_multi(cells.get("aliases"))),
        *(VesselName(n, "fka") for n in split_multi(cells.get("former_names"))),
    ]
    mmsi = clean(cells.get("mmsi"))
    if mmsi and normalize_mmsi(mmsi) is None:
        raise ListLoadError(f"{where}: mmsi {mmsi!r} is not nine digits")
    return Vessel(
        entity_id=f"{list_id}:{cells['id']}",
        list_id=list_id,
        source_id=cells["id"],
        name=name,
        names=names_with_kinds(name, others),
        imo=_imo(where, cells.get("imo")),
        mmsi=normalize_mmsi(mmsi) if mmsi else None,
        call_sign=clean(cells.get("call_sign")),
        flags=_flags(where, "flag", cells.get("flag")),
        former_flags=_flags(where, "former_flags", cells.get("former_flags")),
        vessel_type=clean(cells.get("vessel_type")),
        owner=clean(cells.get("owner")),
        programs=tuple(split_multi(cells.get("program"))),
        listed_on=_date(where, cells.get("listed_on")),
        remarks=clean(cells.get("notes")),
        source_record=_record(cells),
        manager=clean(cells.get("manager")),
        operator=clean(cells.get("operator")),
    )


def _entity(where: str, list_id: str, cells: dict[str, str], kind: EntityKind) -> ListedEntity:
    given = [c for c in VESSEL_ONLY if cells.get(c)]
    if given:
        raise ListLoadError(f"{where}: a {kind} row cannot fill {', '.join(given)}")
    name = cells["name"]
    others = [*split_multi(cells.get("aliases")), *split_multi(cells.get("former_names"))]
    return ListedEntity(
        entity_id=f"{list_id}:{cells['id']}",
        list_id=list_id,
        source_id=cells["id"],
        name=name,
        aliases=tuple(dict.fromkeys(n for n in others if n != name)),
        kind=kind,
        imo_company_number=_imo(where, cells.get("imo")),
        programs=tuple(split_multi(cells.get("program"))),
        listed_on=_date(where, cells.get("listed_on")),
        remarks=clean(cells.get("notes")),
        source_record=_record(cells),
    )


def _imo(where: str, value: str | None) -> str | None:
    text = clean(value)
    if text is None:
        return None
    imo = parse_imo(text)
    if imo is None or imo.digits is None:
        raise ListLoadError(f"{where}: imo {text!r} is not seven digits")
    return imo.digits


def _flags(where: str, column: str, value: str | None) -> tuple[str, ...]:
    codes: list[str] = []
    for flag in split_multi(value):
        code = normalize_flag(flag).code
        if code is None:
            raise ListLoadError(f"{where}: {column} {flag!r} is not a country")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _date(where: str, value: str | None) -> str | None:
    text = clean(value)
    if text is None:
        return None
    try:
        # strptime, not date.fromisoformat, which also takes "20240101" and week dates.
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise ListLoadError(f"{where}: listed_on {text!r} is not YYYY-MM-DD") from None


def _record(cells: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in cells.items() if v}
