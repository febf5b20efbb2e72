"""A name in another script is read by each standard romanisation of that script."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.names import name_readings, normalize_name
from service.scripts import as_arabic_reads, script_readings


def keys(raw: str) -> set[str]:
    return {reading.key for reading in name_readings(raw)}


def test_latin_and_han_names_have_no_other_reading() -> None:
    assert script_readings("LADY R") == ()
    assert script_readings("福远渔 7880") == ()  # anyascii's pinyin is the one reading


@pytest.mark.parametrize(
    ("cyrillic", "scheme_reading"),
    [
        ("ЦЕНТУРИ", "CENTURI"),  # ISO 9 / GOST 7.79: Ц is C (BGN/PCGN: TS)
        ("МАЙЯ-1", "MAJA-1"),  # ISO 9 Й is J, Я is Â
        ("МАЙЯ-1", "MAIIA-1"),  # ICAO Doc 9303, as Russian passports and registries write it
        ("ЩУКА", "SHCHUKA"),  # BGN/PCGN
        ("ХАРЬКОВ", "HAR'KOV"),  # ISO 9 Х is H; the soft sign is kept as a mark
    ],
)
def test_cyrillic_is_read_by_iso_9_gost_bgn_pcgn_and_icao(
    cyrillic: str, scheme_reading: str
) -> None:
    assert scheme_reading in {r.upper() for r in script_readings(cyrillic)}


def test_cyrillic_readings_meet_the_english_spellings_lists_use() -> None:
    assert "KENTURI" in keys("ЦЕНТУРИ")  # CENTURY, once C/K and Y/I are folded
    assert "MAIA 1" in keys("МАЙЯ-1")


def test_cyrillic_is_also_read_as_russian_writes_a_foreign_name() -> None:
    # ДЖ for J and Ё for YO: ДЖОН is JON, РЁНГ RYONG (ICAO alone gives DZHON, RENG).
    assert "jon" in script_readings("ДЖОН")
    assert "ryong gang 2" in script_readings("РЁНГ ГАНГ 2")


def test_greek_is_read_by_elot_743_and_as_a_foreign_name() -> None:
    # ELOT 743: ΓΚ is NG within a word, G at its start; ΜΠ and ΝΤ likewise MB/B and ND/D.
    assert "ANGARA" in script_readings("ΑΓΚΑΡΑ")
    assert "DIAMOND II" in script_readings("ΝΤΙΑΜΟΝΤ ΙΙ")
    # A foreign name spells B with ΜΠ and U with ΟΥ wherever they stand.
    assert "KARIBU" in script_readings("ΚΑΡΙΜΠΟΥ")
    assert "NEPTUN" in script_readings("ΝΕΠΤΟΥΝ")
    assert "HENNA" in script_readings("ΧΕΝΝΑ")  # and H, which Greek lacks, with Χ
    assert "DIAMOND 2" in keys("ΝΤΙΑΜΟΝΤ ΙΙ")


def test_arabic_is_read_with_its_long_vowels_and_a_foreign_g() -> None:
    readings = script_readings("أنغارا")
    assert "ANGHARA" in readings  # BGN/PCGN's GH for غ
    assert "ANGARA" in readings  # غ as Arabic writes a foreign G
    assert "MARIA" in keys("ماريا")
    assert "CHUNG CHUN GANG" in script_readings("تشونغ تشون غانغ")  # تش for a foreign CH


def test_a_latin_name_reads_as_its_arabic_spelling_reads() -> None:
    # One letter for E, I and Y, one for O, U and W, one for B and P, one for F and V.
    assert as_arabic_reads("DOVER") == as_arabic_reads("DUFIR") == "DUFIR"
    assert as_arabic_reads("HAPPINESS") == as_arabic_reads("HABINIS")  # doubled letters once
    assert as_arabic_reads("YAGHOUB") == as_arabic_reads("IAGUUB")  # GH as G
    # What Arabic writes apart stays apart: A and I, CH (تش) and KH (خ).
    assert as_arabic_reads("SALINA") != as_arabic_reads("SILINA")
    assert as_arabic_reads("CHALID") != as_arabic_reads("KHALID")


def test_every_reading_of_arabic_letters_carries_their_spelling_by_the_standard_reading() -> None:
    # anyascii's reading drops ا (FYKTWRY for فيكتوريا); the standard reading keeps it.
    assert {r.arabic for r in name_readings("فيكتوريا")} == {"FIKTURIA"}
    assert {r.arabic for r in name_readings("دوفير")} == {"DUFIR"}
    assert all(r.arabic == "" for r in name_readings("ДУВЕР"))


def test_hangul_is_read_with_mccune_reischauer_vowels() -> None:
    # Revised Romanisation writes 천 CHEON and 금 GEUM; the lists write North Korean names
    # in McCune-Reischauer without its breves: CHON, GUM.
    assert "CHON MA SAN" in keys("천마산")
    assert "HVANG GUM SAN" in keys("황금산")
    # ... and by the DPRK's romanisation, consonants too: ㅂ P (B when voiced), ㅌ TH, ㄱ K or G.
    assert "PAEK MA" in keys("백마")
    assert "PO THONG GANG" in keys("보통강")
    assert "KUM UN SAN" in keys("금운산")
    assert "JANG JA SAN CHONG NION HO" in keys("장자산 청년호")


def test_a_roman_numeral_glued_to_the_last_word_is_also_read_as_a_hull_number() -> None:
    assert [r.text for r in name_readings("DIAMONDII")] == ["DIAMONDII", "DIAMOND 2"]
    assert [r.text for r in name_readings("ARKIII")] == ["ARKIII", "ARK 3"]
    # A name with a hull number already, or too short a word before the numeral, is one reading.
    assert [r.text for r in name_readings("ARK III")] == ["ARK 3"]
    assert [r.text for r in name_readings("LIV")] == ["LIV"]
    # In a name of several words, two letters may be left as well, so MA II is not lost to
    # MAI I; but not before a lone I, which ends syllables (HAI, TAI) more often than names.
    assert [r.text for r in name_readings("SAM MAII")] == ["SAM MAII", "SAM MAI 1", "SAM MA 2"]
    assert [r.text for r in name_readings("FU YUAN YUV")] == ["FU YUAN YUV", "FU YUAN YU 5"]
    assert [r.text for r in name_readings("JIN HAI")] == ["JIN HAI"]


def test_the_name_as_written_is_always_the_first_reading() -> None:
    for raw in ("ЛЕДИ Р", "ΜΑΡΙΑ", "천마산", "DIAMONDII", "LADY R"):
        assert name_readings(raw)[0] == normalize_name(raw)
    # ... with, for a name in Arabic letters, its spelling in them (`arabic`) beside.
    assert replace(name_readings("ماريا")[0], arabic="") == normalize_name("ماريا")
    # Every other reading of a name sent in another script says so (the notes name it).
    assert all(r.non_latin for r in name_readings("ЦЕНТУРИ"))
