"""How alike two vessel names are, once normalised (`names`), on a 0..1 scale.

The name half of the matcher's evidence: the same name written otherwise (folded spellings,
spacing, word order, another script) scores high; hull numbers must agree.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from service.index import NameEntry
from service.names import NormalizedName
from service.scripts import as_arabic_reads

# Names that agree in words but not in hull numbers (OCEAN STAR 7, OCEAN STAR 8) are two ships.
NUMBER_MISMATCH_CAP = 0.5
# One side numbered, the other not (MAIA, MAIA 1): possibly the same ship, never certain.
NUMBER_MISSING_CAP = 0.88
# Same name once spellings are folded (MARIYA, MARIA): a match, below the name as written.
SAME_KEY = 0.95
SAME_WORDS_OTHER_ORDER = 0.95
SAME_SOUND_OTHER_SCRIPT = 0.88
# ... where more than two letters in three are alike as well: consonants alone agreeing between
# names further apart is chance (АНГЕЛ, ANGEL, against ANGOLA; ДАФНЕ, DAFNE, against DEVON).
SOUND_MIN_SIMILARITY = 0.67
# ... and as many letters: the same name in two scripts (ЛЕДИ Р for LADY R), a match.
SAME_SKELETON_OTHER_SCRIPT = 0.92
SKELETON_MIN_SIMILARITY = 0.8
# A name read from Arabic letters that the listed name, written in them, spells alike (DOVER
# as دوفير) is the same name in another script from this many letters on, and at four letters
# a name to review: Arabic writes one letter for E and I and one for O and U, so that short
# names are spelt alike by chance (DORE and DURI, MENA and MINA).
ARABIC_MIN_LETTERS = 4
ARABIC_MATCH_LETTERS = 5
# A name read otherwise than as written (another romanisation of its script, a roman numeral
# glued to the last word): at best a match below the name as written.
OTHER_READING_CAP = 0.95
# Aliases and former names are searched and scored exactly as current names; only where two
# listed ships score the same is the one whose current name it is shown first.
NAME_KIND_RANK = {"primary": 0, "aka": 1, "nka": 1, "fka": 2}


def name_similarity(q: NormalizedName, c: NormalizedName) -> float:
    """How alike two normalised names are, 0..1, with hull numbers required to agree."""
    if q.text == c.text:
        score = 1.0
    elif q.key == c.key:
        score = SAME_KEY
    elif q.compact == c.compact or q.ordered == c.ordered:
        score = SAME_WORDS_OTHER_ORDER
    else:
        # Edit similarity with a transposition as one edit, over the larger length: one
        # letter wrong in a five-letter name is a bigger doubt than in a fifteen-letter one.
        # Folded keys meet transliterations; plain texts keep a typo from being amplified
        # by the folding (DAWNLIPHT is one letter from DAWNLIGHT, further once PH folds to F).
        score = max(
            OSA.normalized_similarity(q.key, c.key), OSA.normalized_similarity(q.text, c.text)
        )
        if same_sound(q, c):
            if same_shape(q, c, score):
                score = max(score, SAME_SKELETON_OTHER_SCRIPT)
            elif score >= SOUND_MIN_SIMILARITY:
                score = max(score, SAME_SOUND_OTHER_SCRIPT)
        if same_in_arabic(q, c):
            long = _letters(q.arabic) >= ARABIC_MATCH_LETTERS
            score = max(score, SAME_SKELETON_OTHER_SCRIPT if long else SAME_SOUND_OTHER_SCRIPT)
    if q.numbers != c.numbers:
        score = min(score, NUMBER_MISMATCH_CAP if q.numbers and c.numbers else NUMBER_MISSING_CAP)
    return score


def same_sound(q: NormalizedName, c: NormalizedName) -> bool:
    """A name sent in another script whose consonants are the listed name's (LEDI R, LADY R)."""
    return q.non_latin and q.sound_is_distinctive and q.sound == c.sound


def same_in_arabic(q: NormalizedName, c: NormalizedName) -> bool:
    """A name sent in Arabic letters that the listed name, written in them, spells alike."""
    return (
        bool(q.arabic)
        and _letters(q.arabic) >= ARABIC_MIN_LETTERS
        and q.arabic == as_arabic_reads(c.text)
    )


def same_shape(q: NormalizedName, c: NormalizedName, similarity: float) -> bool:
    """Consonants, length, word endings and all but one vowel in five agree: LEDI R is LADY R
    written in another script, but ANGELA is not ANGLIA, nor MARINI MARINA."""
    if len(q.key) != len(c.key) or similarity < SKELETON_MIN_SIMILARITY:
        return False
    wq, wc = q.key.split(), c.key.split()
    return len(wq) == len(wc) and all(a[-1] == b[-1] for a, b in zip(wq, wc, strict=True))


def script_note(reading: NormalizedName, entry: NameEntry) -> str:
    note = f"the name was sent in another script and read as {reading.text}"
    if reading.key != entry.norm.key and same_in_arabic(reading, entry.norm):
        if _letters(reading.arabic) >= ARABIC_MATCH_LETTERS:
            verdict = "the same name in another script"
        else:
            verdict = "but names this short are often spelt alike in Arabic by chance"
        spelt = f"written in Arabic letters, the listed {entry.listed} is spelt the same"
        return f"{note}; {spelt}: {verdict}"
    if reading.key == entry.norm.key or not same_sound(reading, entry.norm):
        return note
    if same_shape(reading, entry.norm, OSA.normalized_similarity(reading.key, entry.norm.key)):
        return (
            f"{note}; its consonants, length and word endings agree with the listed "
            f"{entry.listed}: the same name in another script"
        )
    return (
        f"{note}; its consonants agree with the listed {entry.listed}, but a spelling in "
        "another script is not proof of the same name"
    )


def edit_distance(q: NormalizedName, c: NormalizedName) -> int:
    """Letters wrong, missing, extra or swapped between two names (folded or as written),
    where their hull numbers agree; 2 stands for "more than one"."""
    if q.numbers != c.numbers:
        return 2
    return min(
        OSA.distance(q.key, c.key, score_cutoff=2), OSA.distance(q.text, c.text, score_cutoff=2)
    )


def letter_count(norm: NormalizedName) -> int:
    return _letters(norm.text)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)
