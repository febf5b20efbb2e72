"""Latin readings of a name written in another script, by that script's standard romanisations.

A listed ship's name was romanised once, by whoever wrote the list, in whichever scheme they
knew; a caller who sends the name in its own script cannot know which. So a name in Cyrillic,
Greek, Arabic or Hangul is read every way its script is commonly romanised, and the matcher
compares each reading (`names.name_readings`):

- Cyrillic: ISO 9 (GOST 7.79 System A), GOST 7.79 System B, BGN/PCGN and ICAO Doc 9303 (the
  passport scheme Russian registries use), by `iuliia`, which implements each as published;
  and ICAO's as Russian writes a foreign name, ДЖ for J and Ё for YO.
- Greek: ELOT 743 (ISO 843), and the reading of the letters with which Greek writes the
  sounds of foreign names that its alphabet lacks (ΜΠ for B, ΝΤ for D, ΓΚ for G, ΟΥ for U, Χ
  for H).
- Arabic and Persian: the consonants of BGN/PCGN with the long vowels written (ا A, ي I,
  و U), and as Arabic writes a foreign name: غ read as G as well as GH, تش as CH.
- Hangul: the DPRK's romanisation (after McCune-Reischauer: ㅓ O, ㅡ U, ㅂ P or B as voiced, ㅌ
  TH), as North Korean ships are listed, beside the Revised Romanisation that `anyascii` gives
  and that with McCune-Reischauer's vowels.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import iuliia
from anyascii import anyascii

_CYRILLIC_SCHEMES = tuple(
    iuliia.schemas.get(name) for name in ("gost_779", "gost_779_alt", "bgn_pcgn", "icao_doc_9303")
)

# ELOT 743 (ISO 843): digraphs first (longest match), then single letters; ΜΠ, ΝΤ, ΓΚ are
# read B, D, G at the start of a word and MB, ND, NG within it. Accents are dropped first.
_GREEK = {
    "ΜΠ": "MB",
    "ΝΤ": "ND",
    "ΓΚ": "NG",
    "ΓΓ": "NG",
    "ΓΞ": "NX",
    "ΓΧ": "NCH",
    "ΟΥ": "OU",
    "ΑΥ": "AV",
    "ΕΥ": "EV",
    "Α": "A",
    "Β": "V",
    "Γ": "G",
    "Δ": "D",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "I",
    "Θ": "TH",
    "Ι": "I",
    "Κ": "K",
    "Λ": "L",
    "Μ": "M",
    "Ν": "N",
    "Ξ": "X",
    "Ο": "O",
    "Π": "P",
    "Ρ": "R",
    "Σ": "S",
    "Τ": "T",
    "Υ": "Y",
    "Φ": "F",
    "Χ": "CH",
    "Ψ": "PS",
    "Ω": "O",
}
_GREEK_INITIAL = {"ΜΠ": "B", "ΝΤ": "D", "ΓΚ": "G"}
# A foreign name written in Greek spells B, D, G, U and J with ΜΠ, ΝΤ, ΓΚ, ΟΥ and ΤΖ wherever
# they stand, H (which Greek lacks) with Χ, and the vowel pairs by their sounds (ΑΙ as E, ΕΙ
# and ΟΙ as I).
_GREEK_FOREIGN = {**_GREEK_INITIAL, "ΟΥ": "U", "ΑΙ": "E", "ΕΙ": "I", "ΟΙ": "I", "ΤΖ": "J", "Χ": "H"}
_GREEK_RE = re.compile("|".join(sorted({*_GREEK, *_GREEK_FOREIGN}, key=len, reverse=True)))

_ARABIC = {
    "ا": "A",
    "أ": "A",
    "إ": "I",
    "آ": "A",
    "ى": "A",
    "ة": "A",
    "ء": "",
    "ئ": "I",
    "ؤ": "U",
    "ب": "B",
    "ت": "T",
    "ث": "TH",
    "ج": "J",
    "ح": "H",
    "خ": "KH",
    "د": "D",
    "ذ": "DH",
    "ر": "R",
    "ز": "Z",
    "س": "S",
    "ش": "SH",
    "ص": "S",
    "ض": "D",
    "ط": "T",
    "ظ": "Z",
    "ع": "",
    "غ": "GH",
    "ف": "F",
    "ق": "Q",
    "ك": "K",
    "ل": "L",
    "م": "M",
    "ن": "N",
    "ه": "H",
    "و": "U",
    "ي": "I",
    "پ": "P",
    "چ": "CH",
    "ژ": "ZH",
    "گ": "G",
    "ک": "K",
    "ی": "I",
}
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _script(text: str) -> str | None:
    """The first non-Latin script among the letters of `text` (by Unicode character name)."""
    for ch in text:
        if ord(ch) < 0x250 or not unicodedata.category(ch).startswith("L"):
            continue
        name = unicodedata.name(ch, "")
        for script in ("CYRILLIC", "GREEK", "ARABIC", "HANGUL"):
            if name.startswith(script):
                return script
    return None


def _cyrillic(text: str) -> list[str]:
    lowered = text.lower()
    # iuliia's tables leave ё as it is; Russian writes it as е in most print anyway.
    plain = lowered.replace("ё", "е")
    readings = [anyascii(scheme.translate(plain)) for scheme in _CYRILLIC_SCHEMES]
    # As Russian writes a foreign name: ДЖ for J, Ё for YO (ДЖОН is JON, РЁНГ RYONG).
    foreign = lowered.replace("дж", "j").replace("ё", "yo")
    return [*readings, anyascii(_CYRILLIC_SCHEMES[-1].translate(foreign))]


def _greek(text: str) -> list[str]:
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", text.upper()) if not unicodedata.combining(ch)
    )

    def elot(m: re.Match[str]) -> str:
        letters = m.group()
        initial = m.start() == 0 or not plain[m.start() - 1].isalpha()
        if initial and letters in _GREEK_INITIAL:
            return _GREEK_INITIAL[letters]
        return _GREEK.get(letters) or "".join(_GREEK[ch] for ch in letters)

    def foreign(m: re.Match[str]) -> str:
        return _GREEK_FOREIGN.get(m.group()) or elot(m)

    return [_GREEK_RE.sub(elot, plain), _GREEK_RE.sub(foreign, plain)]


def _arabic(text: str) -> list[str]:
    text = text.translate(_ARABIC_DIGITS)
    read = "".join(_ARABIC.get(ch, ch if ord(ch) < 0x80 else "") for ch in text)
    # Arabic writes a foreign G as غ, which BGN/PCGN reads GH, and a foreign CH as تش.
    return [read, read.replace("GH", "G").replace("TSH", "CH")]


def is_arabic(text: str) -> bool:
    """The name is written in Arabic letters (Arabic, Persian, Urdu)."""
    return _script(text) == "ARABIC"


# How Latin letters come back once written in Arabic letters and read again: Arabic writes a
# foreign name's vowels as three letters at most (ا for A; ي for E, I and Y; و for O, U and
# W), has one letter for B and P and one for F and V, and writes a doubled letter once.
# CH (تش) is kept apart from KH (خ) as "c", which no upper-case name holds.
_AS_ARABIC_DIGRAPHS = re.compile("TSH|PH|CK|GH|CH")
_AS_ARABIC_DIGRAPH = {"TSH": "c", "PH": "F", "CK": "K", "GH": "G", "CH": "c"}
_AS_ARABIC_LETTERS = str.maketrans("EYOWPVCQ", "IIUUBFKK", "")
_DOUBLED = re.compile(r"([A-Z])\1+")


def as_arabic_reads(latin: str) -> str:
    """An upper-case Latin name as it reads back once written in Arabic letters: two names
    that agree here are written alike in Arabic (DOVER and DUFIR, HAPPINESS and HABINIS)."""
    text = _AS_ARABIC_DIGRAPHS.sub(lambda m: _AS_ARABIC_DIGRAPH[m.group()], latin)
    return _DOUBLED.sub(r"\1", text.translate(_AS_ARABIC_LETTERS).replace("X", "KS"))


def _hangul(text: str) -> list[str]:
    syllables = " ".join(
        anyascii(ch) if unicodedata.name(ch, "").startswith("HANGUL") else ch for ch in text
    )
    mr = re.sub("EO", "O", re.sub("EU", "U", syllables.upper()))
    return [mr, _dprk(text)]


# The DPRK's romanisation (1992, after McCune-Reischauer), in which North Korean ships are
# listed: a syllable's first consonant, its vowel and its last consonant, by the jamo numbers
# of Unicode's Hangul syllable block (U+AC00 + (first * 21 + vowel) * 28 + last).
# fmt: off
_FIRST = ("K", "KK", "N", "T", "TT", "R", "M", "P", "PP", "S", "SS", "", "J", "JJ", "CH", "KH",
          "TH", "PH", "H")
_VOWEL = ("A", "AE", "YA", "YAE", "O", "E", "YO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WO",
          "WE", "WI", "YU", "U", "UI", "I")
_LAST = ("", "K", "K", "K", "N", "N", "N", "T", "L", "K", "M", "L", "L", "L", "P", "L", "M", "P",
         "P", "T", "T", "NG", "T", "T", "K", "T", "P", "T")
# fmt: on
# K, T and P are voiced (G, D, B) after a vowel or N, L, M, NG within a word: PO THONG GANG,
# HWANG GUM SAN, but KUM SONG and PAEK TU SAN.
_VOICED = {"K": "G", "T": "D", "P": "B"}


def _dprk(text: str) -> str:
    words: list[str] = []
    after = ""  # the sound before this syllable in its word: "" at a word's start
    for ch in text:
        number = ord(ch) - 0xAC00
        if not 0 <= number < 19 * 21 * 28:
            words.append(ch)
            after = ""
            continue
        first, vowel, last = (_FIRST[number // 588], _VOWEL[number // 28 % 21], _LAST[number % 28])
        if first in _VOICED and after not in ("", "K", "T", "P"):
            first = _VOICED[first]
        words.append(f" {first}{vowel}{last} ")
        after = last or vowel
    return " ".join("".join(words).split())


@lru_cache(maxsize=16384)
def script_readings(text: str) -> tuple[str, ...]:
    """Latin readings of `text` by its script's standard schemes, beyond anyascii's own; empty
    for Latin text and for scripts read one way only (Han: pinyin, as anyascii gives)."""
    script = _script(text)
    if script == "CYRILLIC":
        found = _cyrillic(text)
    elif script == "GREEK":
        found = _greek(text)
    elif script == "ARABIC":
        found = _arabic(text)
    elif script == "HANGUL":
        found = _hangul(text)
    else:
        return ()
    return tuple(dict.fromkeys(found))
