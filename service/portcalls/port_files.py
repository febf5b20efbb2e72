"""Reading port files: UNECE UN/LOCODE code lists, the NGA World Port Index and the project's own
CSV (ports/README.md), and telling which of them a file is.

Each reader gives `Port` records as its file has them; `ports.load_ports` decides how they
combine into one table.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from service.identifiers import normalize_flag
from service.portcalls.port_names import Port, merge_ports, name_forms, name_key, normalize_locode

log = logging.getLogger(__name__)

# The project's own table: one port a row. alternate_names are ";"-separated.
PORTS_CSV_FIELDS = ("locode", "name", "alternate_names", "country", "subdivision", "lat", "lon")


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


def apply_references(ports: dict[str, Port], references: list[tuple[str, str, str]]) -> None:
    """Add the old name of each "Old = Current" reference row to the port it points to, when
    exactly one port of that country carries the current name."""
    by_name: dict[tuple[str, str], list[str]] = {}
    for port in ports.values():
        for key, _ in name_forms(port.name):
            by_name.setdefault((port.country, key), []).append(port.locode)
    for country, old, current in references:
        current_forms = name_forms(current)
        for key, _ in current_forms:
            codes = by_name.get((country, key))
            if codes and len(set(codes)) == 1:
                port = ports[codes[0]]
                ports[port.locode] = merge_ports(port, replace(port, name=old, alternate_names=()))
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


def pick_wpi_row(rows: list[Port], official: Port | None) -> Port:
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


# --- Which file is which ------------------------------------------------------------------------


def classify(path: Path) -> str | None:
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
