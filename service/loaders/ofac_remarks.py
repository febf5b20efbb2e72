"""What an OFAC classic CSV entry says about its ship, and the Vessel or ListedEntity made of it.

Ship details that have no column of their own (IMO, MMSI, year of build, former names and flags,
linked owners, the listing date) are written into the Remarks cell as semicolon-separated
clauses, which `parse_remarks` takes apart. `vessel_from_row` and `entity_from_row` combine an
entry's row, its aliases, addresses and remarks continuations into one listed vessel or entity:
flags as ISO codes, the owner from its column or the first "Linked To", programs one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.identifiers import normalize_flag
from service.loaders.errors import ListLoadError
from service.model import ListedEntity, NameKind, Vessel, VesselName

# One row of a set's file, by column; `None` where OFAC wrote `-0-` or nothing.
Row = dict[str, str | None]

_ALT_KINDS: dict[str, NameKind] = {"aka": "aka", "fka": "fka", "nka": "nka"}
# Values OFAC writes where a flag is unknown; they must not become a flag.
_NO_FLAG = {"none identified", "none", "unknown", "not identified"}

_ALT = r"(?:alt\.\s+)?"
_NAME_RE = re.compile(r"^([afn])\.k\.a\.\s*'(.+)'$", re.IGNORECASE)
_ID_RE = re.compile(
    rf"^{_ALT}(?:Vessel Registration Identification|Identification Number)\s+(.+)$",
    re.IGNORECASE,
)
_IMO_VALUE_RE = re.compile(r"^IMO\s+(\d+)\b", re.IGNORECASE)
# OFAC sometimes drops the "IMO" prefix; seven bare digits with no issuing country is the IMO.
_BARE_IMO_RE = re.compile(r"^(\d{7})$")
_MMSI_RE = re.compile(rf"^{_ALT}MMSI\s+(\d+)$", re.IGNORECASE)
_BUILD_RE = re.compile(rf"^{_ALT}Vessel Year of Build\s+(\d{{4}})$", re.IGNORECASE)
_FORMER_FLAG_RE = re.compile(rf"^{_ALT}Former Vessel Flag\s+(.+)$", re.IGNORECASE)
_OTHER_FLAG_RE = re.compile(rf"^{_ALT}(?:Other\s+)?Vessel Flag\s+(.+)$", re.IGNORECASE)
_OTHER_CALL_SIGN_RE = re.compile(rf"^{_ALT}Other Vessel Call Sign\s+(.+)$", re.IGNORECASE)
_OTHER_TYPE_RE = re.compile(rf"^{_ALT}Other Vessel Type\s+(.+)$", re.IGNORECASE)
_LINKED_RE = re.compile(r"^Linked To:\s*(.+)$", re.IGNORECASE)
# Only a plain listing date; "Listing Date (EO 14024 Directive 3)" dates a directive, not the
# SDN designation.
_LISTING_RE = re.compile(r"^Listing Date:\s*(\d{1,2} [A-Za-z]{3} \d{4})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Remarks:
    """What the Remarks clauses of one vessel say, raw values as published."""

    imos: tuple[str, ...] = ()
    mmsis: tuple[str, ...] = ()
    build_year: int | None = None
    names: tuple[VesselName, ...] = ()
    other_flags: tuple[str, ...] = ()
    former_flags: tuple[str, ...] = ()
    other_call_signs: tuple[str, ...] = ()
    other_vessel_types: tuple[str, ...] = ()
    linked_to: tuple[str, ...] = ()
    registration_ids: tuple[str, ...] = ()
    listed_on: str | None = None
    other: tuple[str, ...] = ()


def parse_remarks(remarks: str | None) -> Remarks:
    """Split a vessel's Remarks cell into the facts it carries.

    Clauses that say nothing about the ship itself (secondary-sanctions notes and the like) are
    kept in `other` so nothing published is lost.
    """
    if not remarks:
        return Remarks()
    text = remarks.strip()
    # The cell ends with a sentence period that belongs to no clause ("Linked To: IBEX SHIPPING
    # INC." names IBEX SHIPPING INC); periods inside the cell are part of what they follow.
    if text.endswith("."):
        text = text[:-1]

    imos: list[str] = []
    mmsis: list[str] = []
    build_year: int | None = None
    names: list[VesselName] = []
    other_flags: list[str] = []
    former_flags: list[str] = []
    call_signs: list[str] = []
    vessel_types: list[str] = []
    linked: list[str] = []
    registrations: list[str] = []
    listed_on: str | None = None
    other: list[str] = []

    for clause in (c.strip() for c in text.split(";")):
        if not clause:
            continue
        if m := _NAME_RE.match(clause):
            names.append(VesselName(m.group(2).strip(), _ALT_KINDS[m.group(1).lower() + "ka"]))
        elif m := _ID_RE.match(clause):
            value = m.group(1).strip().rstrip(".")
            if (imo := _IMO_VALUE_RE.match(value)) or (imo := _BARE_IMO_RE.match(value)):
                imos.append(imo.group(1))
            else:
                registrations.append(value)
        elif m := _MMSI_RE.match(clause):
            mmsis.append(m.group(1))
        elif m := _BUILD_RE.match(clause):
            build_year = build_year or int(m.group(1))
        elif m := _FORMER_FLAG_RE.match(clause):
            former_flags.append(m.group(1).strip())
        elif m := _OTHER_FLAG_RE.match(clause):
            other_flags.append(m.group(1).strip())
        elif m := _OTHER_CALL_SIGN_RE.match(clause):
            call_signs.append(m.group(1).strip())
        elif m := _OTHER_TYPE_RE.match(clause):
            vessel_types.append(m.group(1).strip())
        elif m := _LINKED_RE.match(clause):
            linked.append(m.group(1).strip())
        elif m := _LISTING_RE.match(clause):
            listed_on = listed_on or _iso_date(m.group(1))
        else:
            other.append(clause)

    return Remarks(
        imos=tuple(imos),
        mmsis=tuple(mmsis),
        build_year=build_year,
        names=tuple(names),
        other_flags=tuple(other_flags),
        former_flags=tuple(former_flags),
        other_call_signs=tuple(call_signs),
        other_vessel_types=tuple(vessel_types),
        linked_to=tuple(linked),
        registration_ids=tuple(registrations),
        listed_on=listed_on,
        other=tuple(other),
    )


def split_programs(value: str | None) -> tuple[str, ...]:
    """OFAC joins several programs as "IRAN] [NPWMD] [IFSR"; give them one by one."""
    if not value:
        return ()
    return tuple(p.strip(" []") for p in value.split("] [") if p.strip(" []"))


def vessel_from_row(
    list_id: str,
    ent_num: str,
    row: Row,
    alts: list[Row],
    adds: list[Row],
    comments: list[Row],
    primary_file: str,
) -> Vessel:
    remarks = _full_remarks(row["Remarks"], comments)
    parsed = parse_remarks(remarks)
    name = row["SDN_Name"] or ""
    if not name:
        raise ListLoadError(f"{primary_file}: vessel {ent_num} has no name")

    names = [VesselName(name, "primary")]
    seen = {name}
    alt_names = [
        VesselName(a["alt_name"], _ALT_KINDS.get(_alt_kind(a["alt_type"]), "aka"))
        for a in alts
        if a["alt_name"]
    ]
    for vessel_name in (*parsed.names, *alt_names):
        if vessel_name.name not in seen:
            seen.add(vessel_name.name)
            names.append(vessel_name)

    unrecognized: list[str] = []
    flags = _flag_codes([row["Vess_flag"], *parsed.other_flags], unrecognized)
    former = _flag_codes(list(parsed.former_flags), unrecognized)

    source_record: dict[str, Any] = dict(row)
    source_record.update(
        remarks_extended=[c["remarks_extended"] for c in comments],
        alt_names=[dict(a) for a in alts],
        addresses=[dict(a) for a in adds],
        linked_to=list(parsed.linked_to),
        imos=list(parsed.imos),
        mmsis=list(parsed.mmsis),
        other_call_signs=list(parsed.other_call_signs),
        other_vessel_types=list(parsed.other_vessel_types),
        registration_ids=list(parsed.registration_ids),
        unrecognized_flags=unrecognized,
        other_remarks=list(parsed.other),
    )

    return Vessel(
        entity_id=f"{list_id}:{ent_num}",
        list_id=list_id,
        source_id=ent_num,
        name=name,
        names=tuple(names),
        imo=parsed.imos[0] if parsed.imos else None,
        mmsi=parsed.mmsis[0] if parsed.mmsis else None,
        call_sign=row["Call_Sign"],
        flags=flags,
        former_flags=former,
        vessel_type=row["Vess_type"],
        build_year=parsed.build_year,
        tonnage=_int(row["Tonnage"]),
        gross_registered_tonnage=_int(row["GRT"]),
        owner=row["Vess_owner"] or (parsed.linked_to[0] if parsed.linked_to else None),
        programs=split_programs(row["Program"]),
        listed_on=parsed.listed_on,
        remarks=remarks,
        source_record=source_record,
    )


def entity_from_row(
    list_id: str, ent_num: str, row: Row, alts: list[Row], comments: list[Row]
) -> ListedEntity:
    """An entity row as a listed entity; its IMO company number comes from the remarks
    ("Identification Number IMO 6016988"), where OFAC writes it."""
    name = row["SDN_Name"] or ""
    remarks = _full_remarks(row["Remarks"], comments)
    parsed = parse_remarks(remarks)
    others = [n.name for n in parsed.names] + [a["alt_name"] or "" for a in alts]
    aliases = tuple(dict.fromkeys(n for n in others if n and n != name))
    return ListedEntity(
        entity_id=f"{list_id}:{ent_num}",
        list_id=list_id,
        source_id=ent_num,
        name=name,
        aliases=aliases,
        kind="entity",
        imo_company_number=parsed.imos[0] if parsed.imos else None,
        programs=split_programs(row["Program"]),
        listed_on=parsed.listed_on,
        remarks=remarks,
        source_record={
            **row,
            "alt_names": [dict(a) for a in alts],
            "linked_to": list(parsed.linked_to),
        },
    )


def _full_remarks(remarks: str | None, comments: list[Row]) -> str | None:
    """Remarks with the sdn_comments.csv continuations appended.

    OFAC cuts the Remarks cell mid-word and carries on in sdn_comments.csv, so the pieces join
    with no separator. A continuation the cell already ends with is skipped: the published
    comments file is sometimes older than sdn.csv and repeats a tail that now fits.
    """
    text = remarks or ""
    for comment in comments:
        extra = comment["remarks_extended"]
        if extra and not text.endswith(extra):
            text += extra
    return text or None


def _alt_kind(value: str | None) -> str:
    return (value or "").lower().replace(".", "").strip()


def _flag_codes(values: Iterable[str | None], unrecognized: list[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for value in values:
        if not value or value.strip().lower() in _NO_FLAG:
            continue
        code = normalize_flag(value).code
        if code is None:
            unrecognized.append(value)
        elif code not in codes:
            codes.append(code)
    return tuple(codes)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    digits = value.replace(",", "").strip()
    return int(digits) if digits.isdigit() else None


def _iso_date(value: str) -> str | None:
    try:
        return datetime.strptime(value, "%d %b %Y").date().isoformat()
    except ValueError:
        return None
