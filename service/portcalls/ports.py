"""The port table: ports by UN/LOCODE, loaded from the official code lists, the NGA World Port
Index and the project's own small CSV, and resolved from whatever a caller wrote.

Inputs may write a LOCODE "KP RJN", "kp-rjn" or "KPRJN", or give a name: names compare without
case, accents or punctuation, and common transliteration variants meet (`port_names`).

Resolution of a *name* is deliberately conservative because it feeds sanctions flags: when a name
matches ports in more than one country, `resolve` returns None unless a country hint settles it
(the caller reports the port as unresolved). Within one country, the port whose main name it is
wins over ports that only list it as an alternate; after that, the port more sources agree on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from service.identifiers import normalize_flag
from service.portcalls.port_files import (
    apply_references,
    classify,
    pick_wpi_row,
    read_ports_csv,
    read_unlocode_csv,
    read_wpi_csv,
)
from service.portcalls.port_names import (
    PAREN_RE,
    Port,
    loose_key,
    merge_ports,
    name_forms,
    name_key,
    normalize_locode,
    strip_generic,
)
from service.settings import REPO_ROOT

__all__ = [
    "BUNDLED_PORTS_CSV",
    "Port",
    "PortTable",
    "load_bundled_ports",
    "load_ports",
]

log = logging.getLogger(__name__)

BUNDLED_PORTS_CSV = REPO_ROOT / "ports" / "ports.csv"


# --- The table ----------------------------------------------------------------------------------


class PortTable:
    """Ports by LOCODE, and an index of their names for `resolve`. Built once; read-only after."""

    def __init__(self, ports: Iterable[Port], loaded_from: Iterable[str] = ()) -> None:
        self._ports: dict[str, Port] = {}
        for port in ports:
            previous = self._ports.get(port.locode)
            self._ports[port.locode] = port if previous is None else merge_ports(previous, port)
        self.loaded_from: tuple[str, ...] = tuple(loaded_from)
        # key -> {locode: rank}; rank 0 = the main name as written, 1 = part of the main name,
        # 2 = an alternate name as written, 3 = part of an alternate name.
        self._exact: dict[str, dict[str, int]] = {}
        self._loose: dict[str, dict[str, int]] = {}
        for port in self._ports.values():
            for position, name in enumerate(port.all_names):
                for key, as_written in name_forms(name):
                    rank = (0 if position == 0 else 2) + (0 if as_written else 1)
                    _put(self._exact, key, port.locode, rank)
                    _put(self._loose, loose_key(key), port.locode, rank)

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
            parts = [PAREN_RE.sub(" ", text), *PAREN_RE.findall(text)]
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
            parts = [PAREN_RE.sub(" ", text), *PAREN_RE.findall(text)]
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
        keys = dict.fromkeys((key, strip_generic(key)))
        for index, transform in ((self._exact, _same), (self._loose, loose_key)):
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


# --- Loading a folder ---------------------------------------------------------------------------


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
            kind = classify(path)
            if kind is not None:
                files[kind].append(path.resolve())
    if bundled and BUNDLED_PORTS_CSV.exists():
        files["project"].append(BUNDLED_PORTS_CSV.resolve())
    files = {kind: list(dict.fromkeys(paths)) for kind, paths in files.items()}

    unlocode = read_unlocode_csv(files["unlocode"])
    ports: dict[str, Port] = dict(unlocode.seaports)
    apply_references(ports, unlocode.references)

    for path in files["wpi"]:
        wpi = read_wpi_csv(path)
        for code, rows in wpi.ports.items():
            official = ports.get(code) or unlocode.others.get(code)
            row = pick_wpi_row(rows, official)
            base = official if official is not None else row
            ports[code] = (
                merge_ports(base, row, prefer_extra_coordinates=True) if base is not row else row
            )

    for path in files["project"]:
        source = "bundled" if path == BUNDLED_PORTS_CSV.resolve() else "project"
        for port in read_ports_csv(path, source):
            existing = ports.get(port.locode)
            ports[port.locode] = port if existing is None else merge_ports(existing, port)

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
