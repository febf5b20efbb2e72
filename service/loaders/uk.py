"""The UK's lists in CSV: the UK Sanctions List (FCDO) and OFSI's Consolidated List.

- UK Sanctions List, `UK-Sanctions-List.csv`, published at
  https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv (linked from
  https://www.gov.uk/government/publications/the-uk-sanctions-list). A "Report Date: 11-Sep-2026"
  line, then a header row, then one row per name (and address) of each designation, grouped by
  "Unique ID". "Designation Type" is Individual, Entity or Ship. Ships carry "IMO number",
  "Type of ship", "Current owner/operator (s)", "Previous owner/operator (s)", "Current believed
  flag of ship", "Previous flags", "Tonnage of ship", "Length of ship", "Year Built" and "Hull
  identification number (HIN)".
- OFSI Consolidated List of Financial Sanctions Targets, `ConList.csv`, published at
  https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv. A "Last
  Updated,03/06/2026" line, then a header row, then one row per name, grouped by "Group ID";
  "Group Type" is Individual, Entity or Ship, "Alias Type" Primary name, Primary name variation,
  AKA or FKA. A ship's details are labelled spans inside "Other Information" ("(IMO number):
  9876543 (Current owners):... (Flag of ship):... (Type of ship):...").

Columns are read by their header name (compared without case or punctuation), never by
position, so a reordered or extended file still loads; a file missing a column the format needs
is refused. Where OFSI gives a ship detail as a column of its own, the column wins over the
span in Other Information. Names: "Name 1" to "Name 5" then "Name 6" (for ships and entities
"Name 6" alone holds the name). Individuals are left out; entities become listed entities.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.identifiers import normalize_flag
from service.loaders.common import (
    SourceSet,
    check_unique,
    clean,
    content_version,
    files_by_name,
    flag_codes,
    imo_digits,
    imo_in_text,
    iso_date,
    names_with_kinds,
    read_bytes,
    require_folder,
    sha256_by_file,
    split_multi,
    to_int,
    year_of,
)
from service.loaders.errors import ListLoadError
from service.model import ListedEntity, NameKind, Vessel, VesselName

UKSL_FILES = ("uk-sanctions-list.csv", "uk_sanctions_list.csv")
OFSI_FILES = ("conlist.csv",)
UKSL_LIST_ID = "uk-sanctions-list"
OFSI_LIST_ID = "uk-ofsi"

# Canonical key -> the header names it goes by (normalised: lower case, punctuation as spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "unique_id": ("unique id",),
    "group_id": ("ofsi group id", "group id"),
    "un_reference": ("un reference number",),
    "name_1": ("name 1",),
    "name_2": ("name 2",),
    "name_3": ("name 3",),
    "name_4": ("name 4",),
    "name_5": ("name 5",),
    "name_6": ("name 6",),
    "name_type": ("name type", "alias type"),
    "alias_strength": ("alias strength", "alias quality"),
    "non_latin_name": ("name non latin script",),
    "designation_type": (
        "designation type",
        "individual entity ship",
        "individual entity or ship",
        "group type",
    ),
    "regime": ("regime name", "regime"),
    "sanctions_imposed": ("sanctions imposed",),
    "other_information": ("other information",),
    "statement_of_reasons": ("uk statement of reasons",),
    "date_designated": ("date designated", "uk sanctions list date designated"),
    "listed_on": ("listed on",),
    "last_updated": ("last updated",),
    "entity_type": ("type of entity",),
    "imo_number": ("imo number",),
    "current_owners": ("current owner operator s", "current owners", "current owner operator"),
    "previous_owners": ("previous owner operator s", "previous owners"),
    "flag": ("current believed flag of ship", "flag of ship"),
    "previous_flags": ("previous flags",),
    "previous_names": ("previous names",),
    "ship_type": ("type of ship",),
    "tonnage": ("tonnage of ship",),
    "length": ("length of ship",),
    "year_built": ("year built",),
    "hin": ("hull identification number hin",),
}
SHIP_KEYS = (
    "imo_number",
    "current_owners",
    "previous_owners",
    "flag",
    "previous_flags",
    "previous_names",
    "ship_type",
    "tonnage",
    "length",
    "year_built",
    "hin",
)
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d-%b-%Y", "%d %B %Y", "%Y-%m-%d")
# "(IMO number):9876543 (Flag of ship):North Korea": a label in brackets (which may itself hold
# a bracket, "(Current owner/operator (s))") followed by a colon.
_LABEL_RE = re.compile(r"\(((?:[^()]|\([^()]*\))+)\)\s*:")
_HEADER_SEARCH_ROWS = 5
_SEVEN_DIGITS_RE = re.compile(r"\b([0-9]{7})\b")
_UK_REF_RE = re.compile(r"\(UK Sanctions List Ref\)\s*:\s*([A-Za-z]+[0-9]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What tells one UK format from the other."""

    file_names: tuple[str, ...]
    id_key: str  # the column grouping a designation's rows
    required: tuple[str, ...]
    primary_types: tuple[str, ...]  # name-type values of the primary name
    date_key: str


UKSL = _Layout(
    UKSL_FILES,
    "unique_id",
    ("unique_id", "name_6", "name_type", "designation_type", "regime"),
    ("primary name",),
    "date_designated",
)
OFSI = _Layout(
    OFSI_FILES,
    "group_id",
    ("group_id", "name_6", "name_type", "designation_type", "regime"),
    ("primary name",),
    "listed_on",
)


def is_uk_sanctions_list(folder: Path) -> bool:
    return bool(files_by_name(folder, UKSL_FILES))


def is_uk_ofsi(folder: Path) -> bool:
    return bool(files_by_name(folder, OFSI_FILES))


def read_uk_sanctions_list(folder: Path, list_id: str = UKSL_LIST_ID) -> SourceSet:
    return _read(folder, list_id, UKSL)


def read_uk_ofsi(folder: Path, list_id: str = OFSI_LIST_ID) -> SourceSet:
    return _read(folder, list_id, OFSI)


def _read(folder: Path, list_id: str, layout: _Layout) -> SourceSet:
    require_folder(folder)
    found = files_by_name(folder, layout.file_names)
    if not found:
        raise ListLoadError(f"{folder} has none of {', '.join(layout.file_names)}")
    path = next(iter(found.values()))
    raw = read_bytes(path)
    name = path.name
    preamble, rows = _table(name, raw, layout)

    groups: dict[str, list[tuple[int, dict[str, str | None]]]] = {}
    for line, row in rows:
        group = clean(row.get(layout.id_key))
        if not group:
            raise ListLoadError(f"{name} line {line}: no {layout.id_key.replace('_', ' ')}")
        groups.setdefault(group, []).append((line, row))
    if not groups:
        raise ListLoadError(f"{name} holds a header but no rows")

    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    for group_id, group_rows in groups.items():
        kind = (clean(group_rows[0][1].get("designation_type")) or "").lower()
        if kind in ("ship", "vessel"):
            vessels.append(_vessel(name, list_id, group_id, group_rows, layout))
        elif kind == "entity":
            entities.append(_entity(name, list_id, group_id, group_rows, layout))
    if not vessels and not entities:
        raise ListLoadError(f"{name} holds {len(groups)} designations but no ship or entity")
    check_unique("vessel", (v.entity_id for v in vessels), name)
    check_unique("entity", (e.entity_id for e in entities), name)

    published = _published(preamble)
    data = {name: raw}
    return SourceSet(
        vessels=tuple(vessels),
        entities=tuple(entities),
        version=published or content_version(data),
        sha256=sha256_by_file(data),
        published_at=published,
    )


def _table(
    name: str, raw: bytes, layout: _Layout
) -> tuple[list[list[str]], list[tuple[int, dict[str, str | None]]]]:
    """(preamble rows, [(line, canonical key -> cell)]) of the file."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet exports of UK government lists have been Windows-1252; an undefined byte
        # still fails below rather than being guessed at.
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ListLoadError(f"{name}: neither UTF-8 nor Windows-1252 text") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    preamble: list[list[str]] = []
    positions: dict[str, int] | None = None
    rows: list[tuple[int, dict[str, str | None]]] = []
    try:
        for cells in reader:
            if positions is None:
                positions = _positions(cells)
                if layout.id_key in positions and "name_6" in positions:
                    missing = [k for k in layout.required if k not in positions]
                    if missing:
                        raise ListLoadError(
                            f"{name}: header lacks {', '.join(_label(k) for k in missing)}"
                        )
                    continue
                positions = None
                preamble.append(cells)
                if len(preamble) >= _HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append(
                (
                    reader.line_num,
                    {k: (cells[i] if i < len(cells) else None) for k, i in positions.items()},
                )
            )
    except csv.Error as exc:
        raise ListLoadError(f"{name} line {reader.line_num}: {exc}") from exc
    if positions is None:
        raise ListLoadError(
            f"{name}: no header row with {_label(layout.id_key)!r} and 'Name 6' in its first "
            f"{_HEADER_SEARCH_ROWS} rows"
        )
    return preamble, rows


def _positions(header: Sequence[str]) -> dict[str, int]:
    by_name = {_norm(h): i for i, h in reversed(list(enumerate(header)))}
    positions: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for column in names:
            if column in by_name:
                positions[key] = by_name[column]
                break
    return positions


def _vessel(
    file_name: str,
    list_id: str,
    group_id: str,
    rows: list[tuple[int, dict[str, str | None]]],
    layout: _Layout,
) -> Vessel:
    primary, others = _names(file_name, group_id, rows, layout)
    details = _ship_details(rows)
    previous = [VesselName(n, "fka") for n in split_multi(details.get("previous_names"), "|;")]
    owners = split_multi(details.get("current_owners"), "|;\n")
    unrecognized: list[str] = []
    imo = _imo(details.get("imo_number"))
    record = _source_record(rows, layout)
    record.update(
        ship=details,
        owners=owners,
        previous_owners=split_multi(details.get("previous_owners"), "|;\n"),
        unrecognized_flags=unrecognized,
    )
    return Vessel(
        entity_id=f"{list_id}:{group_id}",
        list_id=list_id,
        source_id=group_id,
        name=primary,
        names=names_with_kinds(primary, [*others, *previous]),
        imo=imo,
        flags=flag_codes(_flags(details.get("flag")), unrecognized),
        former_flags=flag_codes(_flags(details.get("previous_flags")), unrecognized),
        vessel_type=clean(details.get("ship_type")),
        build_year=year_of(details.get("year_built")),
        tonnage=to_int(clean(details.get("tonnage"))),
        owner=owners[0] if owners else None,
        programs=_programs(rows),
        listed_on=_listed_on(rows, layout),
        remarks=_remarks(rows),
        source_record=record,
    )


def _entity(
    file_name: str,
    list_id: str,
    group_id: str,
    rows: list[tuple[int, dict[str, str | None]]],
    layout: _Layout,
) -> ListedEntity:
    primary, others = _names(file_name, group_id, rows, layout)
    remarks = _remarks(rows)
    imo = _first(rows, lambda r: imo_digits(r.get("imo_number"))) or imo_in_text(remarks)
    return ListedEntity(
        entity_id=f"{list_id}:{group_id}",
        list_id=list_id,
        source_id=group_id,
        name=primary,
        aliases=tuple(dict.fromkeys(n.name for n in others if n.name != primary)),
        kind="entity",
        imo_company_number=imo,
        programs=_programs(rows),
        listed_on=_listed_on(rows, layout),
        remarks=remarks,
        source_record=_source_record(rows, layout),
    )


def _names(
    file_name: str,
    group_id: str,
    rows: list[tuple[int, dict[str, str | None]]],
    layout: _Layout,
) -> tuple[str, list[VesselName]]:
    """The primary name and every other name with its kind. The UK writes the name type in
    several casings ("Primary Name", "Primary name"); a group without a primary-name row takes
    its first row's name."""
    primary: str | None = None
    others: list[VesselName] = []
    for _line, row in rows:
        full = _full_name(row)
        name_type = (clean(row.get("name_type")) or "").lower()
        if full:
            if primary is None and name_type in layout.primary_types:
                primary = full
            else:
                kind: NameKind = "fka" if _is_former(name_type) else "aka"
                others.append(VesselName(full, kind))
        non_latin = clean(row.get("non_latin_name"))
        if non_latin:
            others.append(VesselName(non_latin, "aka"))
    if primary is None:
        if not others:
            raise ListLoadError(f"{file_name}: designation {group_id} has no name")
        primary = others.pop(0).name
    return primary, [n for n in others if n.name != primary]


def _is_former(name_type: str) -> bool:
    """OFSI writes "FKA"; a "Previous name" type is the same thing."""
    return name_type in ("fka", "f.k.a.") or name_type.startswith(("previous", "former"))


def _full_name(row: dict[str, str | None]) -> str | None:
    parts = [clean(row.get(f"name_{i}")) for i in (1, 2, 3, 4, 5, 6)]
    return " ".join(p for p in parts if p) or None


def _ship_details(rows: list[tuple[int, dict[str, str | None]]]) -> dict[str, str | None]:
    """Each ship detail from its own column where the file has one, else from the labelled
    spans of Other Information; the first row that gives a value wins."""
    details: dict[str, str | None] = {}
    for _line, row in rows:
        spans = _labelled(row.get("other_information"))
        for key in SHIP_KEYS:
            if details.get(key):
                continue
            value = clean(row.get(key))
            if value is None:
                value = next((spans[n] for n in COLUMNS[key] if spans.get(n)), None)
            details[key] = value
    return details


def _labelled(text: str | None) -> dict[str, str]:
    """ "(IMO number):9876543 (Flag of ship):North Korea" -> {"imo number": "9876543", ...}."""
    if not text:
        return {}
    matches = list(_LABEL_RE.finditer(text))
    spans: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = clean(text[match.end() : end].strip().rstrip("."))
        if value:
            spans.setdefault(_norm(match.group(1)), value)
    return spans


def _flags(value: str | None) -> list[str]:
    """Flags in one cell, separated by "|", ";" or new lines; a comma separates them only where
    the whole cell is not one country name ("Korea, Democratic People's Republic of")."""
    flags: list[str] = []
    for part in split_multi(value, "|;\n"):
        pieces = [p.strip() for p in part.split(",")]
        if (
            normalize_flag(part).code is None
            and len(pieces) > 1
            and all(normalize_flag(p).code for p in pieces)
        ):
            flags.extend(pieces)
        else:
            flags.append(part)
    return flags


def _programs(rows: list[tuple[int, dict[str, str | None]]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for _, row in rows if (r := clean(row.get("regime")))))


def _remarks(rows: list[tuple[int, dict[str, str | None]]]) -> str | None:
    parts = [
        clean(row.get(k)) for _, row in rows for k in ("other_information", "statement_of_reasons")
    ]
    return "\n".join(dict.fromkeys(p for p in parts if p)) or None


def _source_record(
    rows: list[tuple[int, dict[str, str | None]]], layout: _Layout
) -> dict[str, Any]:
    first = rows[0][1]
    return {
        "lines": [line for line, _ in rows],
        "rows": [{k: v for k, v in row.items() if v} for _, row in rows],
        "unique_id": clean(first.get("unique_id")),
        "group_id": clean(first.get("group_id")),
        "un_reference": clean(first.get("un_reference")),
        "uk_sanctions_list_ref": _uk_ref(first.get("other_information")),
        "designation_type": clean(first.get("designation_type")),
        "sanctions_imposed": clean(first.get("sanctions_imposed")),
        "date": clean(first.get(layout.date_key)),
    }


def _imo(value: str | None) -> str | None:
    """The IMO number of a cell or span; a span runs on to the next label, so free text may
    follow the number ("(IMO number):7408873 Listed as ...")."""
    digits = imo_digits(value)
    if digits is None and value and (match := _SEVEN_DIGITS_RE.search(value)):
        return match.group(1)
    return digits


def _uk_ref(other_information: str | None) -> str | None:
    """The "(UK Sanctions List Ref):RUS0296" OFSI writes into Other Information."""
    match = _UK_REF_RE.search(other_information or "")
    return match.group(1) if match else None


def _listed_on(rows: list[tuple[int, dict[str, str | None]]], layout: _Layout) -> str | None:
    return _first(rows, lambda r: iso_date(_date_text(r.get(layout.date_key)), _DATE_FORMATS))


def _first(
    rows: list[tuple[int, dict[str, str | None]]],
    get: Callable[[dict[str, str | None]], str | None],
) -> str | None:
    return next((value for _, row in rows if (value := get(row))), None)


def _date_text(value: str | None) -> str | None:
    """ "29/06/2012 00:00:00" -> "29/06/2012": a time of midnight says nothing."""
    text = clean(value)
    return text.removesuffix(" 00:00:00") if text else None


def _published(preamble: list[list[str]]) -> str | None:
    """The date of the "Report Date: 11-Sep-2026" or "Last Updated,03/06/2026" line."""
    for cells in preamble:
        text = " ".join(c for c in cells if c.strip())
        for token in re.findall(r"[0-9]{1,2}[-/ ][A-Za-z0-9]{2,9}[-/ ][0-9]{4}", text):
            date = iso_date(token, _DATE_FORMATS)
            if date:
                return date
    return None


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def _label(key: str) -> str:
    return COLUMNS[key][0]
