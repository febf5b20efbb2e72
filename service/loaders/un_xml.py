"""The UN Security Council consolidated list, consolidated.xml, published at
https://scsanctions.un.org/resources/xml/en/consolidated.xml.

Root `CONSOLIDATED_LIST` (its `dateGenerated` attribute is the version), then `INDIVIDUALS`
and `ENTITIES`. Each `ENTITY` has `DATAID`, `REFERENCE_NUMBER` ("KPe.020"), `FIRST_NAME` (the
whole name), `UN_LIST_TYPE` (the sanctions regime: "DPRK"), `LISTED_ON`, `COMMENTS1`,
`ENTITY_ALIAS` (QUALITY "a.k.a." / "f.k.a.", ALIAS_NAME), `NAME_ORIGINAL_SCRIPT` and
`ENTITY_ADDRESS`.

The schema has no ship type: ships the Council designates are named in resolutions and the 1718
Committee's own list, not in this file. What this file does give for shipping is the ship owners
and managers it lists as entities, several with their IMO company number written into the
comments ("IMO number: 5571322", "Company Number IMO 5434358"). Those entities are loaded, with
the number parsed out, so that a ship's owner can be screened. Individuals are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from service.loaders.common import (
    SourceSet,
    alias_names,
    check_unique,
    child_text,
    children,
    clean,
    descendants_text,
    files_by_name,
    imo_in_text,
    iso_date,
    iter_closed,
    local_name,
    read_bytes,
    require_folder,
    sha256_by_file,
    xml_root,
)
from service.loaders.errors import ListLoadError
from service.model import ListedEntity

FILE_NAME = "consolidated.xml"
ROOT = "CONSOLIDATED_LIST"
DEFAULT_LIST_ID = "un-sc"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def is_un_xml(folder: Path) -> bool:
    """True when the folder's consolidated.xml is the UN's (root CONSOLIDATED_LIST), not
    OFAC's file of the same name."""
    path = files_by_name(folder, [FILE_NAME]).get(FILE_NAME)
    root = xml_root(path) if path else None
    return root is not None and root[1] == ROOT


def read_un_xml(folder: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    require_folder(folder)
    path = files_by_name(folder, [FILE_NAME]).get(FILE_NAME)
    if path is None:
        raise ListLoadError(f"{folder} has no {FILE_NAME}")
    return read_un_xml_file(path, list_id)


def read_un_xml_file(path: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    raw = read_bytes(path)
    name = path.name
    individuals = 0
    entities: list[ListedEntity] = []
    root: dict[str, str] = {}
    for tag, element in iter_closed(name, raw, ROOT, "the UN's", root):
        if tag == "ENTITY":
            entities.append(_entity(name, list_id, element))
            element.clear()
        elif tag == "INDIVIDUAL":
            individuals += 1
            element.clear()

    if not entities:
        raise ListLoadError(
            f"{name} holds {individuals} individuals but no entity (and the UN list has no ships)"
        )
    check_unique("entity", (e.entity_id for e in entities), name)
    data = {name: raw}
    generated = clean(root.get("dateGenerated"))
    if generated is None:
        raise ListLoadError(f"{name}: <{ROOT}> has no dateGenerated, so no version")
    return SourceSet(
        vessels=(),
        entities=tuple(entities),
        # The generation time as published ("2026-02-27T00:00:09.554Z"): the UN regenerates the
        # file whenever the list changes, so the time identifies the content.
        version=generated,
        sha256=sha256_by_file(data),
        published_at=generated,
    )


def _entity(file_name: str, list_id: str, element: ET.Element) -> ListedEntity:
    data_id = child_text(element, "DATAID")
    reference = child_text(element, "REFERENCE_NUMBER")
    # The reference number is what the UN, the EU and the UK all cite ("KPe.020"); DATAID is
    # the fallback for an entry published without one.
    source_id = reference or data_id
    if not source_id:
        raise ListLoadError(f"{file_name}: an ENTITY has neither REFERENCE_NUMBER nor DATAID")
    name = " ".join(p for p in (child_text(element, t) for t in _NAME_PARTS) if p)
    if not name:
        raise ListLoadError(f"{file_name}: entity {source_id} has no name")
    aliases_raw = [
        {"quality": child_text(a, "QUALITY"), "name": child_text(a, "ALIAS_NAME")}
        for a in children(element, "ENTITY_ALIAS")
    ]
    original_script = child_text(element, "NAME_ORIGINAL_SCRIPT")
    comments = child_text(element, "COMMENTS1")
    programs = tuple(p for p in (child_text(element, "UN_LIST_TYPE"),) if p)
    source_record: dict[str, Any] = {
        "DATAID": data_id,
        "REFERENCE_NUMBER": reference,
        "UN_LIST_TYPE": child_text(element, "UN_LIST_TYPE"),
        "LISTED_ON": child_text(element, "LISTED_ON"),
        "aliases": aliases_raw,
        "NAME_ORIGINAL_SCRIPT": original_script,
        "LIST_TYPE": descendants_text(element, ("LIST_TYPE", "VALUE")),
        "LAST_DAY_UPDATED": descendants_text(element, ("LAST_DAY_UPDATED", "VALUE")),
        "addresses": [
            {local_name(c.tag): clean(c.text) for c in address}
            for address in children(element, "ENTITY_ADDRESS")
        ],
    }
    return ListedEntity(
        entity_id=f"{list_id}:{source_id}",
        list_id=list_id,
        source_id=source_id,
        name=name,
        aliases=alias_names(name, [*(a["name"] for a in aliases_raw), original_script]),
        kind="entity",
        imo_company_number=imo_in_text(comments),
        programs=programs,
        listed_on=iso_date(child_text(element, "LISTED_ON"), ("%Y-%m-%d",)),
        remarks=comments,
        source_record=source_record,
    )
