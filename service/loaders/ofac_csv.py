"""OFAC's SDN list in its "classic" CSV files: sdn.csv, alt.csv, add.csv and sdn_comments.csv.

The consolidated non-SDN list comes in the same layout under other names (cons_prim.csv,
cons_alt.csv, cons_add.csv, cons_comments.csv); `read_csv_set` reads either (see ofac_cons_csv).

The files have no header row, are Windows-1252, mark empty cells with `-0- `, end in a Ctrl-Z
(0x1A) byte and join on `ent_num`. Ship details that have no column of their own (IMO, MMSI,
year of build, former names and flags, linked owners) are written into the Remarks cell as
semicolon-separated clauses, which `ofac_remarks` takes apart.

The whole set is read into memory, checked, and only then turned into vessels: any problem
raises `ListLoadError` and nothing is returned, so a caller never serves half a list.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.loaders.errors import ListLoadError
from service.loaders.ofac_remarks import Row, entity_from_row, vessel_from_row
from service.model import ListedEntity, Vessel

DEFAULT_LIST_ID = "us-ofac-sdn"

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")
COMMENT_COLUMNS = ("ent_num", "remarks_extended")

# The order is part of the version: the version hash runs over the files in exactly this order.
FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sdn.csv", SDN_COLUMNS),
    ("alt.csv", ALT_COLUMNS),
    ("add.csv", ADD_COLUMNS),
    ("sdn_comments.csv", COMMENT_COLUMNS),
)
FILE_NAMES: tuple[str, ...] = tuple(name for name, _ in FILES)
REQUIRED_FILE = "sdn.csv"

# The files of one set, in version-hash order: the primary file (one row per entry) first, then
# its aliases, addresses and remarks continuations.
FileSpec = tuple[tuple[str, tuple[str, ...]], ...]

ENCODING = "cp1252"
NULL = "-0-"
END_OF_FILE = "\x1a"
VERSION_LENGTH = 12
# What a cell holds, stripped, where OFAC leaves it empty.
_EMPTY = frozenset((NULL, ""))


@dataclass(frozen=True, slots=True)
class OfacCsvSet:
    """The vessels of one OFAC CSV set and what identifies the files they came from.

    `entities` are the set's entity rows (companies, organisations: SDN_Type empty), kept so that
    ship owners can be screened; individuals and aircraft are left out.
    """

    vessels: tuple[Vessel, ...]
    version: str
    sha256: dict[str, str] = field(default_factory=dict)
    published_at: str | None = None
    entities: tuple[ListedEntity, ...] = ()


def is_ofac_csv(folder: Path) -> bool:
    """True when the folder holds OFAC's sdn.csv under its official name."""
    return REQUIRED_FILE in _official_files(folder)


def ofac_csv_files(folder: Path, files: FileSpec = FILES) -> list[Path]:
    """The set's files present in `folder`, in the fixed order the version hash uses."""
    return list(_official_files(folder, files).values())


def _official_files(folder: Path, files: FileSpec = FILES) -> dict[str, Path]:
    """Official file name -> path, matching names in any case.

    OFAC's own download service names the files SDN.CSV, ALT.CSV, ...; its older pages used
    lower case. Both are the same file.
    """
    names = tuple(name for name, _ in files)
    if not folder.is_dir():
        return {}
    by_lower: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        lower = path.name.lower()
        # An exact official name wins over a case variant lying next to it.
        wanted = path.name in names or (lower in names and lower not in by_lower)
        if wanted and path.is_file():
            by_lower[lower] = path
    return {name: by_lower[name] for name in names if name in by_lower}


def ofac_csv_version(folder: Path) -> str:
    """The content version of the set in `folder`.

    The classic CSV files carry no publish date, so the version is the first 12 hex digits of
    the SHA-256 of the present files concatenated in `FILE_NAMES` order, i.e.
    `cat sdn.csv alt.csv add.csv sdn_comments.csv | sha256sum | cut -c1-12`.
    """
    return _version(_read_files(folder))


def load_ofac_csv(folder: Path, list_id: str = DEFAULT_LIST_ID) -> list[Vessel]:
    """Every vessel of the OFAC CSV set in `folder`; raises ListLoadError rather than half-load."""
    return list(read_ofac_csv(folder, list_id).vessels)


def read_ofac_csv(folder: Path, list_id: str = DEFAULT_LIST_ID) -> OfacCsvSet:
    """The vessels, entities, version and per-file SHA-256 of the set, from one read of the bytes.

    Reading once matters: hashing the files in a second pass could describe a newer download
    than the vessels that were parsed. The SDN list always holds ships, so a set without a
    vessel is the wrong file and is refused.
    """
    return read_csv_set(folder, list_id, FILES, require_vessels=True)


def read_csv_set(
    folder: Path, list_id: str, files: FileSpec, *, require_vessels: bool
) -> OfacCsvSet:
    """Any set in the classic layout (`files` names its primary, alias, address and remarks
    files). With `require_vessels` a set without a vessel raises; otherwise only a set with
    neither a vessel nor an entity does."""
    prim, alt, add, comment = (name for name, _ in files)
    columns = dict(files)
    data = _read_files(folder, files)
    tables = {name: _parse_rows(name, data.get(name), cols) for name, cols in files}

    # Rows become dicts only for what is kept (vessels and entities, about half of sdn.csv and
    # less of the others): building a dict for each of some 60,000 rows was most of the load.
    type_at = columns[prim].index("SDN_Type")
    seen: set[str] = set()
    vessel_rows: dict[str, Row] = {}
    # An empty type is OFAC's entity (company, organisation); "individual" and "aircraft" are
    # the other types, neither of which can own a ship in our sense.
    entity_rows: dict[str, Row] = {}
    for line, cells in tables[prim]:
        ent_num = _ent_num(prim, line, cells)
        if ent_num in seen:
            raise ListLoadError(f"{prim} line {line}: ent_num {ent_num} appears twice")
        seen.add(ent_num)
        kind = (_cell(cells[type_at]) or "").lower()
        if kind == "vessel":
            vessel_rows[ent_num] = _row(columns[prim], cells)
        elif not kind:
            entity_rows[ent_num] = _row(columns[prim], cells)
    if not seen:
        raise ListLoadError(f"{folder / prim} holds no rows")
    if require_vessels and not vessel_rows:
        raise ListLoadError(f"{folder / prim} holds {len(seen)} rows but no vessel")
    if not vessel_rows and not entity_rows:
        raise ListLoadError(f"{folder / prim} holds {len(seen)} rows but no vessel or entity")

    # alt.csv and add.csv are often newer than sdn.csv; rows of entries it lacks are dropped.
    keep = {**vessel_rows, **entity_rows}
    alts = _group(alt, tables[alt], keep, columns[alt])
    adds = _group(add, tables[add], keep, columns[add])
    comments = _group(comment, tables[comment], keep, columns[comment])

    vessels = tuple(
        vessel_from_row(
            list_id,
            ent_num,
            row,
            alts.get(ent_num, []),
            adds.get(ent_num, []),
            comments.get(ent_num, []),
            primary_file=prim,
        )
        for ent_num, row in vessel_rows.items()
    )
    entities = tuple(
        entity_from_row(list_id, ent_num, row, alts.get(ent_num, []), comments.get(ent_num, []))
        for ent_num, row in entity_rows.items()
        if row["SDN_Name"]
    )
    return OfacCsvSet(
        vessels=vessels,
        version=_version(data, files),
        sha256={name: hashlib.sha256(raw).hexdigest() for name, raw in data.items()},
        entities=entities,
    )


def _read_files(folder: Path, spec: FileSpec = FILES) -> dict[str, bytes]:
    if not folder.is_dir():
        raise ListLoadError(f"{folder} is not a folder")
    files = _official_files(folder, spec)
    required = spec[0][0]
    if required not in files:
        raise ListLoadError(f"{folder} has no {required}")
    data: dict[str, bytes] = {}
    for name, path in files.items():
        try:
            data[name] = path.read_bytes()
        except OSError as exc:
            raise ListLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return data


def _parse_rows(
    name: str, raw: bytes | None, columns: tuple[str, ...]
) -> list[tuple[int, list[str]]]:
    """Rows of one file, as read, with their line numbers (each has `columns` cells; see
    `_row`); a missing optional file has none."""
    if raw is None:
        return []
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise ListLoadError(
            f"{name}: byte 0x{raw[exc.start]:02X} at offset {exc.start} is not Windows-1252"
        ) from exc
    text = text.rstrip(END_OF_FILE)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not cells or cells == [""]:
                continue
            if len(cells) != len(columns):
                raise ListLoadError(
                    f"{name} line {reader.line_num}: {len(cells)} columns, "
                    f"expected {len(columns)} ({', '.join(columns)})"
                )
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ListLoadError(f"{name} line {reader.line_num}: {exc}") from exc
    return rows


def _row(columns: tuple[str, ...], cells: list[str]) -> Row:
    # `_cell` written out: a call per cell of some 250,000 rows is a second of a large set.
    values = [None if (v := c.strip()) in _EMPTY else v for c in cells]
    return dict(zip(columns, values, strict=True))


def _cell(value: str) -> str | None:
    value = value.strip()
    return None if value in _EMPTY else value


def _ent_num(name: str, line: int, cells: list[str]) -> str:
    ent_num = _cell(cells[0])  # the first column of every file of the set
    if not ent_num or not ent_num.isdigit():
        raise ListLoadError(f"{name} line {line}: ent_num {ent_num!r} is not a number")
    return ent_num


def _group(
    name: str, rows: Iterable[tuple[int, list[str]]], keep: dict[str, Row], columns: tuple[str, ...]
) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for line, cells in rows:
        ent_num = _ent_num(name, line, cells)
        if ent_num in keep:
            grouped.setdefault(ent_num, []).append(_row(columns, cells))
    return grouped


def _version(data: dict[str, bytes], files: FileSpec = FILES) -> str:
    digest = hashlib.sha256()
    for name, _ in files:
        if name in data:
            digest.update(data[name])
    return digest.hexdigest()[:VERSION_LENGTH]
