"""A port and what it is called: the `Port` record, its UN/LOCODE in any accepted spelling, the
keys its names compare by, and merging two records of one port.

A port is identified by its UN/LOCODE written without the space ("KPRJN"); `normalize_locode`
takes "KP RJN", "kp-rjn" or "KPRJN". Names compare without case, accents or punctuation
(`name_key`), and common transliteration variants of Russian and Ukrainian names (Vostochny /
Vostochnyy, Feodosia / Feodosiya / Feodosiia) meet under `loose_key`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from anyascii import anyascii


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
PAREN_RE = re.compile(r"\(([^()]*)\)")
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


def strip_generic(key: str) -> str:
    stripped = _GENERIC_HEAD_RE.sub("", _GENERIC_TAIL_RE.sub("", key))
    return stripped or key


def loose_key(key: str) -> str:
    """Transliteration-tolerant key: y and i are one letter, doubled letters single, and a
    word-initial "ie" is "e" -- so Vostochny/Vostochnyy, Feodosia/Feodosiya/Feodosiia,
    Yevpatoria/Yevpatoriya/Evpatoria and Berdyansk/Berdiansk meet."""
    loose = _DOUBLE_RE.sub(r"\1", key.replace("y", "i"))
    return " ".join(w[1:] if w.startswith("ie") else w for w in loose.split())


def name_forms(name: str) -> list[tuple[str, bool]]:
    """Keys a name is found under, each with whether it is the name as written (True) or a
    derived part of it: "Rajin (Najin)" is also "Rajin" and "Najin"; "Mumbai (ex Bombay)" also
    "Bombay"; "Vostochnyy Port" also "Vostochnyy"."""
    forms: list[tuple[str, bool]] = []
    full = name_key(name)
    if full:
        forms.append((full, True))
    parts: list[str] = []
    if "(" in name:
        parts.append(PAREN_RE.sub(" ", name))
        for inner in PAREN_RE.findall(name):
            parts.append(re.sub(r"^\s*(?:ex|formerly|former)\.?\s+", "", inner, flags=re.I))
    for part in parts:
        key = name_key(part)
        if key:
            forms.append((key, False))
    for key, _ in list(forms):
        stripped = strip_generic(key)
        if stripped != key:
            forms.append((stripped, False))
    seen: dict[str, bool] = {}
    for key, exact in forms:
        seen[key] = seen.get(key, False) or exact
    return list(seen.items())


# --- Merging ------------------------------------------------------------------------------------


def merge_ports(base: Port, extra: Port, *, prefer_extra_coordinates: bool = False) -> Port:
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
