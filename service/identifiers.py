"""Vessel identifiers as callers and sanctions lists write them: IMO numbers, MMSIs (and the flag
state their MID implies), call signs and flags.

Everything here runs per request, so the lookup tables (ITU MIDs from `data/mid.csv`, flag names
from pycountry) are built once, on first use, and cached; no call scans pycountry.
"""

from __future__ import annotations

import csv
import gettext
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pycountry

__all__ = [
    "FlagResult",
    "Imo",
    "flag_name",
    "is_valid_imo",
    "mid_country",
    "mmsi_is_wellformed",
    "normalize_call_sign",
    "normalize_flag",
    "normalize_mmsi",
    "parse_imo",
]


# --- IMO numbers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Imo:
    """An IMO number as given, and what could be made of it.

    `digits` is set whenever the input has the shape of an IMO number (seven digits, optionally
    after an "IMO" label), even if the check digit fails, so that a typo can still be reported
    and compared; `valid` says whether the check digit holds.
    """

    raw: str
    digits: str | None
    valid: bool


# Lists write "IMO 9161003", "IMO: 9161003", "IMO No. 9161003", "IMO number 9161003", and OFAC
# remarks end a sentence with one ("IMO 9161003."). [0-9], not \d: \d also matches non-ASCII
# digits, which int() would accept but no register issues.
_IMO_RE = re.compile(
    r"(?:imo(?:\s*(?:no|nr|number|#))?)?[\s.:#-]*([0-9]+)\.?",
    re.IGNORECASE,
)
_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)


def is_valid_imo(digits: str) -> bool:
    """True when `digits` is seven ASCII digits whose check digit holds.

    "0000000" passes the arithmetic but is the placeholder data sources use for "no IMO number";
    calling it valid would make every such record match every other, so it is rejected.
    """
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit() or digits == "0000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits, _IMO_WEIGHTS, strict=False))
    return total % 10 == int(digits[6])


def parse_imo(value: str | int | None) -> Imo | None:
    """Parse an IMO number; None only when nothing was given.

    Anything else comes back as an `Imo`, so a malformed number is reported (`valid=False`,
    `digits=None`) rather than silently dropped.
    """
    if value is None:
        return None
    # bool is an int subclass (True is not IMO 0000001); a negative int is no number at all,
    # though its text would pass for "IMO-9161003" without the label.
    if isinstance(value, bool) or (isinstance(value, int) and value < 0):
        return Imo(str(value), None, False)
    raw = str(value)
    text = raw.strip()
    if not text:
        return None
    match = _IMO_RE.fullmatch(text)
    if match is None or len(match.group(1)) != 7:
        return Imo(raw, None, False)
    digits = match.group(1)
    return Imo(raw, digits, is_valid_imo(digits))


# --- MMSIs and MIDs ----------------------------------------------------------------------------

_MMSI_PREFIX_RE = re.compile(r"mmsi(?:\s*(?:no|nr|number|#))?[\s.:#-]*", re.IGNORECASE)
_NINE_DIGITS_RE = re.compile(r"[0-9]{9}")
_WHITESPACE_RE = re.compile(r"\s+")


def normalize_mmsi(value: str | int | None) -> str | None:
    """The MMSI as exactly nine digits, or None when the value is not one.

    Spaces and an "MMSI" label are dropped. An int of seven or eight digits is zero-padded,
    because that is what JSON numbers and spreadsheets make of coast-station (00MID...) and
    group (0MID...) MMSIs; shorter ints are not MMSIs of any kind.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            return None
        text = str(value)
        return text.zfill(9) if 7 <= len(text) <= 9 else None
    text = _WHITESPACE_RE.sub("", _MMSI_PREFIX_RE.sub("", value.strip(), count=1))
    return text if _NINE_DIGITS_RE.fullmatch(text) else None


def mmsi_is_wellformed(value: str | int | None) -> bool:
    """True when `normalize_mmsi` can make nine digits of the value."""
    return normalize_mmsi(value) is not None


@cache
def _mid_table() -> dict[str, str]:
    """MID -> ISO alpha-2, from the ITU allocation in data/mid.csv."""
    text = resources.files("service").joinpath("data", "mid.csv").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        mid, alpha2 = row["mid"].strip(), row["alpha2"].strip().upper()
        # A bad row would silently mis-flag every ship under that MID: fail loudly instead.
        if not re.fullmatch(r"[2-7][0-9]{2}", mid) or mid in table:
            raise ValueError(f"mid.csv: bad or repeated MID {mid!r}")
        if pycountry.countries.get(alpha_2=alpha2) is None:
            raise ValueError(f"mid.csv: MID {mid} has unknown country code {alpha2!r}")
        table[mid] = alpha2
    return table


def _mid_digits(mmsi: str) -> str | None:
    """Where the MID sits in a nine-digit MMSI (ITU-R M.585), or None if this kind has none."""
    first = mmsi[0]
    if first in "234567":  # ship station
        return mmsi[:3]
    if mmsi.startswith("00"):  # coast station
        return mmsi[2:5]
    if first == "0":  # group of ships
        return mmsi[1:4]
    if mmsi.startswith("111"):  # SAR aircraft
        return mmsi[3:6]
    if mmsi.startswith(("98", "99")):  # craft with a parent ship; aids to navigation
        return mmsi[2:5]
    if first == "8":  # handheld VHF
        return mmsi[1:4]
    # 970/972/974 (SART, MOB, EPIRB-AIS) carry a manufacturer id, not a MID.
    return None


def mid_country(mmsi: str | int | None) -> str | None:
    """ISO alpha-2 of the flag state the MMSI's Maritime Identification Digits were allocated to.

    None when the value is not an MMSI, its kind carries no MID, or the MID is unallocated.
    MID 306 is shared by Curaçao, Sint Maarten and Bonaire/Sint Eustatius/Saba; it maps to CW.
    """
    digits = normalize_mmsi(mmsi)
    if digits is None:
        return None
    mid = _mid_digits(digits)
    return None if mid is None else _mid_table().get(mid)


# --- Call signs --------------------------------------------------------------------------------

_CALL_SIGN_DROP_RE = re.compile(r"[\s-]+")


def normalize_call_sign(value: str | None) -> str | None:
    """Upper-case call sign without spaces or hyphens ("d5 ab-7" -> "D5AB7"); None if empty."""
    if value is None:
        return None
    text = _CALL_SIGN_DROP_RE.sub("", str(value)).upper()
    return text or None


# --- Flags -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlagResult:
    """A flag as given and the ISO 3166-1 alpha-2 code it names.

    `known` is False only when a value was given and not recognised ("Atlantis", "Unknown",
    "None Identified"): that is reported to the caller, not treated as an error. An absent
    value (None, empty, whitespace) is `FlagResult(None, None, True)`: nothing to report.
    """

    raw: str | None
    code: str | None
    known: bool


# Names people and lists use that pycountry does not carry (or carries only in another order).
_FLAG_ALIASES: dict[str, tuple[str, ...]] = {
    "AE": ("UAE", "U.A.E."),
    "BN": ("Brunei",),
    "CD": ("DR Congo", "DRC", "Congo-Kinshasa", "Zaire", "Democratic Republic of Congo"),
    "CG": ("Congo-Brazzaville", "Republic of Congo"),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "FK": ("Falklands",),
    "GB": ("UK", "U.K.", "Great Britain", "Britain"),
    "KN": ("Saint Christopher and Nevis",),
    "KP": (
        "North Korea",
        "DPRK",
        "DPR Korea",
        "Korea DPR",
        "Korea, North",
        "Democratic People's Republic of Korea",
    ),
    "KR": ("South Korea", "Korea, South", "Republic of Korea"),
    "LA": ("Lao PDR", "Lao"),
    "MK": ("Macedonia", "Former Yugoslav Republic of Macedonia"),
    "MM": ("Burma",),
    "MO": ("Macau",),
    "NL": ("Holland",),
    "PN": ("Pitcairn Islands", "Pitcairn Island"),
    "PS": ("Occupied Palestinian Territory",),
    "RU": ("Russia",),
    "SZ": ("Swaziland",),
    "TF": ("French Southern and Antarctic Lands", "TAAF", "Kerguelen", "Kerguelen Islands"),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
    "US": ("U.S.A.", "U.S.", "United States of America"),
    "VA": ("Vatican", "Vatican City", "Vatican City State"),
    "VC": ("Saint Vincent",),
    "VG": ("BVI",),
    "VI": ("US Virgin Islands", "United States Virgin Islands"),
    "WF": ("Wallis and Futuna Islands",),
}

# pycountry's names where they are not what a reader expects to see in a report.
_FLAG_DISPLAY_NAMES: dict[str, str] = {
    "BN": "Brunei",
    "CD": "DR Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "KP": "North Korea",
    "KR": "South Korea",
    "MF": "Saint Martin",
    "PS": "Palestine",
    "RU": "Russia",
    "SX": "Sint Maarten",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
}

# Apostrophes and full stops vanish ("Côte d'Ivoire" == "Cote dIvoire", "U.S.A." == "USA");
# any other non-alphanumeric run separates words.
_FOLD_DELETE_RE = re.compile(r"['’‘`´.]")
_FOLD_SPLIT_RE = re.compile(r"[^0-9a-z]+")
_ANY_SCRIPT_SPLIT_RE = re.compile(r"[\W_]+")
_PAREN_RE = re.compile(r"\(([^()]*)\)")


def _fold(text: str) -> str:
    """Comparison key: no accents, case or punctuation; "St" spelled out; no leading "the"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _FOLD_DELETE_RE.sub("", text.casefold().replace("&", " and "))
    words = _FOLD_SPLIT_RE.sub(" ", text).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join("saint" if w == "st" else w for w in words)


def _reordered(name: str) -> Iterator[str]:
    """Other orders of a name: "Korea, Republic of" and "Korea (Republic of)" also as
    "Republic of Korea"; "Panama (Republic of)" also as "Panama"; "Iran, Islamic Rep." as "Iran".
    """
    inner = _PAREN_RE.search(name)
    if inner is not None:
        outer = _PAREN_RE.sub(" ", name)
        if _fold(inner.group(1)).split()[-1:] in (["of"], ["the"]):
            yield f"{inner.group(1)} {outer}"
        yield outer
    if "," in name:
        head, tail = name.split(",", 1)
        yield f"{tail} {head}"
        yield head


@cache
def _flag_index() -> dict[str, str]:
    """Folded name or code -> alpha-2."""
    index: dict[str, str] = {}
    derived: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [
            n
            for n in (
                country.name,
                getattr(country, "official_name", None),
                getattr(country, "common_name", None),
            )
            if n
        ]
        for key in (code, country.alpha_3, *names):
            index.setdefault(_fold(key), code)
        for name in names:
            for variant in _reordered(name):
                derived.setdefault(_fold(variant), set()).add(code)
    # A derived form that two countries share ("Korea", "Virgin Islands") names neither.
    for key, codes in derived.items():
        if key and len(codes) == 1:
            index.setdefault(key, next(iter(codes)))
    for code, aliases in _FLAG_ALIASES.items():
        for alias in aliases:
            index[_fold(alias)] = code
    return index


# Languages whose registries, crews and agents write flags in their own words: the scripts the
# matcher reads names in, and the languages of the large flag and port states.
FLAG_NAME_LOCALES = (
    "ru", "uk", "be", "bg", "sr", "kk", "zh", "zh_Hant", "ko", "ja", "ar", "fa", "he", "el",
    "tr", "es", "fr", "de", "pt", "it", "nl", "pl", "ro", "vi", "id", "ms", "th", "hi", "ka",
)  # fmt: skip


@cache
def _foreign_flag_index() -> dict[str, str]:
    """Folded country name in another language -> alpha-2, from the Unicode CLDR names Babel
    ships (their short forms: "Россия", "북한", "Panamá"). A name two countries share in
    different languages names neither."""
    from babel import Locale

    iso = {c.alpha_2 for c in pycountry.countries}
    found: dict[str, set[str]] = {}
    for tag in FLAG_NAME_LOCALES:
        for code, name in Locale.parse(tag).territories.items():
            if code in iso:
                found.setdefault(_fold_any_script(name), set()).add(code)
        # The ISO names in the same language, from pycountry's translations: the long forms
        # registries print ("Российская Федерация").
        try:
            iso_names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [tag])
        except OSError:
            continue
        for country in pycountry.countries:
            for english in (country.name, getattr(country, "official_name", None)):
                if english:
                    translated = iso_names.gettext(english)
                    found.setdefault(_fold_any_script(translated), set()).add(country.alpha_2)
    return {key: next(iter(codes)) for key, codes in found.items() if key and len(codes) == 1}


def _fold_any_script(text: str) -> str:
    """Like `_fold`, for any script: letters of every script kept, case, marks and
    punctuation gone."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_ANY_SCRIPT_SPLIT_RE.split(_FOLD_DELETE_RE.sub("", text))).strip()


@lru_cache(maxsize=4096)
def _flag_code(text: str) -> str | None:
    index = _flag_index()
    code = index.get(_fold(text))
    if code is not None:
        return code
    # Registry and ITU styles: "Panama (Republic of)", "Korea (Republic of)", "Iran, Islamic Rep."
    for variant in _reordered(text):
        code = index.get(_fold(variant))
        if code is not None:
            return code
    return _foreign_flag_index().get(_fold_any_script(text))


def warm() -> None:
    """Build the flag tables now (before gunicorn forks, so every worker shares them)."""
    _flag_index()
    _foreign_flag_index()


def normalize_flag(value: str | None) -> FlagResult:
    """Recognise a flag given as ISO alpha-2 or alpha-3 code or a country name, in English or
    in one of `FLAG_NAME_LOCALES` ("Россия", "Panamá").

    Names are compared without case, accents or punctuation, "St" equals "Saint" and a leading
    "The" is ignored, so "St. Kitts & Nevis" and "Saint Kitts and Nevis" are the same flag. See
    `FlagResult` for what `known` means.
    """
    if value is None:
        return FlagResult(None, None, True)
    text = str(value)
    if not text.strip():
        return FlagResult(None, None, True)
    code = _flag_code(text)
    return FlagResult(value, code, code is not None)


@cache
def _flag_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        # common_name is pycountry's short form where the ISO name is long ("Iran", "Syria").
        names[country.alpha_2] = getattr(country, "common_name", None) or country.name
    names.update(_FLAG_DISPLAY_NAMES)
    return names


def flag_name(code: str) -> str:
    """Short English name for an alpha-2 code ("RU" -> "Russia"); the code itself if unknown."""
    return _flag_names().get(code.upper(), code)
