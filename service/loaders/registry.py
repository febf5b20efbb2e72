"""Turn a folder of list files into loaded lists.

A folder is read one of two ways:

- With a `manifest.json`, exactly the lists it names are loaded (see `lists/README.md`).
- Without one, lists are found by the official file names of each format in `FORMATS` (and,
  where two formats share a file name, by the file's first bytes). If the folder itself holds a
  format's files, that is the list and sub-folders are not looked at (they are typically
  archived older downloads). Otherwise each direct sub-folder holding a format's files is a
  list. Its id is the format's default id (`us-ofac-sdn`) when only one folder holds that list,
  and `<default id>-<sub-folder name>` when several do, so no two lists share an id. One folder
  holding the same list in two formats (sdn.csv and sdn.xml) gives it once, from the format
  listed first in `FORMATS`.

Every list is loaded in full or the whole call raises `ListLoadError`: a caller either gets every
list the folder describes or keeps what it had.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from service import collector
from service.loaders import eu_annex, eu_fsf, ftm, ofac_cons_csv, ofac_xml, uk, un_xml, watchlist
from service.loaders.errors import ListLoadError
from service.loaders.ofac_csv import FILE_NAMES as OFAC_CSV_FILES
from service.loaders.ofac_csv import is_ofac_csv, read_ofac_csv
from service.model import ListedEntity, ListInfo, LoadedList, Vessel

MANIFEST = "manifest.json"
MANIFEST_KEYS = frozenset({"id", "path", "format", "title", "source", "urls"})
REQUIRED_KEYS = ("id", "path", "format")
# Ids end up in URLs and entity ids ("us-ofac-sdn:37095"), so they stay plain.
LIST_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SAFE_FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")

OFAC_EXPORTS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
OFAC_SDN_CSV_SOURCE = OFAC_EXPORTS + "SDN.CSV"


class SourceLoad(Protocol):
    """What a format's loader hands back: the vessels, the listed companies and organisations
    (for owner screening), and what identifies the files read."""

    @property
    def vessels(self) -> tuple[Vessel, ...]: ...

    @property
    def entities(self) -> tuple[ListedEntity, ...]: ...

    @property
    def version(self) -> str: ...

    @property
    def sha256(self) -> dict[str, str]: ...

    @property
    def published_at(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Format:
    """One list format: how to load a folder of it and how to recognise one by file names."""

    load: Callable[[Path, str], SourceLoad]
    detect: Callable[[Path], bool]
    files: tuple[str, ...]
    default_id: str
    title: str
    source: str | None = None
    # File name -> the publisher's address for it: a folder of these files found by their
    # names (no manifest) is refreshed from there by `vessel-screen lists refresh`.
    downloads: Mapping[str, str] = field(default_factory=dict)


def _ofac_exports(names: Iterable[str]) -> dict[str, str]:
    """OFAC's export service serves each file under its name in capitals."""
    return {name: OFAC_EXPORTS + name.upper() for name in names}


# Adding a format is one entry here. Order matters only where two formats give one list (the
# same default id): a folder holding both is read with the one listed first.
FORMATS: dict[str, Format] = {
    "ofac-csv": Format(
        read_ofac_csv,
        is_ofac_csv,
        OFAC_CSV_FILES,
        "us-ofac-sdn",
        "OFAC Specially Designated Nationals (SDN) list",
        OFAC_SDN_CSV_SOURCE,
        _ofac_exports(OFAC_CSV_FILES),
    ),
    "ofac-cons-csv": Format(
        ofac_cons_csv.read_ofac_cons_csv,
        ofac_cons_csv.is_ofac_cons_csv,
        ofac_cons_csv.CONS_FILE_NAMES,
        ofac_cons_csv.DEFAULT_LIST_ID,
        "OFAC Consolidated Sanctions List (non-SDN lists)",
        OFAC_EXPORTS + "CONS_PRIM.CSV",
        _ofac_exports(ofac_cons_csv.CONS_FILE_NAMES),
    ),
    "ofac-xml": Format(
        ofac_xml.read_ofac_sdn_xml,
        ofac_xml.is_ofac_sdn_xml,
        (ofac_xml.SDN_XML,),
        ofac_xml.SDN_LIST_ID,
        "OFAC Specially Designated Nationals (SDN) list",
        OFAC_EXPORTS + "SDN.XML",
        _ofac_exports((ofac_xml.SDN_XML,)),
    ),
    "ofac-cons-xml": Format(
        ofac_xml.read_ofac_cons_xml,
        ofac_xml.is_ofac_cons_xml,
        (f"{ofac_xml.CONS_XML} (root sdnList)",),
        ofac_xml.CONS_LIST_ID,
        "OFAC Consolidated Sanctions List (non-SDN lists)",
        OFAC_EXPORTS + "CONSOLIDATED.XML",
    ),
    "un-xml": Format(
        un_xml.read_un_xml,
        un_xml.is_un_xml,
        (f"{un_xml.FILE_NAME} (root CONSOLIDATED_LIST)",),
        un_xml.DEFAULT_LIST_ID,
        "UN Security Council Consolidated List",
        "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
        {un_xml.FILE_NAME: "https://scsanctions.un.org/resources/xml/en/consolidated.xml"},
    ),
    "eu-ojeu": Format(
        eu_annex.read_eu_ojeu,
        eu_annex.is_eu_ojeu,
        (f"*.csv starting {eu_annex.CONSOLIDATED_HEADER!r} or {eu_annex.AMENDMENT_HEADER!r}",),
        eu_annex.DEFAULT_LIST_ID,
        "EU sanctions annexes in the Official Journal (vessel bans: Reg. 833/2014 Annex XLII, "
        "Reg. 2017/1509)",
        "https://github.com/opensanctions/opensanctions/tree/main/datasets/eu/journal_sanctions/data",
    ),
    "eu-fsf": Format(
        eu_fsf.read_eu_fsf,
        eu_fsf.is_eu_fsf,
        ("*.xml (root export in the FSF namespace)",),
        eu_fsf.DEFAULT_LIST_ID,
        "EU Financial Sanctions File (consolidated list of persons, groups and entities)",
        "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content",
    ),
    "uk-sanctions-list": Format(
        uk.read_uk_sanctions_list,
        uk.is_uk_sanctions_list,
        ("UK-Sanctions-List.csv",),
        uk.UKSL_LIST_ID,
        "UK Sanctions List",
        "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv",
    ),
    "uk-ofsi": Format(
        uk.read_uk_ofsi,
        uk.is_uk_ofsi,
        ("ConList.csv",),
        uk.OFSI_LIST_ID,
        "OFSI Consolidated List of Financial Sanctions Targets",
        "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
    ),
    "ftm": Format(
        ftm.read_ftm,
        ftm.is_ftm,
        (f"*{ftm.SUFFIX}",),
        ftm.DEFAULT_LIST_ID,
        "OpenSanctions entities (FollowTheMoney)",
        "https://data.opensanctions.org/datasets/latest/sanctions/entities.ftm.json",
    ),
    "watchlist": Format(
        watchlist.read_watchlist,
        watchlist.is_watchlist,
        (watchlist.FILE_NAME,),
        watchlist.DEFAULT_LIST_ID,
        "In-house watchlist",
        None,
    ),
}


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One list to load: where its files are and what to call it."""

    id: str
    path: Path
    format: str
    title: str
    source: str | None = None
    # File name -> download address, for `vessel-screen lists refresh` (see service/refresh.py).
    # Empty: the list is not refreshed, its files are kept up to date some other way.
    urls: dict[str, str] = field(default_factory=dict)


def load_lists(folder: Path) -> list[LoadedList]:
    """Every list in `folder`, by its manifest if it has one, else by official file names."""
    return [load_list(entry) for entry in find_lists(folder)]


def find_lists(folder: Path) -> list[ListEntry]:
    """The lists `folder` describes, without loading them."""
    if not folder.is_dir():
        raise ListLoadError(f"list folder {folder} does not exist or is not a folder")
    if (folder / MANIFEST).is_file():
        return read_manifest(folder)
    return discover_lists(folder)


def load_list(entry: ListEntry) -> LoadedList:
    spec = _format(entry.format, entry.id)
    with collector.paused():
        result = spec.load(entry.path, entry.id)
    # A list of owners and no ship (the UN's, OFAC's non-SDN lists) still serves owner screening.
    if not result.vessels and not result.entities:
        raise ListLoadError(f"list {entry.id} ({entry.path}) holds no vessel and no entity")
    info = ListInfo(
        id=entry.id,
        title=entry.title,
        version=result.version,
        loaded_at=datetime.now(UTC),
        entries=len(result.vessels),
        source=entry.source,
        format=entry.format,
        sha256=dict(result.sha256),
        published_at=result.published_at,
    )
    return LoadedList(info=info, vessels=tuple(result.vessels), entities=tuple(result.entities))


def read_manifest(folder: Path) -> list[ListEntry]:
    """The entries of `folder/manifest.json`, checked before anything is loaded."""
    path = folder / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ListLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ListLoadError(f"{path} is not valid UTF-8 JSON: {exc}") from exc

    raw_lists = document.get("lists") if isinstance(document, dict) else None
    if not isinstance(raw_lists, list) or not raw_lists:
        raise ListLoadError(f'{path} must be an object with a non-empty "lists" array')

    entries: list[ListEntry] = []
    for index, raw in enumerate(raw_lists):
        entry = _manifest_entry(folder, raw, f"{path} lists[{index}]")
        if any(e.id == entry.id for e in entries):
            raise ListLoadError(f"{path}: list id {entry.id!r} appears twice")
        entries.append(entry)
    return entries


def discover_lists(folder: Path) -> list[ListEntry]:
    """Lists found by official file names in `folder` or, failing that, its direct sub-folders."""
    here = [(name, folder) for name in _formats_in(folder)]
    if here:
        return [_discovered(name, path, several=False) for name, path in here]

    found: list[tuple[str, Path]] = []
    subfolders = sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )
    for sub in subfolders:
        found.extend((name, sub) for name in _formats_in(sub))
    if not found:
        looked_for = "; ".join(f"{name}: {', '.join(s.files)}" for name, s in FORMATS.items())
        raise ListLoadError(
            f"nothing to load in {folder}: no {MANIFEST}, and neither it nor a direct sub-folder "
            f"holds list files under their official names ({looked_for})"
        )
    default_ids = [FORMATS[name].default_id for name, _ in found]
    entries = [
        _discovered(name, path, several=default_ids.count(FORMATS[name].default_id) > 1)
        for name, path in found
    ]
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ListLoadError(f"sub-folders of {folder} give the same list id: {duplicates}")
    return entries


def file_hashes(paths: Iterable[Path]) -> dict[str, str]:
    """Full SHA-256 hex digest of each file, by file name.

    Compare with `ListInfo.sha256` to tell whether the files on disk still are the ones loaded.
    """
    hashes: dict[str, str] = {}
    for path in paths:
        try:
            hashes[path.name] = file_sha256(path)
        except OSError as exc:
            raise ListLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return hashes


def file_sha256(path: Path) -> str:
    """The SHA-256 hex digest of a file, read a megabyte at a time (OSError as it comes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _formats_in(folder: Path) -> list[str]:
    """The formats whose files `folder` holds, one per list: formats sharing a default id are
    the same list published twice, and the first in `FORMATS` is read."""
    chosen: dict[str, str] = {}
    for name, spec in FORMATS.items():
        if spec.default_id not in chosen and spec.detect(folder):
            chosen[spec.default_id] = name
    return list(chosen.values())


def _discovered(format_name: str, path: Path, *, several: bool) -> ListEntry:
    spec = FORMATS[format_name]
    list_id = spec.default_id
    if several:
        list_id = f"{spec.default_id}-{_slug(path.name)}"
    return ListEntry(list_id, path, format_name, spec.title, spec.source, _on_disk(spec, path))


def _on_disk(spec: Format, folder: Path) -> dict[str, str]:
    """The format's download addresses keyed by the names its files have in `folder` (lists
    are published in capitals and saved in any case)."""
    try:
        present = {p.name.lower(): p.name for p in folder.iterdir() if p.is_file()}
    except OSError:
        present = {}
    return {present.get(name, name): url for name, url in spec.downloads.items()}


def _manifest_entry(folder: Path, raw: Any, where: str) -> ListEntry:
    if not isinstance(raw, dict):
        raise ListLoadError(f"{where} must be an object")
    unknown = sorted(set(raw) - MANIFEST_KEYS)
    if unknown:
        raise ListLoadError(f"{where} has unknown keys {unknown}; allowed: {sorted(MANIFEST_KEYS)}")
    for key in REQUIRED_KEYS:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ListLoadError(f"{where} needs a non-empty string {key!r}")
    for key in ("title", "source"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ListLoadError(f"{where}: {key!r} must be a string")

    list_id = raw["id"]
    if not LIST_ID_RE.match(list_id):
        raise ListLoadError(
            f"{where}: id {list_id!r} must be lower-case letters, digits, '.', '_' or '-'"
        )
    spec = _format(raw["format"], list_id)
    # Relative to the manifest's folder, or absolute: a manifest may gather lists kept in
    # different places (an OFAC download folder and an EU one) into one service.
    path = Path(raw["path"]).expanduser()
    return ListEntry(
        id=list_id,
        path=path if path.is_absolute() else folder / path,
        format=raw["format"],
        title=raw.get("title") or spec.title,
        source=raw.get("source") if "source" in raw else spec.source,
        urls=_manifest_urls(raw.get("urls"), where),
    )


def _manifest_urls(raw: Any, where: str) -> dict[str, str]:
    """`urls`: file name -> http(s) address. The names become files in the list's folder, so
    they are plain names: a path here could write outside it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise ListLoadError(f"{where}: 'urls' must be a non-empty object of file name -> URL")
    for name, url in raw.items():
        if not isinstance(name, str) or not SAFE_FILE_NAME_RE.match(name):
            raise ListLoadError(f"{where}: urls key {name!r} must be a plain file name")
        if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
            raise ListLoadError(f"{where}: urls[{name!r}] must be an http:// or https:// URL")
    return dict(raw)


def _format(name: str, list_id: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ListLoadError(
            f"list {list_id}: unknown format {name!r}; known: {', '.join(sorted(FORMATS))}"
        ) from None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._") or "list"
