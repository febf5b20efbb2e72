"""Vessel-name normalisation: one comparable form for a name written any way.

`MAIA-1`, `m/v Maia 1`, `MAIA I` and `МАЙЯ-1` must meet; `OCEAN STAR 7` and `OCEAN STAR 8` must
not. The matcher compares `NormalizedName`s only, so listed names and queries go through exactly
the same steps.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from anyascii import anyascii

from service.scripts import as_arabic_reads, is_arabic, script_readings

# Hull-type prefixes that are not part of a ship's name, as tokens after punctuation is removed
# ("M/V" and "M.V." both become "M V"). SV and MY are left alone: they begin real listed names
# ("SV KONSTANTIN"), and a query without them still meets such a name through the fuzzy score.
_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("M", "V"),
    ("M", "T"),
    ("M", "S"),
    ("F", "V"),
    ("S", "S"),
    ("R", "V"),
    ("T", "B"),
    ("MV",),
    ("MT",),
    ("MS",),
    ("SS",),
    ("FV",),
    ("RV",),
    ("MSV",),
    ("THE",),
)

# Numbering words that stand before a hull number ("SAM MA NO. 2" is "SAM MA 2").
_NUMBER_WORDS = frozenset({"NO", "NR", "NUM", "NUMBER", "N"})

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# A hull number written in roman numerals is small; bigger "numerals" are words (LI, DI, MIX).
_MAX_ROMAN = 39

_SPLIT_ALNUM = re.compile(r"(?<=[A-Z])(?=[0-9])|(?<=[0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_VOWELS = re.compile(r"[AEIOUY]")
_REPEATS = re.compile(r"(.)\1+")
_LETTER_REPEATS = re.compile(r"([A-Z])\1+")

# Transliterations and spellings disagree on how sounds are written (Cyrillic Х as KH or H, Щ as
# SHCH or SCH, Я as YA or IA; CAPTAIN and KAPITAN); these fold the disagreements into one
# spelling. One left-to-right pass, so a folded letter is never folded again.
_FOLDS = {
    "SHCH": "SH",
    "SCH": "SH",
    "TCH": "CH",
    "KH": "H",
    "PH": "F",
    "CK": "K",
    "CH": "CH",
    "SH": "SH",
    "ZH": "J",
    "Q": "K",
    "C": "K",
    "W": "V",
    "X": "KS",
    "Y": "I",
}
_FOLD = re.compile("|".join(sorted(_FOLDS, key=len, reverse=True)))


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A name reduced to comparable forms.

    text: upper-case Latin tokens joined by single spaces, prefixes gone, numerals as digits.
    key: `text` with spellings folded (Y as I, KH as H, doubled letters single ...), so that
        MARIYA meets MARIA and MAYYA meets MAIA; the matcher compares keys.
    compact: `key` without spaces, so "HWANG GUM SAN" meets "HWANGGUMSAN".
    ordered: the key's words sorted, so word order does not matter.
    numbers: the hull numbers in the name, which must agree for two names to be one ship.
    sound: the key without vowels, for names that came from another script (LEDI R, LADY R).
    non_latin: the original was written (at least partly) in another script.
    arabic: for a name read from Arabic letters, the reading as it would be written in them
        (`scripts.as_arabic_reads`), since Arabic does not tell E from I nor O from U; else "".
    """

    text: str
    key: str
    compact: str
    ordered: str
    numbers: tuple[str, ...]
    sound: str
    non_latin: bool
    arabic: str = ""

    @property
    def sound_is_distinctive(self) -> bool:
        """A vowel-less key of two letters or fewer would meet too many unrelated names."""
        return sum(ch.isalpha() for ch in self.sound) >= 3


def _is_roman(token: str) -> bool:
    return bool(token) and all(ch in _ROMAN_VALUES for ch in token)


def roman_to_int(token: str) -> int | None:
    """The value of a well-formed roman numeral up to XXXIX, else None."""
    if not _is_roman(token):
        return None
    total = 0
    previous = 0
    for ch in reversed(token):
        value = _ROMAN_VALUES[ch]
        if value < previous:
            total -= value
        else:
            total += value
            previous = value
    if not 1 <= total <= _MAX_ROMAN or _int_to_roman(total) != token:
        return None
    return total


def _int_to_roman(value: int) -> str:
    out = []
    for numeral, amount in (("XL", 40), ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1)):
        while value >= amount:
            out.append(numeral)
            value -= amount
    return "".join(out)


def _has_non_latin(text: str) -> bool:
    for ch in text:
        if ord(ch) < 0x250:
            continue
        if unicodedata.category(ch).startswith("L"):
            return True
    return False


# The first code point whose Unicode name begins CJK or HANGUL (the Hangul Jamo): a text with
# nothing from here on has no syllable to space.
FIRST_SPACED = "\u1100"


def transliterate(text: str) -> str:
    """Any script to Latin ASCII.

    Han and Hangul syllables are transliterated one by one and spaced, because lists write
    Chinese and Korean ship names syllable by syllable ("FU YUAN YU", "HWANG GUM SAN").
    """
    if text.isascii():  # most listed names: nothing to do, and NFKC leaves ASCII as it is
        return text
    text = unicodedata.normalize("NFKC", text)
    if max(text, default="") < FIRST_SPACED:  # no syllable to space: one call for the whole text
        return anyascii(text)
    parts: list[str] = []
    for ch in text:
        if ord(ch) < 0x80:
            parts.append(ch)
            continue
        name = unicodedata.name(ch, "")
        latin = anyascii(ch)
        if name.startswith(("CJK", "HANGUL")):
            parts.append(f" {latin} ")
        else:
            parts.append(latin)
    return "".join(parts)


def _strip_prefixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for prefix in _PREFIXES:
            n = len(prefix)
            if len(tokens) > n and tuple(tokens[:n]) == prefix:
                tokens = tokens[n:]
                changed = True
                break
    return tokens


def _numerals_to_digits(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token in _NUMBER_WORDS and i + 1 < len(tokens) and tokens[i + 1].isdigit() and out:
            continue  # "NO 2" -> "2"
        if token.isdigit():
            out.append(str(int(token)))  # "07" and "7" are one hull number
            continue
        # Only a last word after the name proper is a hull numeral: "ARK III" but not "LI MING".
        value = roman_to_int(token) if i == len(tokens) - 1 and i > 0 else None
        out.append(str(value) if value is not None else token)
    return out


def fold_spelling(text: str) -> str:
    """Fold the letters that transliterations and spellings disagree on into one."""
    # Folds and repeats are letters only, so hull numbers (77) are left as they are, and one
    # pass over the whole text does what a pass per word would.
    return _LETTER_REPEATS.sub(_first_group, _FOLD.sub(_folded, " ".join(text.split())))


# A repeated letter as its first: a C call per match, where the template r"\1" is expanded by
# Python code per match (a tenth of normalising a million company names).
_first_group = operator.methodcaller("group", 1)


def _folded(m: re.Match[str]) -> str:
    return _FOLDS[m.group()]


# Scripts without the sounds write their nearest letter: Arabic has no P or V (ب, ف), Greek
# writes B with a V (Β) or MP; in the sound key each pair is one consonant.
_SOUND_FOLDS = str.maketrans("FP", "VB")


def _compact(key: str) -> str:
    """The key without spaces; a letter that ends one word and begins the next is written
    once (SEA AIR, SEAAIR), unless the next word is that letter alone (EMMA A is not EMMA)."""
    out = ""
    for word in key.split():
        out += word[1:] if len(word) > 1 and out and out[-1] == word[0] else word
    return out


def sound_key(key: str) -> str:
    """A folded key without the vowels after each word's first letter, F and V as one, P and
    B as one."""
    return " ".join(
        w
        if w.isdigit()
        else _REPEATS.sub(
            _first_group,
            w[0] + _VOWELS.sub("", w[1:]).translate(_SOUND_FOLDS),
        )
        for w in key.split()
    )


@lru_cache(maxsize=65536)
def normalize_name(raw: str) -> NormalizedName:
    """Normalise a vessel name, from any script and in any style, into comparable forms."""
    non_latin = _has_non_latin(raw)
    latin = transliterate(raw).upper().replace("&", " AND ")
    latin = latin.replace("'", "").replace("`", "")  # O'HARA, not O HARA
    latin = _SPLIT_ALNUM.sub(" ", _NON_ALNUM.sub(" ", latin))
    tokens = _numerals_to_digits(_strip_prefixes(latin.split()))
    text = " ".join(tokens)
    key = fold_spelling(text)
    return NormalizedName(
        text=text,
        key=key,
        compact=_compact(key),
        ordered=" ".join(sorted(key.split())),
        numbers=tuple(sorted(t for t in tokens if t.isdigit())),
        sound=sound_key(key),
        non_latin=non_latin,
    )


@lru_cache(maxsize=65536)
def name_readings(raw: str) -> tuple[NormalizedName, ...]:
    """`normalize_name(raw)` first, then the other ways the name can be read, each compared
    by the matcher as the caller's name:

    - a name in another script, by each standard romanisation of its script (`scripts`);
    - a Latin name whose last word ends in a roman numeral written onto it (DIAMONDII,
      ARKIII), also as the word and its hull number (DIAMOND 2, ARK 3).
    """
    first = normalize_name(raw)
    readings = script_readings(raw)
    # Every reading of a name in Arabic letters carries its spelling in them as the standard
    # reading gives it (anyascii's drops ا); the two standard readings give the same.
    arabic = as_arabic_reads(normalize_name(readings[0]).text) if is_arabic(raw) else ""
    if arabic:
        first = replace(first, arabic=arabic)
    found = {first.key: first}
    for reading in readings:
        norm = replace(normalize_name(reading), non_latin=True, arabic=arabic)
        if norm.key:
            found.setdefault(norm.key, norm)
    for glued in () if first.non_latin else _roman_unglued(first):
        found.setdefault(glued.key, glued)
    return tuple(found.values())


def _roman_unglued(norm: NormalizedName) -> list[NormalizedName]:
    """The name with a roman numeral ending its last word read as a hull number: the longest
    numeral that leaves at least three letters of the word (ARKIII is ARK 3), and in a name of
    several words also one that leaves two (SAM MAII is SAM MA 2 as well as SAM MAI 1), but
    not a lone I, which ends syllables that lists write as words (HAI, TAI, MAI)."""
    words = norm.text.split()
    if not words or norm.numbers or not words[-1].isalpha():
        return []
    last = words[-1]
    cuts = [next((c for c in range(3, len(last)) if roman_to_int(last[c:])), None)]
    if len(words) > 1 and last[2:] != "I" and roman_to_int(last[2:]):
        cuts.append(2)
    return [
        normalize_name(" ".join([*words[:-1], last[:cut], last[cut:]]))
        for cut in cuts
        if cut is not None
    ]


# Legal forms say what kind of company it is, not which: "TRANSMORFLOT LLC" and
# "OOO TRANSMORFLOT" are one owner. Multi-word forms are matched first.
_LEGAL_FORMS = (
    "LIMITED LIABILITY COMPANY",
    "JOINT STOCK COMPANY",
    "PUBLIC JOINT STOCK COMPANY",
    "CLOSED JOINT STOCK COMPANY",
    "OPEN JOINT STOCK COMPANY",
    "PRIVATE LIMITED",
    "COMPANY LIMITED",
    "CO LTD",
    "SDN BHD",
    "PTE LTD",
    "S DE RL",
    "SA DE CV",
    "LLC",
    "LTD",
    "LIMITED",
    "INC",
    "INCORPORATED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "OOO",
    "OAO",
    "ZAO",
    "PAO",
    "AO",
    "JSC",
    "OJSC",
    "CJSC",
    "PJSC",
    "SA",
    "SAS",
    "SRL",
    "SPA",
    "GMBH",
    "AG",
    "BV",
    "NV",
    "PLC",
    "LLP",
    "LP",
    "PTE",
    "FZE",
    "FZCO",
    "FZC",
    "DMCC",
    "EST",
    "TOO",
    "KFT",
    "AS",
    "AB",
    "OY",
    "SL",
    "LDA",
)
_LEGAL_FORM = re.compile(
    r"\b(?:" + "|".join(re.escape(f) for f in sorted(_LEGAL_FORMS, key=len, reverse=True)) + r")\b"
)


@lru_cache(maxsize=65536)
def normalize_company(raw: str) -> str:
    """A company name in a comparable form: Latin capitals, no punctuation, no legal form."""
    latin = transliterate(raw).upper().replace("&", " AND ")
    latin = _NON_ALNUM.sub(" ", latin.replace("'", ""))
    words = _LEGAL_FORM.sub(" ", latin).split()
    return fold_spelling(" ".join(words)) if words else fold_spelling(latin.strip())
