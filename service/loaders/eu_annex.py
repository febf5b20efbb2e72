"""EU sanctions annexes as published in the Official Journal (OJEU), transcribed to CSV.

The vessel bans (Annex XLII of Regulation 833/2014, the Russia "shadow fleet" list; Annexes
XIII-XV of Regulation 2017/1509, DPRK) are published only as annexes to the regulations on
EUR-Lex (https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32014R0833); they are not in
the EU Financial Sanctions File. OpenSanctions transcribes each consolidated regulation and each
amending regulation into one CSV per CELEX number
(https://github.com/opensanctions/opensanctions/tree/main/datasets/eu/journal_sanctions/data).

Layout: UTF-8, a header row, one row per annex entry. Consolidated files begin
`celex,recordId,programKey,annex,measure,startDate,reason,schema,name,alias,weakAlias,
previousName,...,imoNumber,mmsi,flag,address,...,notes`; amendment files begin
`amendedCelex,amendmentCelex,recordId,...` with the same columns after. `schema` is the
FollowTheMoney type (Vessel, Person, LegalEntity, Company, Organization, Asset); several names in
one cell are separated by "; ". `recordId` is the entry number within its annex (it restarts
per annex, and the DPRK annexes leave it empty). `startDate` is the listing date, "17.3.2014"
or "9 August 2025".

Every such file in a folder is one list (default id `eu-ojeu`). Each Vessel row is one vessel:
a ship in two annexes, or in a consolidated regulation and an amendment that renames it, is two
entries, as the Journal prints it. Its id is `<celex>-<annex>-<recordId>`, with the amending
regulation's CELEX for amendment rows and `n<position in the annex>` where recordId is empty.
Companies and organisations become listed entities (with their IMO company number where the
annex gives one); persons and other assets are left out.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from service.loaders.common import (
    SourceSet,
    check_unique,
    clean,
    content_version,
    decode_utf8,
    flag_codes,
    imo_digits,
    iso_date,
    mmsi_digits,
    names_with_kinds,
    read_all,
    require_folder,
    sha256_by_file,
    split_multi,
)
from service.loaders.errors import ListLoadError
from service.model import EntityKind, ListedEntity, Vessel, VesselName

DEFAULT_LIST_ID = "eu-ojeu"
CONSOLIDATED_HEADER = "celex,recordId,"
AMENDMENT_HEADER = "amendedCelex,amendmentCelex,recordId,"
REQUIRED_COLUMNS = (
    "recordId",
    "programKey",
    "annex",
    "measure",
    "startDate",
    "reason",
    "schema",
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "imoNumber",
    "mmsi",
    "flag",
)
ENTITY_KINDS: dict[str, EntityKind] = {
    "Company": "company",
    "Organization": "organisation",
    "LegalEntity": "entity",
}
EUR_LEX = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:"
_DATE_FORMATS = ("%d.%m.%Y", "%d %B %Y", "%Y-%m-%d")
# "Chol Ryong (Ryong Gun Bong)", "Chong Bong (Greenlight) (Blue Nouvelle)", "STORMBRINGER (ex
# KRITI VIGOR)": the annexes put other names of the ship in brackets after its name.
_BRACKETS_RE = re.compile(r"^(.*?)\s*((?:\([^()]*\)\s*)+)$")
_EX_RE = re.compile(r"^(?:ex|formerly|previously)\b\s*[.:-]?\s*(.+)$", re.IGNORECASE)
_SNIFF_BYTES = 512


def is_eu_ojeu(folder: Path) -> bool:
    return bool(ojeu_files(folder))


def ojeu_files(folder: Path) -> list[Path]:
    """The folder's CSV files that start with the OJEU header, by name (the version order).

    Told apart by their header, not their name (a CELEX number), so other CSV files lying in
    the same folder are left alone.
    """
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == ".csv" and path.is_file() and _has_ojeu_header(path):
            found.append(path)
    return found


def read_eu_ojeu(folder: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    require_folder(folder)
    files = ojeu_files(folder)
    if not files:
        raise ListLoadError(
            f"{folder} has no OJEU annex CSV (a .csv starting {CONSOLIDATED_HEADER!r} "
            f"or {AMENDMENT_HEADER!r})"
        )
    data = read_all(files)
    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    for name, raw in data.items():
        file_vessels, file_entities = _read_file(name, raw, list_id)
        vessels.extend(file_vessels)
        entities.extend(file_entities)
    if not vessels and not entities:
        raise ListLoadError(f"{folder}: the OJEU files hold no vessel and no company")
    check_unique("vessel", (v.entity_id for v in vessels), str(folder))
    check_unique("entity", (e.entity_id for e in entities), str(folder))
    return SourceSet(
        vessels=tuple(vessels),
        entities=tuple(entities),
        # The transcriptions carry no publish date: the content hash of the files in name order.
        version=content_version(data),
        sha256=sha256_by_file(data),
    )


def _read_file(name: str, raw: bytes, list_id: str) -> tuple[list[Vessel], list[ListedEntity]]:
    reader = csv.DictReader(io.StringIO(decode_utf8(name, raw), newline=""), strict=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ListLoadError(f"{name}: header lacks the columns {', '.join(missing)}")
    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    position: Counter[tuple[str, str]] = Counter()
    rows = 0
    try:
        for row in reader:
            rows += 1
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise ListLoadError(f"{name} line {line}: wrong number of cells")
            celex = clean(row.get("celex") or row.get("amendmentCelex"))
            if not celex:
                raise ListLoadError(f"{name} line {line}: no CELEX number")
            annex = clean(row["annex"]) or ""
            position[(celex, annex)] += 1
            record = clean(row["recordId"]) or f"n{position[(celex, annex)]}"
            source_id = f"{celex}-{_slug(annex)}-{record}"
            schema = clean(row["schema"]) or ""
            if schema == "Vessel":
                vessels.append(_vessel(name, line, list_id, source_id, celex, row))
            elif schema in ENTITY_KINDS:
                entities.append(_entity(name, line, list_id, source_id, celex, row))
    except csv.Error as exc:
        raise ListLoadError(f"{name} line {reader.line_num}: {exc}") from exc
    if rows == 0:
        raise ListLoadError(f"{name} holds a header but no rows")
    return vessels, entities


def _vessel(
    file_name: str, line: int, list_id: str, source_id: str, celex: str, row: dict[str, str]
) -> Vessel:
    published = clean(row["name"])
    if not published:
        raise ListLoadError(f"{file_name} line {line}: vessel without a name")
    primary, bracketed = split_bracketed_names(published)
    imos = [d for d in (imo_digits(v) for v in split_multi(row["imoNumber"])) if d]
    mmsis = [d for d in (mmsi_digits(v) for v in split_multi(row["mmsi"])) if d]
    unrecognized: list[str] = []
    others = [
        *bracketed,
        *(VesselName(n, "fka") for n in split_multi(row["previousName"])),
        *(VesselName(n, "aka") for n in split_multi(row["alias"])),
        *(VesselName(n, "aka") for n in split_multi(row["weakAlias"])),
    ]
    record = _source_record(file_name, line, celex, row)
    record.update(imos=imos, mmsis=mmsis, unrecognized_flags=unrecognized)
    return Vessel(
        entity_id=f"{list_id}:{source_id}",
        list_id=list_id,
        source_id=source_id,
        name=primary,
        names=names_with_kinds(primary, others),
        imo=imos[0] if imos else None,
        mmsi=mmsis[0] if mmsis else None,
        flags=flag_codes(split_multi(row["flag"]), unrecognized),
        programs=_programs(row),
        listed_on=iso_date(row["startDate"], _DATE_FORMATS),
        remarks=_remarks(row),
        source_record=record,
    )


def _entity(
    file_name: str, line: int, list_id: str, source_id: str, celex: str, row: dict[str, str]
) -> ListedEntity:
    name = clean(row["name"])
    if not name:
        raise ListLoadError(f"{file_name} line {line}: {row['schema']} without a name")
    others = [
        *split_multi(row["alias"]),
        *split_multi(row["weakAlias"]),
        *split_multi(row["previousName"]),
    ]
    imos = [d for d in (imo_digits(v) for v in split_multi(row["imoNumber"])) if d]
    return ListedEntity(
        entity_id=f"{list_id}:{source_id}",
        list_id=list_id,
        source_id=source_id,
        name=name,
        aliases=tuple(dict.fromkeys(n for n in others if n != name)),
        kind=ENTITY_KINDS[row["schema"].strip()],
        imo_company_number=imos[0] if imos else None,
        programs=_programs(row),
        listed_on=iso_date(row["startDate"], _DATE_FORMATS),
        remarks=_remarks(row),
        source_record=_source_record(file_name, line, celex, row),
    )


def split_bracketed_names(published: str) -> tuple[str, list[VesselName]]:
    """ "Chol Ryong (Ryong Gun Bong)" -> ("Chol Ryong", [aka "Ryong Gun Bong"]); a bracket
    starting "ex" names a former name: "STORMBRINGER (ex KRITI VIGOR)" -> fka "KRITI VIGOR".

    The DPRK annexes do not say whether a bracketed name is a former or another current name,
    so it is an a.k.a.: both are screened, only the weight of the match differs.
    """
    match = _BRACKETS_RE.match(published)
    if match is None or not match.group(1):
        return published, []
    names: list[VesselName] = []
    for inner in re.findall(r"\(([^()]*)\)", match.group(2)):
        text = clean(inner)
        if not text:
            continue
        if ex := _EX_RE.match(text):
            names.append(VesselName(ex.group(1).strip(), "fka"))
        else:
            names.append(VesselName(text, "aka"))
    return match.group(1).strip(), names


def _programs(row: dict[str, str]) -> tuple[str, ...]:
    """Programme key, the annex of the regulation it sits in, and the measure:
    ("EU-RUS", "32014R0833 Annex XLII", "Transportation restrictions")."""
    regulation = clean(row.get("celex") or row.get("amendedCelex"))
    annex = clean(row["annex"])
    parts = [
        clean(row["programKey"]),
        f"{regulation} Annex {annex}" if regulation and annex else None,
        clean(row["measure"]),
    ]
    return tuple(dict.fromkeys(p for p in parts if p))


def _remarks(row: dict[str, str]) -> str | None:
    parts = [clean(row["reason"]), clean(row.get("notes"))]
    return "\n".join(p for p in parts if p) or None


def _source_record(file_name: str, line: int, celex: str, row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {k: v for k, v in row.items() if v}
    record.update(file=file_name, line=line, source_url=EUR_LEX + celex)
    return record


def _slug(annex: str) -> str:
    """Annex labels ("XIII.B", "I.ENTITIES") go into ids that end up in URLs."""
    return re.sub(r"[^A-Za-z0-9.]+", "_", annex).strip("_") or "none"


def _has_ojeu_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    text = head.decode("utf-8-sig", errors="replace")
    return text.startswith((CONSOLIDATED_HEADER, AMENDMENT_HEADER))
