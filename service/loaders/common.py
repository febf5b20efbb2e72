"""What every list loader needs: reading files whole, versions, dates, flags, names and XML.

Each loader reads its files once, into memory, and builds everything from those bytes: hashing
the files in a second pass could describe a newer download than the one parsed. Anything wrong
raises `ListLoadError`; nothing here returns half a result.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from service.identifiers import normalize_flag, normalize_mmsi, parse_imo
from service.loaders.errors import ListLoadError
from service.model import ListedEntity, NameKind, Vessel, VesselName

VERSION_LENGTH = 12

# Values lists write where they mean "nothing known"; none of them may become a flag or a name.
NO_VALUE = frozenset(
    {"", "-", "n/a", "na", "none", "unknown", "not known", "none identified", "not identified"}
)
# A longer value is none of them, which spares lower-casing it.
_NO_VALUE_LONGEST = max(map(len, NO_VALUE))


@dataclass(frozen=True, slots=True)
class SourceSet:
    """What a loader hands back: the vessels and listed entities of one list, and what identifies
    the files they came from (see `registry.SourceLoad`)."""

    vessels: tuple[Vessel, ...]
    version: str
    sha256: dict[str, str] = field(default_factory=dict)
    published_at: str | None = None
    entities: tuple[ListedEntity, ...] = ()


# --- files -------------------------------------------------------------------------------------


def require_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ListLoadError(f"{folder} is not a folder")


def files_by_name(folder: Path, names: Iterable[str]) -> dict[str, Path]:
    """Official file name (lower case) -> path, matching names in any case.

    Publishers and download tools disagree on case (OFAC's service serves SDN.XML, its pages
    sdn.xml); both are the same file. An exact official name wins over a case variant.
    """
    wanted = {n.lower() for n in names}
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        lower = path.name.lower()
        if lower in wanted and path.is_file() and (lower not in found or path.name == lower):
            found[lower] = path
    return found


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ListLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_all(paths: Sequence[Path]) -> dict[str, bytes]:
    """File name -> bytes, in the order given (the order the version hash uses)."""
    return {path.name: read_bytes(path) for path in paths}


def sha256_by_file(data: Mapping[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(raw).hexdigest() for name, raw in data.items()}


def content_version(data: Mapping[str, bytes]) -> str:
    """First 12 hex digits of the SHA-256 of the files concatenated in the mapping's order.

    Used where the files carry no publish date; `cat <files in order> | sha256sum | cut -c1-12`
    gives the same.
    """
    digest = hashlib.sha256()
    for raw in data.values():
        digest.update(raw)
    return digest.hexdigest()[:VERSION_LENGTH]


def version_and_hashes(data: Mapping[str, bytes]) -> tuple[str, dict[str, str]]:
    """`content_version(data)` and `sha256_by_file(data)`, hashing each byte once where there
    is one file (its own hash then gives the version): a second pass over an export of a
    million entities takes half a second."""
    hashes = sha256_by_file(data)
    if len(hashes) == 1:
        return next(iter(hashes.values()))[:VERSION_LENGTH], hashes
    return content_version(data), hashes


def decode_utf8(name: str, raw: bytes) -> str:
    """UTF-8 text without a byte-order mark; a file in another encoding is refused, not guessed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListLoadError(
            f"{name}: byte 0x{raw[exc.start]:02X} at offset {exc.start} is not UTF-8"
        ) from exc


def check_unique(kind: str, ids: Iterable[str], where: str) -> None:
    """Entity ids key every index; two records under one id would silently hide one of them."""
    seen: set[str] = set()
    for entity_id in ids:
        if entity_id in seen:
            raise ListLoadError(f"{where}: {kind} id {entity_id!r} appears twice")
        seen.add(entity_id)


# --- values ------------------------------------------------------------------------------------


def clean(value: str | None) -> str | None:
    """The value with whitespace collapsed, or None when it says nothing."""
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > _NO_VALUE_LONGEST:
        return text
    return None if text.lower() in NO_VALUE else text


def split_multi(value: str | None, separators: str = ";") -> list[str]:
    """Cells holding several values ("a; b; c"), cleaned, empties and placeholders dropped."""
    if not value:
        return []
    parts = re.split("[" + re.escape(separators) + "]", value)
    return [p for p in (clean(part) for part in parts) if p]


def imo_digits(value: str | None) -> str | None:
    """The seven digits of an IMO number as published ("IMO 9161003", "9161003"), check digit
    not judged; None when the value is no IMO number at all ("Does not exist")."""
    text = clean(value)
    if text is None:
        return None
    imo = parse_imo(text)
    return imo.digits if imo is not None else None


def mmsi_digits(value: str | None) -> str | None:
    text = clean(value)
    return normalize_mmsi(text) if text else None


def flag_codes(values: Iterable[str | None], unrecognized: list[str]) -> tuple[str, ...]:
    """ISO alpha-2 codes of the flags named, in order, without repeats.

    A flag no one recognises is not dropped silently: it is added to `unrecognized`, which the
    loaders keep in the vessel's source record.
    """
    codes: list[str] = []
    for value in values:
        text = clean(value)
        if text is None:
            continue
        code = normalize_flag(text).code
        if code is None:
            unrecognized.append(text)
        elif code not in codes:
            codes.append(code)
    return tuple(codes)


def to_int(value: str | None) -> int | None:
    """An integer written with or without thousands separators ("7,260", "7 260")."""
    if not value:
        return None
    digits = re.sub(r"[,\s]", "", value)
    digits = digits[:-2] if digits.endswith(".0") else digits
    return int(digits) if digits.isascii() and digits.isdigit() else None


def year_of(value: str | None) -> int | None:
    """The year of a build date given as "1998", "1998-05-01" or "01/05/1998"."""
    if not value:
        return None
    match = re.search(r"\b(1[89][0-9]{2}|20[0-9]{2})\b", value)
    return int(match.group(1)) if match else None


def iso_date(value: str | None, formats: Sequence[str]) -> str | None:
    """The date as YYYY-MM-DD, trying each strptime format; None when none fits."""
    text = clean(value)
    if text is None:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def names_with_kinds(primary: str, others: Iterable[VesselName]) -> tuple[VesselName, ...]:
    """The primary name first, then each other name once, with the first kind it was given."""
    names = [VesselName(primary, "primary")]
    seen = {primary}
    for other in others:
        if other.name and other.name not in seen:
            seen.add(other.name)
            names.append(other)
    return tuple(names)


def alias_names(primary: str, others: Iterable[str | None]) -> tuple[str, ...]:
    """Other names of an entity, in order, without the primary name or repeats."""
    seen = {primary}
    aliases: list[str] = []
    for other in others:
        if other and other not in seen:
            seen.add(other)
            aliases.append(other)
    return tuple(aliases)


ALIAS_KINDS: dict[str, NameKind] = {"aka": "aka", "fka": "fka", "nka": "nka"}


def alias_kind(value: str | None) -> NameKind:
    """ "a.k.a." / "f.k.a." / "n.k.a." (in any spelling) to a name kind; anything else is aka."""
    return ALIAS_KINDS.get((value or "").lower().replace(".", "").strip(), "aka")


# IMO company numbers as lists write them in free text: "IMO number: 5571322", "IMO Number:
# 5342883", "Company Number IMO 5434358", "International Maritime Organization (IMO) Number:
# 1790183", "Identification Number IMO 6016988".
_COMPANY_IMO_RE = re.compile(
    r"\bIMO\)?(?:\s+(?:company\s+)?(?:number|no\.?|nr\.?|#))?\s*[:.#-]?\s*([0-9]{7})\b",
    re.IGNORECASE,
)


def imo_in_text(text: str | None) -> str | None:
    """The first seven-digit number labelled IMO in free text, as published."""
    if not text:
        return None
    match = _COMPANY_IMO_RE.search(text)
    return match.group(1) if match else None


# --- XML ---------------------------------------------------------------------------------------
#
# The standard library parser is safe for these files: ElementTree never fetches external
# entities or DTDs, and the bundled Expat (>= 2.4.1 in every supported Python) limits entity
# expansion, which defeats "billion laughs". So no third-party XML library is needed.


def local_name(tag: str) -> str:
    """ "{namespace}name" -> "name": publishers change namespaces between versions (OFAC moved
    from tempuri.org to its own address), and the element names are what identify the format."""
    return tag.rsplit("}", 1)[-1]


def namespace_of(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def xml_root(path: Path) -> tuple[str, str, dict[str, str]] | None:
    """(namespace, local name, attributes) of the file's root element, read from its first
    bytes only; None when the file is not XML. Cheap enough to tell apart two formats that
    share a file name (OFAC's and the UN's consolidated.xml)."""
    try:
        with path.open("rb") as handle:
            for _event, element in ET.iterparse(handle, events=("start",)):
                return namespace_of(element.tag), local_name(element.tag), dict(element.attrib)
    except (ET.ParseError, OSError):
        return None
    return None


def iter_xml(name: str, raw: bytes) -> Iterator[tuple[str, ET.Element]]:
    """(event, element) for "start" and "end" events of the document; malformed XML raises
    ListLoadError with the line and column the parser stopped at."""
    try:
        yield from ET.iterparse(io.BytesIO(raw), events=("start", "end"))
    except ET.ParseError as exc:
        raise ListLoadError(f"{name}: not well-formed XML: {exc}") from exc


def iter_closed(
    name: str, raw: bytes, root: str, whose: str, root_attributes: dict[str, str]
) -> Iterator[tuple[str, ET.Element]]:
    """(local tag, element) for each element as it closes, in a document whose root must be
    <root> (else ListLoadError saying it is not `whose` <root>); the root's attributes (where
    publishers put the generation date) are copied into `root_attributes` as it opens."""
    root_seen = False
    for event, element in iter_xml(name, raw):
        tag = local_name(element.tag)
        if event == "start":
            if not root_seen:
                if tag != root:
                    raise ListLoadError(f"{name}: root element is <{tag}>, not {whose} <{root}>")
                root_attributes.update(element.attrib)
                root_seen = True
            continue
        yield tag, element


def child_text(element: ET.Element, name: str) -> str | None:
    """Cleaned text of the first direct child with that local name."""
    for child in element:
        if local_name(child.tag) == name:
            return clean(child.text)
    return None


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local_name(child.tag) == name]


def descendants_text(element: ET.Element, path: Sequence[str]) -> list[str]:
    """Texts found by following local names down from `element` ("programList", "program")."""
    level = [element]
    for name in path:
        level = [c for e in level for c in children(e, name)]
    return [t for t in (clean(e.text) for e in level) if t]
