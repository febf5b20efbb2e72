"""Port reference: UN/LOCODE-keyed ports, loaded from the official code lists, the NGA World Port
Index and the project's own small CSV, and resolved from whatever a caller wrote.

A port is identified by its UN/LOCODE written without the space ("KPRJN"). Inputs may write it
"KP RJN", "kp-rjn" or "KPRJN", or give a name: names compare without case, accents or
punctuation, and common transliteration variants of Russian and Ukrainian names (Vostochny /
Vostochnyy, Feodosia / Feodosiya / Feodosiia) meet.

Resolution of a *name* is deliberately conservative because it feeds sanctions flags: when a name
matches ports in more than one country, `resolve` returns None unless a country hint settles it
(the caller reports the port as unresolved). Within one country, the port whose main name it is
wins over ports that only list it as an alternate; after that, the port more sources agree on.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from anyascii import anyascii

from service.identifiers import normalize_flag
from service.settings import REPO_ROOT

__all__ = [
    "BUNDLED_PORTS_CSV",
    "Port",
    "PortTable",
    "load_bundled_ports",
    "load_ports",
    "name_key",
    "normalize_locode",
    "parse_unlocode_coordinates",
    "read_ports_csv",
    "read_unlocode_csv",
    "read_wpi_csv",
]

log = logging.getLogger(__name__)

BUNDLED_PORTS_CSV = REPO_ROOT / "ports" / "ports.csv"

# The project's own table: one port a row. alternate_names are ";"-separated.
PORTS_CSV_FIELDS = ("locode", "name", "alternate_names", "country", "subdivision", "lat", "lon")


@dataclass(frozen=True, slots=True)
class Port:
    """One port. `country` is ISO 3166 alpha-2 (the LOCODE's first two letters); `subdivision`
    the UN/LOCODE subdivision code without the country ("43" for Crimea); coordinates in decimal
    degrees. `sources` names the tables that contributed ("unlocode", "wpi", "bundled", ...).
    """

    locode: str
    name: str
    alternate_names: tuple[str, ...] = ()
    country: str = ""
    subdivision: str | None = None
    lat: float | None = None
    lon: float | None = None
    sources: tuple[str, ...] = field(default=(), compare=False)
    # World Port Index "Harbor Size": "V" very small, "S", "M", "L"; None where not known.
    harbor_size: str | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.alternate_names)


# --- LOCODEs and name keys ----------------------------------------------------------------------

# Official codes use letters and the digits 2-9 in the location part; 0 and 1 are never assigned,
# which is what makes them safe for the few project-local codes in the bundled table.
_LOCODE_RE = re.compile(r"\s*([A-Za-z]{2})[\s\-_.:/]?([A-Za-z0-9]{3})\s*")


def normalize_locode(value: str) -> str | None:
    """ "KP RJN", "kp-rjn", "KPRJN" -> "KPRJN"; None when the text is not shaped like a LOCODE."""
    match = _LOCODE_RE.fullmatch(value)
    if match is None:
        return None
    return (match.group(1) + match.group(2)).upper()


_APOSTROPHES_RE = re.compile(r"['`´]")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_PAREN_RE = re.compile(r"\(([^()]*)\)")
# Trailing words that say "this is a port" rather than which one ("Vostochnyy Port",
# "Kozmino Port", "Tartus Oil Terminal"). A leading "port" is kept: "Port Said" is a name.
_GENERIC_TAIL_RE = re.compile(
    r"(?: (?:port|harbour|harbor|seaport|sea port|oil terminal|terminal))+$"
)
_GENERIC_HEAD_RE = re.compile(r"^(?:port of|harbour of|harbor of) ")
_DOUBLE_RE = re.compile(r"([a-z])\1+")


def name_key(text: str) -> str:
    """Comparison key of a name: ASCII, lower case, apostrophes dropped ("Taman'" == "Taman"),
    every other punctuation run a single space."""
    folded = _APOSTROPHES_RE.sub("", anyascii(text).lower())
    return _NON_ALNUM_RE.sub(" ", folded).strip()


def _strip_generic(key: str) -> str:
    stripped = _GENERIC_HEAD_RE.sub("", _GENERIC_TAIL_RE.sub("", key))
    return stripped or key


def _loose_key(key: str) -> str:
    """Transliteration-tolerant key: y and i are one letter, doubled letters single, and a
    word-initial "ie" is "e" -- so Vostochny/Vostochnyy, Feodosia/Feodosiya/Feodosiia,
    Yevpatoria/Yevpatoriya/Evpatoria and Berdyansk/Berdiansk meet."""
    loose = _DOUBLE_RE.sub(r"\1", key.replace("y", "i"))
    return " ".join(w[1:] if w.startswith("ie") else w for w in loose.split())


def _name_forms(name: str) -> list[tuple[str, bool]]:
    """Keys a name is found under, each with whether it is the name as written (True) or a
    derived part of it: "Rajin (Najin)" is also "Rajin" and "Najin"; "Mumbai (ex Bombay)" also
    "Bombay"; "Vostochnyy Port" also "Vostochnyy"."""
    forms: list[tuple[str, bool]] = []
    full = name_key(name)
    if full:
        forms.append((full, True))
    parts: list[str] = []
    if "(" in name:
        parts.append(_PAREN_RE.sub(" ", name))
        for inner in _PAREN_RE.findall(name):
            parts.append(re.sub(r"^\s*(?:ex|formerly|former)\.?\s+", "", inner, flags=re.I))
    for part in parts:
        key = name_key(part)
        if key:
            forms.append((key, False))
    for key, _ in list(forms):
        stripped = _strip_generic(key)
        if stripped != key:
            forms.append((stripped, False))
    seen: dict[str, bool] = {}
    for key, exact in forms:
        seen[key] = seen.get(key, False) or exact
    return list(seen.items())


# --- The table ----------------------------------------------------------------------------------


class PortTable:
    """Ports by LOCODE, and an index of their names for `resolve`. Built once; read-only after."""

    def __init__(self, ports: Iterable[Port], loaded_from: Iterable[str] = ()) -> None:
        self._ports: dict[str, Port] = {}
        for port in ports:
            previous = self._ports.get(port.locode)
            self._ports[port.locode] = port if previous is None else _merge(previous, port)
        self.loaded_from: tuple[str, ...] = tuple(loaded_from)
        # key -> {locode: rank}; rank 0 = the main name as written, 1 = part of the main name,
        # 2 = an alternate name as written, 3 = part of an alternate name.
        self._exact: dict[str, dict[str, int]] = {}
        self._loose: dict[str, dict[str, int]] = {}
        for port in self._ports.values():
            for position, name in enumerate(port.all_names):
                for key, as_written in _name_forms(name):
                    rank = (0 if position == 0 else 2) + (0 if as_written else 1)
                    _put(self._exact, key, port.locode, rank)
                    _put(self._loose, _loose_key(key), port.locode, rank)

    def __len__(self) -> int:
        return len(self._ports)

    def __iter__(self) -> Iterator[Port]:
        return iter(self._ports.values())

    def __contains__(self, locode: object) -> bool:
        return isinstance(locode, str) and locode in self._ports

    def get(self, locode: str) -> Port | None:
        """The port with this LOCODE, in any accepted spelling ("KP RJN", "kp-rjn")."""
        code = normalize_locode(locode)
        return None if code is None else self._ports.get(code)

    def resolve(self, text: str, country: str | None = None) -> Port | None:
        """The port `text` names: a LOCODE in any accepted form, or a main or alternate name.

        `country` (alpha-2, alpha-3 or English name) narrows a name to one country. A name that
        matches ports in several countries, with no hint to choose, resolves to None: guessing
        would put a ship in the wrong jurisdiction. `candidates` tells the caller which ports
        were in play.
        """
        hint = _country_hint(country)
        by_code = self._by_code(text)
        if by_code is not None and _looks_like_code(text):
            return by_code
        port = self._by_name(text, hint)
        if port is None and by_code is not None:
            return by_code
        if port is None and "(" in text:
            # "Rajin (Rason)": each part on its own; they must agree on one port.
            parts = [_PAREN_RE.sub(" ", text), *_PAREN_RE.findall(text)]
            found = {p.locode: p for p in (self._by_name(part, hint) for part in parts) if p}
            if len(found) == 1:
                return next(iter(found.values()))
        return port

    def candidates(self, text: str, country: str | None = None) -> tuple[Port, ...]:
        """Every port the best-matching tier of name keys offers for `text` (for messages about
        an ambiguous or unresolved port); the LOCODE's port alone when `text` is one."""
        hint = _country_hint(country)
        by_code = self._by_code(text)
        if by_code is not None and _looks_like_code(text):
            return (by_code,)
        for ranked in self._tiers(text, hint):
            return tuple(self._ports[code] for code in sorted(ranked, key=ranked.__getitem__))
        if "(" in text:
            parts = [_PAREN_RE.sub(" ", text), *_PAREN_RE.findall(text)]
            found = {p.locode: p for part in parts for p in self.candidates(part, country)}
            if found:
                return tuple(found.values())
        return () if by_code is None else (by_code,)

    def _by_code(self, text: str) -> Port | None:
        code = normalize_locode(text)
        return None if code is None else self._ports.get(code)

    def _tiers(self, text: str, hint: str | None) -> Iterator[dict[str, int]]:
        """Matches for `text`, best tier first: exact keys, then generic-stripped, then loose."""
        key = name_key(text)
        if not key:
            return
        keys = dict.fromkeys((key, _strip_generic(key)))
        for index, transform in ((self._exact, _same), (self._loose, _loose_key)):
            for k in keys:
                hits = index.get(transform(k))
                if not hits:
                    continue
                if hint is not None:
                    hits = {c: r for c, r in hits.items() if self._ports[c].country == hint}
                if hits:
                    yield hits

    def _by_name(self, text: str, hint: str | None) -> Port | None:
        for hits in self._tiers(text, hint):
            ports = [self._ports[code] for code in hits]
            if len({p.country for p in ports}) > 1:
                return None
            return min(
                ports, key=lambda p: (hits[p.locode], -len(p.sources), p.lat is None, p.locode)
            )
        return None


def _same(key: str) -> str:
    return key


def _put(index: dict[str, dict[str, int]], key: str, locode: str, rank: int) -> None:
    if not key:
        return
    slot = index.setdefault(key, {})
    slot[locode] = min(rank, slot.get(locode, rank))


def _looks_like_code(text: str) -> bool:
    """A LOCODE-shaped input is taken as a code first when written like one: upper case, or
    with a separator ("kp-rjn"). "Nampo" or "Yalta" in title case are names first."""
    stripped = text.strip()
    return stripped.isupper() or not stripped.isalpha()


def _country_hint(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    result = normalize_flag(country)
    return result.code if result.code else country.strip().upper()


def _merge(base: Port, extra: Port, *, prefer_extra_coordinates: bool = False) -> Port:
    """`base` keeps its main name; `extra` adds names, fills gaps, and (when asked) replaces the
    coordinates because it is the more precise source."""
    names = dict.fromkeys((*base.alternate_names, extra.name, *extra.alternate_names))
    names.pop(base.name, None)
    base_key = name_key(base.name)
    alternates = tuple(n for n in names if n and name_key(n) != base_key)
    lat, lon = base.lat, base.lon
    if (
        extra.lat is not None
        and extra.lon is not None
        and (prefer_extra_coordinates or lat is None)
    ):
        lat, lon = extra.lat, extra.lon
    return replace(
        base,
        alternate_names=_unique_by_key(alternates),
        subdivision=base.subdivision or extra.subdivision,
        lat=lat,
        lon=lon,
        sources=tuple(dict.fromkeys((*base.sources, *extra.sources))),
        harbor_size=base.harbor_size or extra.harbor_size,
    )


def _unique_by_key(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name_key(name), name)
    return tuple(seen.values())


# --- UN/LOCODE code list ------------------------------------------------------------------------

_COORD_RE = re.compile(r"(\d{2})(\d{2})([NS])\s*(\d{3})(\d{2})([EW])")


def parse_unlocode_coordinates(text: str) -> tuple[float, float] | None:
    """ "4213N 13017E" -> (42.2167, 130.2833); None when empty or impossible (minutes >= 60)."""
    match = _COORD_RE.fullmatch(text.strip())
    if match is None:
        return None
    lat_d, lat_m, ns, lon_d, lon_m, ew = match.groups()
    if int(lat_m) >= 60 or int(lon_m) >= 60:
        return None
    lat = int(lat_d) + int(lat_m) / 60
    lon = int(lon_d) + int(lon_m) / 60
    if lat > 90 or lon > 180:
        return None
    return (round(-lat if ns == "S" else lat, 4), round(-lon if ew == "W" else lon, 4))


@dataclass(frozen=True, slots=True)
class UnlocodeData:
    """What one or more UN/LOCODE code list files hold that ports need.

    `seaports` are the entries whose Function has "1" in position 1. `others` keeps the rest, so
    that a place the World Port Index calls a port but UN/LOCODE does not mark as one (Sevastopol
    and Kerch are "0-------", function not known) still gets its official name. `references` are
    the "=" rows: (country, old name, current name).
    """

    seaports: dict[str, Port]
    others: dict[str, Port]
    references: list[tuple[str, str, str]]
    skipped: int = 0


def read_unlocode_csv(paths: Iterable[Path]) -> UnlocodeData:
    """Read UNECE UN/LOCODE "CodeListPart" CSV files (no header, ISO-8859-1)."""
    seaports: dict[str, Port] = {}
    others: dict[str, Port] = {}
    references: list[tuple[str, str, str]] = []
    skipped = 0
    for path in paths:
        with path.open(encoding="latin-1", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) < 8:
                    skipped += int(any(cell.strip() for cell in row))
                    continue
                row = [*row, *[""] * (12 - len(row))]
                change, country, location, name = (c.strip() for c in row[:4])
                if change == "=":
                    old, _, current = name.partition("=")
                    if current.strip():
                        references.append((country.upper(), old.strip(), current.strip()))
                    continue
                if not location:  # a country header row: ".KOREA, DEMOCRATIC PEOPLE'S ..."
                    continue
                locode = normalize_locode(country + location)
                if locode is None or not name:
                    skipped += 1
                    continue
                plain = row[4].strip()
                coordinates = parse_unlocode_coordinates(row[10])
                port = Port(
                    locode=locode,
                    name=name,
                    alternate_names=(plain,) if plain and name_key(plain) != name_key(name) else (),
                    country=locode[:2],
                    subdivision=row[5].strip() or None,
                    lat=coordinates[0] if coordinates else None,
                    lon=coordinates[1] if coordinates else None,
                    sources=("unlocode",),
                )
                function = row[6].strip()
                target = seaports if function[:1] == "1" else others
                # An "X" row is due for removal: let a current row with the same code win.
                if locode in target and change.upper() == "X":
                    continue
                target[locode] = port
    return UnlocodeData(seaports, others, references, skipped)


def _apply_references(ports: dict[str, Port], references: list[tuple[str, str, str]]) -> None:
    """Add the old name of each "Old = Current" reference row to the port it points to, when
    exactly one port of that country carries the current name."""
    by_name: dict[tuple[str, str], list[str]] = {}
    for port in ports.values():
        for key, _ in _name_forms(port.name):
            by_name.setdefault((port.country, key), []).append(port.locode)
    for country, old, current in references:
        current_forms = _name_forms(current)
        for key, _ in current_forms:
            codes = by_name.get((country, key))
            if codes and len(set(codes)) == 1:
                port = ports[codes[0]]
                ports[port.locode] = _merge(port, replace(port, name=old, alternate_names=()))
                break


# --- NGA World Port Index -----------------------------------------------------------------------

WPI_REQUIRED = ("Main Port Name", "UN/LOCODE", "Latitude", "Longitude")


@dataclass(frozen=True, slots=True)
class WpiData:
    ports: dict[str, list[Port]]
    without_locode: int
    skipped: int


def read_wpi_csv(path: Path) -> WpiData:
    """Read the NGA World Port Index ("UpdatedPub150.csv"). Rows are kept by LOCODE; a row
    without one cannot be tied to a port identity and is only counted."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in WPI_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: not a World Port Index file, missing columns {missing}")
    ports: dict[str, list[Port]] = {}
    without_locode = skipped = 0
    for row in reader:
        name = (row.get("Main Port Name") or "").strip()
        code = normalize_locode(row.get("UN/LOCODE") or "")
        if not (row.get("UN/LOCODE") or "").strip():
            without_locode += 1
            continue
        if code is None or not name:
            skipped += 1
            continue
        alternates = tuple(
            a.strip() for a in (row.get("Alternate Port Name") or "").split(";") if a.strip()
        )
        lat, lon = _float(row.get("Latitude")), _float(row.get("Longitude"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
        port = Port(
            locode=code,
            name=name,
            alternate_names=alternates,
            # The LOCODE's prefix is ISO 3166 alpha-2 by definition; the WPI "Country Code"
            # column holds GENC names and is only used to check it.
            country=code[:2],
            lat=lat,
            lon=lon,
            sources=("wpi",),
            harbor_size=_harbor_size(row.get("Harbor Size")),
        )
        named = normalize_flag(row.get("Country Code") or "").code
        if named is not None and named != port.country:
            log.debug("WPI %s: LOCODE country %s, Country Code %s", code, port.country, named)
        ports.setdefault(code, []).append(port)
    return WpiData(ports, without_locode, skipped)


def _harbor_size(value: str | None) -> str | None:
    """WPI writes the size as "Very Small", "Small", "Medium", "Large" (older editions: "V",
    "S", "M", "L"); the first letter of the first word names it either way."""
    text = (value or "").strip().upper()
    return text[0] if text and text[0] in "VSML" else None


def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _distance_km(a: Port, b: Port) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return math.inf
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _pick_wpi_row(rows: list[Port], official: Port | None) -> Port:
    """Several WPI rows sometimes claim one LOCODE (WPI gives UA ILK both to Chornomorsk near
    Odesa and to Chornomorske in Crimea). Take the row nearest the UN/LOCODE position; the others
    are not merged, so one port's names cannot make another resolve to it."""
    if len(rows) == 1 or official is None or official.lat is None:
        return rows[0]
    return min(rows, key=lambda r: _distance_km(official, r))


# --- The project's own CSV ----------------------------------------------------------------------


def read_ports_csv(path: Path, source: str = "project") -> list[Port]:
    """Read the project's port table (see ports/README.md). A bad row raises ValueError naming
    the line: this table is curated by hand, so an error in it is a bug to fix, not to skip."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("locode", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    ports: list[Port] = []
    for row in reader:
        line = reader.line_num
        code = normalize_locode(row.get("locode") or "")
        name = (row.get("name") or "").strip()
        if code is None or not name:
            raise ValueError(f"{path}:{line}: need a LOCODE and a name, got {row!r}")
        country = (row.get("country") or "").strip().upper() or code[:2]
        if country != code[:2]:
            raise ValueError(f"{path}:{line}: country {country} but LOCODE {code}")
        lat, lon = _float(row.get("lat")), _float(row.get("lon"))
        if (lat is None) != (lon is None) or (
            lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
        ):
            raise ValueError(
                f"{path}:{line}: bad coordinates {row.get('lat')!r}, {row.get('lon')!r}"
            )
        alternates = tuple(
            a.strip() for a in (row.get("alternate_names") or "").split(";") if a.strip()
        )
        ports.append(
            Port(
                locode=code,
                name=name,
                alternate_names=alternates,
                country=country,
                subdivision=(row.get("subdivision") or "").strip() or None,
                lat=lat,
                lon=lon,
                sources=(source,),
            )
        )
    return ports


# --- Loading a folder ---------------------------------------------------------------------------


def _classify(path: Path) -> str | None:
    """ "unlocode", "wpi", "project" or None, by file name first and then by the first line."""
    name = path.name.lower()
    if "unlocode" in name and "codelistpart" in name:
        return "unlocode"
    if name == "updatedpub150.csv":
        return "wpi"
    if name == "ports.csv":
        return "project"
    try:
        with path.open(encoding="latin-1", newline="") as handle:
            first = next(csv.reader(handle), [])
    except (OSError, csv.Error):
        return None
    if "World Port Index Number" in first and "UN/LOCODE" in first:
        return "wpi"
    if first[:2] == ["locode", "name"]:
        return "project"
    if len(first) == 12 and re.fullmatch(r"[A-Z]{2}", first[1] or ""):
        return "unlocode"
    return None


def load_ports(folder: Path, *more: Path, bundled: bool = True) -> PortTable:
    """Load every port file found (recursively) in the folders into one table.

    Files are recognised by name or shape: UN/LOCODE `*UNLOCODE*CodeListPart*.csv`, the World
    Port Index `UpdatedPub150.csv`, and the project's `ports.csv`. UN/LOCODE seaports form the
    base; the WPI adds its alternate names and (more precise) coordinates, and adds the places
    it lists as ports that UN/LOCODE has but does not mark as seaports. The project's tables,
    and the bundled `ports/ports.csv` unless `bundled=False`, add names and fill gaps last: they
    carry names neither official file has (Rason, Vostochny) and ports without a UN/LOCODE.
    """
    files: dict[str, list[Path]] = {"unlocode": [], "wpi": [], "project": []}
    for root in (folder, *more):
        candidates = sorted(root.rglob("*.csv")) if root.is_dir() else [root]
        for path in candidates:
            kind = _classify(path)
            if kind is not None:
                files[kind].append(path.resolve())
    if bundled and BUNDLED_PORTS_CSV.exists():
        files["project"].append(BUNDLED_PORTS_CSV.resolve())
    files = {kind: list(dict.fromkeys(paths)) for kind, paths in files.items()}

    unlocode = read_unlocode_csv(files["unlocode"])
    ports: dict[str, Port] = dict(unlocode.seaports)
    _apply_references(ports, unlocode.references)

    for path in files["wpi"]:
        wpi = read_wpi_csv(path)
        for code, rows in wpi.ports.items():
            official = ports.get(code) or unlocode.others.get(code)
            row = _pick_wpi_row(rows, official)
            base = official if official is not None else row
            ports[code] = (
                _merge(base, row, prefer_extra_coordinates=True) if base is not row else row
            )

    for path in files["project"]:
        source = "bundled" if path == BUNDLED_PORTS_CSV.resolve() else "project"
        for port in read_ports_csv(path, source):
            existing = ports.get(port.locode)
            ports[port.locode] = port if existing is None else _merge(existing, port)

    table = PortTable(ports.values(), loaded_from=[str(p) for ps in files.values() for p in ps])
    log.info(
        "ports: %d from %d files (UN/LOCODE rows skipped: %d)",
        len(table),
        len(table.loaded_from),
        unlocode.skipped,
    )
    return table


def load_bundled_ports() -> PortTable:
    """The bundled table alone (ports/ports.csv)."""
    return PortTable(read_ports_csv(BUNDLED_PORTS_CSV, "bundled"), [str(BUNDLED_PORTS_CSV)])
