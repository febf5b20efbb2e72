"""OFAC's lists in the "classic" XML schema: sdn.xml (the SDN list) and consolidated.xml (the
consolidated non-SDN lists), published at
https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML and
.../CONSOLIDATED.XML.

One `sdnEntry` per listed party: `uid`, `lastName` (the whole name of an entity or ship),
`sdnType` (Individual, Entity, Vessel, Aircraft), `programList`, `remarks`, `akaList`,
`idList` and, for ships, `vesselInfo` (callSign, vesselType, vesselFlag, vesselOwner, tonnage,
grossRegisteredTonnage). What the CSV files write into Remarks clauses has its own `id`
elements here: the IMO number is a "Vessel Registration Identification" of "IMO 9161003", and
MMSI, year of build, other and former flags, other call signs and types are id types of their
own. Linked owners stay in remarks as "(Linked To: NAME)".

The root element is `sdnList`; its namespace changed over the years (tempuri.org, then OFAC's
own address), so elements are matched by local name. The file's `Publish_Date` is the version.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.loaders.common import (
    SourceSet,
    alias_kind,
    alias_names,
    check_unique,
    child_text,
    children,
    clean,
    content_version,
    descendants_text,
    files_by_name,
    flag_codes,
    iso_date,
    iter_xml,
    local_name,
    names_with_kinds,
    read_bytes,
    require_folder,
    sha256_by_file,
    to_int,
    xml_root,
)
from service.loaders.errors import ListLoadError
from service.model import ListedEntity, Vessel, VesselName

SDN_XML = "sdn.xml"
CONS_XML = "consolidated.xml"
SDN_LIST_ID = "us-ofac-sdn"
CONS_LIST_ID = "us-ofac-cons"
ROOT = "sdnList"

_IMO_RE = re.compile(r"^IMO\s*([0-9]+)\b", re.IGNORECASE)
_SEVEN_DIGITS_RE = re.compile(r"^([0-9]{7})$")
# "(Linked To: EXAMPLE HOLDINGS S.A.)": inside the brackets a final period is the name's own.
_LINKED_BRACKETED_RE = re.compile(r"^\(\s*Linked To:\s*(.+?)\s*\)\.?$", re.IGNORECASE)
_LINKED_RE = re.compile(r"^Linked To:\s*(.+?)\.?$", re.IGNORECASE)
# id types naming the ship's identifiers; anything else is kept in the source record.
_REGISTRATION_TYPES = {"vessel registration identification", "identification number"}


def is_ofac_sdn_xml(folder: Path) -> bool:
    return _is_ofac_xml(folder, SDN_XML)


def is_ofac_cons_xml(folder: Path) -> bool:
    return _is_ofac_xml(folder, CONS_XML)


def read_ofac_sdn_xml(folder: Path, list_id: str = SDN_LIST_ID) -> SourceSet:
    """The SDN list from sdn.xml. The SDN list always holds ships: none means a wrong file."""
    return read_ofac_xml_file(_file(folder, SDN_XML), list_id, require_vessels=True)


def read_ofac_cons_xml(folder: Path, list_id: str = CONS_LIST_ID) -> SourceSet:
    """The non-SDN lists from consolidated.xml, which may list entities and no ship."""
    return read_ofac_xml_file(_file(folder, CONS_XML), list_id, require_vessels=False)


def read_ofac_xml_file(path: Path, list_id: str, *, require_vessels: bool) -> SourceSet:
    raw = read_bytes(path)
    name = path.name
    publish_date: str | None = None
    record_count: str | None = None
    entries = 0
    vessels: list[Vessel] = []
    entities: list[ListedEntity] = []
    root_seen = False
    for event, element in iter_xml(name, raw):
        tag = local_name(element.tag)
        if event == "start":
            if not root_seen and tag != ROOT:
                raise ListLoadError(f"{name}: root element is <{tag}>, not OFAC's <{ROOT}>")
            root_seen = True
            continue
        if tag == "Publish_Date":
            publish_date = clean(element.text)
        elif tag == "Record_Count":
            record_count = clean(element.text)
        elif tag == "sdnEntry":
            entries += 1
            entry = _entry(name, element)
            if entry.kind == "vessel":
                vessels.append(_vessel(list_id, entry))
            elif entry.kind == "entity" and entry.name:
                entities.append(_entity(list_id, entry))
            # Entries are handled one by one; dropping each keeps a 25 MB file's memory flat.
            element.clear()

    if entries == 0:
        raise ListLoadError(f"{name} holds no sdnEntry")
    # A count that disagrees with the entries read means a file cut short or badly generated.
    if record_count is not None and record_count.isdigit() and int(record_count) != entries:
        raise ListLoadError(f"{name}: Record_Count says {record_count}, the file holds {entries}")
    if require_vessels and not vessels:
        raise ListLoadError(f"{name} holds {entries} entries but no vessel")
    if not vessels and not entities:
        raise ListLoadError(f"{name} holds {entries} entries but no vessel or entity")
    check_unique("vessel", (v.entity_id for v in vessels), name)
    check_unique("entity", (e.entity_id for e in entities), name)

    published = iso_date(publish_date, ("%m/%d/%Y",))
    data = {name: raw}
    return SourceSet(
        vessels=tuple(vessels),
        entities=tuple(entities),
        version=published or content_version(data),
        sha256=sha256_by_file(data),
        published_at=published,
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    """One sdnEntry, taken apart but not yet interpreted."""

    uid: str
    kind: str  # "vessel", "entity", "individual", "aircraft"
    name: str
    programs: tuple[str, ...]
    remarks: str | None
    akas: tuple[dict[str, str | None], ...]
    ids: tuple[dict[str, str | None], ...]
    vessel_info: dict[str, str | None]


def _entry(file_name: str, element: ET.Element) -> _Entry:
    uid = child_text(element, "uid")
    if not uid or not uid.isdigit():
        raise ListLoadError(f"{file_name}: an sdnEntry has uid {uid!r}, not a number")
    akas = tuple(
        {
            "uid": child_text(aka, "uid"),
            "type": child_text(aka, "type"),
            "category": child_text(aka, "category"),
            "name": _full_name(aka),
        }
        for lst in children(element, "akaList")
        for aka in children(lst, "aka")
    )
    ids = tuple(
        {
            "uid": child_text(id_, "uid"),
            "idType": child_text(id_, "idType"),
            "idNumber": child_text(id_, "idNumber"),
            "idCountry": child_text(id_, "idCountry"),
        }
        for lst in children(element, "idList")
        for id_ in children(lst, "id")
    )
    info: dict[str, str | None] = {}
    for vessel_info in children(element, "vesselInfo"):
        info = {local_name(c.tag): clean(c.text) for c in vessel_info}
    return _Entry(
        uid=uid,
        kind=(child_text(element, "sdnType") or "entity").lower(),
        name=_full_name(element) or "",
        programs=tuple(descendants_text(element, ("programList", "program"))),
        remarks=child_text(element, "remarks"),
        akas=akas,
        ids=ids,
        vessel_info=info,
    )


def _full_name(element: ET.Element) -> str | None:
    """Entities and ships carry their whole name in lastName; people add a firstName."""
    last, first = child_text(element, "lastName"), child_text(element, "firstName")
    return ", ".join(p for p in (last, first) if p) or None


def _vessel(list_id: str, entry: _Entry) -> Vessel:
    if not entry.name:
        raise ListLoadError(f"vessel uid {entry.uid} has no name")
    info = entry.vessel_info
    imos: list[str] = []
    mmsis: list[str] = []
    registrations: list[str] = []
    build_year: int | None = None
    other_flags: list[str | None] = []
    former_flags: list[str | None] = []
    other_call_signs: list[str] = []
    other_types: list[str] = []
    other_ids: list[dict[str, str | None]] = []
    for id_ in entry.ids:
        id_type = (id_["idType"] or "").lower()
        number = id_["idNumber"]
        if id_type in _REGISTRATION_TYPES and number:
            imo = _imo(number, id_["idCountry"])
            if imo:
                imos.append(imo)
            else:
                country = f" ({id_['idCountry']})" if id_["idCountry"] else ""
                registrations.append(number + country)
        elif id_type == "mmsi" and number:
            mmsis.append(number)
        elif id_type == "vessel year of build" and number:
            build_year = build_year or to_int(number[:4])
        elif id_type == "other vessel flag":
            other_flags.append(number or id_["idCountry"])
        elif id_type == "former vessel flag":
            former_flags.append(number or id_["idCountry"])
        elif id_type == "other vessel call sign" and number:
            other_call_signs.append(number)
        elif id_type == "other vessel type" and number:
            other_types.append(number)
        else:
            other_ids.append(id_)

    linked = _linked_to(entry.remarks)
    unrecognized: list[str] = []
    names = names_with_kinds(
        entry.name,
        (VesselName(a["name"] or "", alias_kind(a["type"])) for a in entry.akas),
    )
    source_record: dict[str, Any] = {
        "uid": entry.uid,
        "sdnType": entry.kind,
        "vesselInfo": dict(info),
        "akas": [dict(a) for a in entry.akas],
        "ids": [dict(i) for i in entry.ids],
        "imos": imos,
        "mmsis": mmsis,
        "registration_ids": registrations,
        "other_call_signs": other_call_signs,
        "other_vessel_types": other_types,
        "other_ids": other_ids,
        "linked_to": linked,
    }
    vessel = Vessel(
        entity_id=f"{list_id}:{entry.uid}",
        list_id=list_id,
        source_id=entry.uid,
        name=entry.name,
        names=names,
        imo=imos[0] if imos else None,
        mmsi=mmsis[0] if mmsis else None,
        call_sign=info.get("callSign"),
        flags=flag_codes([info.get("vesselFlag"), *other_flags], unrecognized),
        former_flags=flag_codes(former_flags, unrecognized),
        vessel_type=info.get("vesselType"),
        build_year=build_year,
        tonnage=to_int(info.get("tonnage")),
        gross_registered_tonnage=to_int(info.get("grossRegisteredTonnage")),
        owner=info.get("vesselOwner") or (linked[0] if linked else None),
        programs=entry.programs,
        remarks=entry.remarks,
        source_record=source_record,
    )
    source_record["unrecognized_flags"] = unrecognized
    return vessel


def _entity(list_id: str, entry: _Entry) -> ListedEntity:
    imo = next(
        (
            imo
            for i in entry.ids
            if i["idNumber"] and (imo := _IMO_RE.match(i["idNumber"])) and len(imo.group(1)) == 7
        ),
        None,
    )
    return ListedEntity(
        entity_id=f"{list_id}:{entry.uid}",
        list_id=list_id,
        source_id=entry.uid,
        name=entry.name,
        aliases=alias_names(entry.name, (a["name"] for a in entry.akas)),
        kind="entity",
        imo_company_number=imo.group(1) if imo else None,
        programs=entry.programs,
        remarks=entry.remarks,
        source_record={
            "uid": entry.uid,
            "akas": [dict(a) for a in entry.akas],
            "ids": [dict(i) for i in entry.ids],
            "linked_to": _linked_to(entry.remarks),
        },
    )


def _imo(number: str, country: str | None) -> str | None:
    """ "IMO 9161003" is an IMO number; so are seven bare digits with no issuing country (OFAC
    sometimes drops the prefix). A number with an issuing country is a national registration."""
    if match := _IMO_RE.match(number):
        return match.group(1)
    if not country and (match := _SEVEN_DIGITS_RE.match(number)):
        return match.group(1)
    return None


def _linked_to(remarks: str | None) -> list[str]:
    """Names in "(Linked To: NAME)" clauses of the remarks, in order."""
    if not remarks:
        return []
    linked: list[str] = []
    for clause in (c.strip() for c in remarks.split(";")):
        if match := _LINKED_BRACKETED_RE.match(clause) or _LINKED_RE.match(clause):
            linked.append(match.group(1).strip())
    return linked


def _is_ofac_xml(folder: Path, file_name: str) -> bool:
    path = files_by_name(folder, [file_name]).get(file_name)
    root = xml_root(path) if path else None
    # The UN also publishes a consolidated.xml: only OFAC's has an sdnList root.
    return root is not None and root[1] == ROOT


def _file(folder: Path, file_name: str) -> Path:
    require_folder(folder)
    path = files_by_name(folder, [file_name]).get(file_name)
    if path is None:
        raise ListLoadError(f"{folder} has no {file_name}")
    return path
