"""The EU Financial Sanctions File (FSF), XML version 1.1, published at
https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=...
(the link is on https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions).

Root `export` in the namespace http://eu.europa.ec/fpi/fsd/export, with `generationDate` (the
version). One `sanctionEntity` per listed party (attributes `logicalId`, `euReferenceNumber`,
`unitedNationId`, `designationDate`), holding `remark`, `regulation` (`programme`,
`publicationDate`, `entryIntoForceDate`, `numberTitle`, child `publicationUrl`), `subjectType`
(`code` "person" or "enterprise"), `nameAlias` (`wholeName`, `strong`, `regulationLanguage`),
`identification` (`identificationTypeCode` "imo" for an IMO number, `number`, `latinNumber`)
and `address`.

The FSF lists persons and enterprises only: ships banned by EU regulations are in the annexes
(see eu_annex). Enterprises are loaded as listed entities, with the IMO company number where an
"imo" identification gives one, so that ship owners can be screened; persons are left out.

The file keeps no fixed name (downloads are often saved as `20260503-FULL-1_1(xsd).xml`): any
`.xml` in the folder whose root is the FSF `export` is one, and if several are there the one
generated last is loaded.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from service.loaders.common import (
    SourceSet,
    alias_names,
    check_unique,
    children,
    clean,
    iter_closed,
    read_bytes,
    require_folder,
    sha256_by_file,
    xml_root,
)
from service.loaders.errors import ListLoadError
from service.model import ListedEntity

DEFAULT_LIST_ID = "eu-fsf"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
ROOT = "export"
_ISO_DATE_RE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})")


def fsf_files(folder: Path) -> list[tuple[str, Path]]:
    """(generationDate, path) of every FSF export in the folder."""
    if not folder.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".xml" or not path.is_file():
            continue
        root = xml_root(path)
        if root is not None and root[0] == NAMESPACE and root[1] == ROOT:
            found.append((root[2].get("generationDate", ""), path))
    return found


def is_eu_fsf(folder: Path) -> bool:
    return bool(fsf_files(folder))


def read_eu_fsf(folder: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    require_folder(folder)
    found = fsf_files(folder)
    if not found:
        raise ListLoadError(
            f"{folder} has no EU FSF export (.xml with root <{ROOT}> in {NAMESPACE})"
        )
    # Daily downloads pile up in one folder; the newest is the list in force.
    _generated, path = max(found, key=lambda item: item[0])
    return read_eu_fsf_file(path, list_id)


def read_eu_fsf_file(path: Path, list_id: str = DEFAULT_LIST_ID) -> SourceSet:
    raw = read_bytes(path)
    name = path.name
    persons = 0
    entities: list[ListedEntity] = []
    root: dict[str, str] = {}
    for tag, element in iter_closed(name, raw, ROOT, "the FSF", root):
        if tag == "sanctionEntity":
            subject = _subject_type(element)
            if subject == "enterprise":
                entities.append(_entity(name, list_id, element))
            else:
                persons += 1
            element.clear()

    if not entities:
        raise ListLoadError(f"{name} holds {persons} persons but no enterprise")
    generated = clean(root.get("generationDate"))
    if generated is None:
        raise ListLoadError(f"{name}: <{ROOT}> has no generationDate, so no version")
    check_unique("entity", (e.entity_id for e in entities), name)
    return SourceSet(
        vessels=(),
        entities=tuple(entities),
        version=generated,
        sha256=sha256_by_file({name: raw}),
        published_at=generated,
    )


def _subject_type(element: ET.Element) -> str:
    for subject in children(element, "subjectType"):
        return (subject.get("code") or "").lower()
    return ""


def _entity(file_name: str, list_id: str, element: ET.Element) -> ListedEntity:
    logical_id = clean(element.get("logicalId"))
    if not logical_id:
        raise ListLoadError(f"{file_name}: a sanctionEntity has no logicalId")
    aliases = [
        {
            "wholeName": clean(a.get("wholeName")),
            "strong": a.get("strong"),
            "language": a.get("regulationLanguage"),
        }
        for a in children(element, "nameAlias")
    ]
    named = [a for a in aliases if a["wholeName"]]
    if not named:
        raise ListLoadError(f"{file_name}: enterprise {logical_id} has no name")
    # The first strong English name is the one the regulation lists it under.
    primary = next(
        (a for a in named if a["strong"] == "true" and a["language"] == "en"),
        next((a for a in named if a["strong"] == "true"), named[0]),
    )
    name = primary["wholeName"] or ""
    regulations = [
        {
            "programme": clean(r.get("programme")),
            "numberTitle": clean(r.get("numberTitle")),
            "publicationDate": clean(r.get("publicationDate")),
            "entryIntoForceDate": clean(r.get("entryIntoForceDate")),
            "publicationUrl": next((clean(u.text) for u in children(r, "publicationUrl")), None),
        }
        for r in children(element, "regulation")
    ]
    identifications = [dict(i.attrib) for i in children(element, "identification")]
    imo = next(
        (
            digits
            for i in identifications
            if (i.get("identificationTypeCode") or "").lower() == "imo"
            and (digits := _seven_digits(i.get("number") or i.get("latinNumber")))
        ),
        None,
    )
    remarks = [t for t in (clean(r.text) for r in children(element, "remark")) if t]
    source_record: dict[str, Any] = {
        "logicalId": logical_id,
        "euReferenceNumber": clean(element.get("euReferenceNumber")),
        "unitedNationId": clean(element.get("unitedNationId")),
        "designationDate": clean(element.get("designationDate")),
        "nameAliases": aliases,
        "regulations": regulations,
        "identifications": identifications,
        "addresses": [dict(a.attrib) for a in children(element, "address")],
    }
    return ListedEntity(
        entity_id=f"{list_id}:{logical_id}",
        list_id=list_id,
        source_id=logical_id,
        name=name,
        aliases=alias_names(name, [a["wholeName"] for a in named]),
        kind="entity",
        imo_company_number=imo,
        programs=tuple(dict.fromkeys(r["programme"] for r in regulations if r["programme"])),
        listed_on=_listed_on(element.get("designationDate"), regulations),
        remarks="\n".join(remarks) or None,
        source_record=source_record,
    )


def _listed_on(designation: str | None, regulations: list[dict[str, Any]]) -> str | None:
    """The designation date where given, else the earliest date a regulation took effect: the
    regulation cited may be a later amendment, never an earlier one."""
    if designation and (match := _ISO_DATE_RE.match(designation.strip())):
        return match.group(1)
    dates = [r["entryIntoForceDate"] or r["publicationDate"] for r in regulations]
    iso = [m.group(1) for d in dates if d and (m := _ISO_DATE_RE.match(d.strip()))]
    return min(iso) if iso else None


def _seven_digits(value: str | None) -> str | None:
    digits = re.sub(r"[^0-9]", "", value or "")
    return digits if len(digits) == 7 else None
