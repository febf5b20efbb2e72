"""Name normalisation: one comparable form for a name written any way."""

from __future__ import annotations

import pytest

from service.names import normalize_name, roman_to_int


@pytest.mark.parametrize(
    "written",
    ["MAIA-1", "maia 1", "M/V Maia 1", "MV MAIA-I", "M.V. MAIA I", "the Maia No. 1", "MAIA  1."],
)
def test_styles_of_one_name_meet(written: str) -> None:
    assert normalize_name(written).text == "MAIA 1"


@pytest.mark.parametrize("prefix", ["MV", "M/V", "M.V.", "MT", "M/T", "M.T.", "MS", "SS", "FV"])
def test_hull_prefixes_are_not_part_of_the_name(prefix: str) -> None:
    assert normalize_name(f"{prefix} LADY R").text == "LADY R"


def test_a_prefix_alone_is_kept_as_the_name() -> None:
    assert normalize_name("MV").text == "MV"


def test_sv_is_kept_because_listed_names_begin_with_it() -> None:
    assert normalize_name("SV KONSTANTIN").text == "SV KONSTANTIN"


def test_cyrillic_greek_and_accents_become_latin() -> None:
    assert normalize_name("ЛЕДИ Р").text == "LEDI R"
    assert normalize_name("ΜΑΡΙΑ").text == "MARIA"
    assert normalize_name("Çağrı Şahin").text == "CAGRI SAHIN"
    assert normalize_name("ЛЕДИ Р").non_latin
    assert not normalize_name("LADY R").non_latin


def test_transliteration_variants_share_a_key() -> None:
    assert normalize_name("Мария").key == normalize_name("MARIA").key
    assert normalize_name("МАЙЯ-1").key == normalize_name("MAIA-1").key
    assert normalize_name("KAPITAN").key == normalize_name("CAPITAN").key


def test_hangul_is_spaced_by_syllable() -> None:
    assert normalize_name("황금산 2").text == "HWANG GEUM SAN 2"


def test_other_script_names_share_a_sound_key_with_the_english_name() -> None:
    assert normalize_name("ЛЕДИ Р").sound == normalize_name("LADY R").sound
    # B and P, F and V are one consonant within a word; at its start Greek and Cyrillic tell
    # them apart (Π, ΜΠ; П, Б), and a name sent in Arabic letters is compared in them.
    assert normalize_name("ЗЕФИР").sound == normalize_name("ZEVIR").sound
    assert normalize_name("PERSEAS").sound != normalize_name("BOREAS").sound


def test_roman_numerals_only_as_a_final_hull_number() -> None:
    assert normalize_name("ARK III").numbers == ("3",)
    assert normalize_name("LI MING").text == "LI MING"  # LI is a word here, not 51
    assert normalize_name("XI AN").text == "XI AN"
    assert normalize_name("DIAMOND II").text == "DIAMOND 2"


@pytest.mark.parametrize(
    ("token", "value"), [("I", 1), ("IV", 4), ("IX", 9), ("XIV", 14), ("XXXIX", 39)]
)
def test_roman_values(token: str, value: int) -> None:
    assert roman_to_int(token) == value


@pytest.mark.parametrize("token", ["IIII", "VV", "IC", "L", "MIX", "ABC", ""])
def test_not_roman_numerals(token: str) -> None:
    assert roman_to_int(token) is None


def test_letters_and_digits_are_split() -> None:
    assert normalize_name("VALFAJR2").text == "VALFAJR 2"
    assert normalize_name("VALFAJR2").numbers == ("2",)


def test_leading_zeros_do_not_make_another_number() -> None:
    assert normalize_name("OCEAN STAR 07").numbers == normalize_name("OCEAN STAR 7").numbers


def test_spacing_variants_share_a_compact_form() -> None:
    assert normalize_name("HWANG GUM SAN-2").compact == normalize_name("HWANGGUMSAN 2").compact


def test_word_order_is_kept_in_text_but_not_in_ordered() -> None:
    a, b = normalize_name("STAR OCEAN"), normalize_name("OCEAN STAR")
    assert a.text != b.text
    assert a.ordered == b.ordered


def test_empty_and_punctuation_only_names() -> None:
    assert normalize_name("").text == ""
    assert normalize_name("--- ...").key == ""


def test_no_code_point_before_the_first_spaced_one_is_han_or_hangul() -> None:
    """What lets a text with nothing from FIRST_SPACED on be transliterated in one call."""
    import unicodedata

    from service.names import FIRST_SPACED

    spaced = [
        cp
        for cp in range(0x80, ord(FIRST_SPACED) + 1)
        if unicodedata.name(chr(cp), "").startswith(("CJK", "HANGUL"))
    ]
    assert spaced == [ord(FIRST_SPACED)]


def test_transliteration_spaces_han_and_hangul_syllables_and_reads_the_rest_whole() -> None:
    from service.names import transliterate

    assert transliterate("МАЙЯ-1") == "MAYYa-1"
    assert transliterate("ΑΓΚΑΡΑ") == "AGKARA"
    assert transliterate("천마산").split() == ["Cheon", "Ma", "San"]
    assert transliterate("福远渔7880").split() == ["Fu", "Yuan", "Yu", "7880"]
    assert transliterate("ＳＥＡ ＳＴＡＲ") == "SEA STAR"  # full-width: NFKC first
