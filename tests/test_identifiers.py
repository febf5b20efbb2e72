"""Tests for service.identifiers: IMO check digits, MMSI/MID, call signs, flags."""

from __future__ import annotations

import csv
from collections import defaultdict

import pycountry
import pytest
from conftest import shared_path

from service.identifiers import (
    FlagResult,
    Imo,
    flag_name,
    is_valid_imo,
    mid_country,
    mmsi_is_wellformed,
    normalize_call_sign,
    normalize_flag,
    normalize_mmsi,
    parse_imo,
)

# Real ships: LADY R and others whose IMO numbers appear on sanctions lists and registers.
KNOWN_VALID_IMOS = ["9161003", "9179842", "9358010", "8517839", "8811182", "9617923", "9784893"]


# --- IMO ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", KNOWN_VALID_IMOS)
def test_real_imo_numbers_pass_the_check_digit(digits: str) -> None:
    assert is_valid_imo(digits)


@pytest.mark.parametrize("digits", KNOWN_VALID_IMOS)
def test_changing_the_check_digit_of_a_real_imo_fails(digits: str) -> None:
    wrong = digits[:6] + str((int(digits[6]) + 1) % 10)
    assert not is_valid_imo(wrong)


@pytest.mark.parametrize(
    "digits",
    ["9161004", "916100", "91610030", "", "916100a", "９１６１００３", "0000000", " 9161003"],
)
def test_is_valid_imo_rejects(digits: str) -> None:
    assert not is_valid_imo(digits)


@pytest.mark.parametrize(
    "value",
    [
        9161003,
        "9161003",
        "IMO 9161003",
        "IMO9161003",
        "imo: 9161003",
        " IMO-9161003 ",
        "IMO  9161003",
        "IMO No. 9161003",
        "IMO number: 9161003",
        "IMO 9161003.",
    ],
)
def test_parse_imo_accepts_the_usual_spellings(value: str | int) -> None:
    assert parse_imo(value) == Imo(str(value), "9161003", True)


def test_parse_imo_keeps_digits_of_a_bad_check_digit() -> None:
    assert parse_imo("IMO 9161004") == Imo("IMO 9161004", "9161004", False)
    assert parse_imo(9161004) == Imo("9161004", "9161004", False)


@pytest.mark.parametrize(
    "value",
    [
        "916100",
        "91610030",
        "IMO 916100",
        916100,
        "LADY R",
        "IMO",
        "9161003 (LADY R)",
        "MMSI 9161003",
        "9161-003",
        "-9161003x",
        "９１６１００３",
        -9161003,
        True,
    ],
)
def test_parse_imo_reports_junk_instead_of_dropping_it(value: str | int) -> None:
    assert parse_imo(value) == Imo(str(value), None, False)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_imo_none_only_for_absent_values(value: str | None) -> None:
    assert parse_imo(value) is None


def test_all_zero_imo_placeholder_is_not_valid() -> None:
    assert parse_imo("IMO 0000000") == Imo("IMO 0000000", "0000000", False)


# --- MMSI --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("273123456", "273123456"),
        (273123456, "273123456"),
        (" 273 123 456 ", "273123456"),
        ("MMSI 273123456", "273123456"),
        ("mmsi: 273123456", "273123456"),
        ("002730000", "002730000"),
        (2730000, "002730000"),  # coast station whose leading zeros a JSON number lost
        (27312345, "027312345"),  # group MMSI, likewise
    ],
)
def test_normalize_mmsi(value: str | int, expected: str) -> None:
    assert normalize_mmsi(value) == expected
    assert mmsi_is_wellformed(value)


@pytest.mark.parametrize(
    "value",
    [None, "", "27312345", "2731234567", "27312345a", "IMO 273123456", 12345, -273123456, True],
)
def test_malformed_mmsi(value: str | int | None) -> None:
    assert normalize_mmsi(value) is None
    assert not mmsi_is_wellformed(value)


@pytest.mark.parametrize(
    ("mmsi", "country"),
    [
        ("273123456", "RU"),
        ("445123456", "KP"),
        ("422123456", "IR"),
        ("636012345", "LR"),
        ("637012345", "LR"),
        ("538001234", "MH"),
        ("353123456", "PA"),
        ("373123456", "PA"),
        ("477123456", "HK"),
        ("416123456", "TW"),
        ("306123456", "CW"),
        ("232123456", "GB"),
        ("620123456", "KM"),
        ("366123456", "US"),
        ("MMSI 273 123 456", "RU"),
        (273123456, "RU"),
        ("002730000", "RU"),  # coast station 00MID
        (2730000, "RU"),
        ("044512345", "KP"),  # group 0MID
        ("111273123", "RU"),  # SAR aircraft 111MID
        ("992731234", "RU"),  # AIS aid to navigation 99MID
        ("984451234", "KP"),  # craft associated with a parent ship 98MID
        ("842212345", "IR"),  # handheld VHF 8MID
    ],
)
def test_mid_country(mmsi: str | int, country: str) -> None:
    assert mid_country(mmsi) == country


@pytest.mark.parametrize(
    "mmsi",
    [
        "200123456",  # unallocated MID
        "217123456",  # unallocated MID
        "970123456",  # AIS-SART: manufacturer id, not a MID
        "972123456",  # MOB device
        "974123456",  # EPIRB-AIS
        "123456789",
        "001234567",  # coast-station shape but MID 123 does not exist
        "000000000",
        "27312345",
        "",
        None,
    ],
)
def test_mid_country_none(mmsi: str | None) -> None:
    assert mid_country(mmsi) is None


def _itu_name_to_alpha2(name: str) -> str:
    """ISO alpha-2 for an ITU "Allocated to" name such as "Portugal - Madeira" or "Cuba".

    The territory after " - " decides when ISO codes it; otherwise the sovereign before it does.
    """
    # Places ISO 3166 has no code of their own for (or that ITU names unlike ISO), by what they
    # belong to: the TAAF districts are TF, Ascension is part of SH.
    by_place = {
        "Azores": "PT",
        "Madeira": "PT",
        "Alaska (State of)": "US",
        "Adelie Land": "TF",
        "Saint Paul and Amsterdam Islands": "TF",
        "Crozet Archipelago": "TF",
        "Ascension Island": "SH",
        "Guiana (French Department of)": "GF",
    }
    sovereign, _, territory = name.partition(" - ")
    if territory:
        if territory in by_place:
            return by_place[territory]
        result = normalize_flag(territory)
        assert result.code is not None, f"ITU territory {territory!r} not recognised"
        return result.code
    result = normalize_flag(sovereign)
    assert result.code is not None, f"ITU country {sovereign!r} not recognised"
    return result.code


@pytest.mark.shared_data
def test_mid_table_agrees_with_the_itu_table() -> None:
    path = shared_path("fleet", "itu_mid.csv")
    allowed: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            allowed[row["MID"].strip()].add(_itu_name_to_alpha2(row["Allocated_to"].strip()))
    assert len(allowed) > 280

    wrong = {
        mid: (mid_country(f"{mid}000000"), sorted(codes))
        for mid, codes in allowed.items()
        if mid_country(f"{mid}000000") not in codes
    }
    assert wrong == {}
    # The sovereign (FR, GB, US, NL, ...) would be a plausible but wrong answer for these.
    assert mid_country("231000000") == "FO"
    assert mid_country("236000000") == "GI"
    assert mid_country("358000000") == "PR"
    assert mid_country("518000000") == "CK"


# --- Call signs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("d5ab7", "D5AB7"),
        (" D5 AB-7 ", "D5AB7"),
        ("UBCX7", "UBCX7"),
        ("3e-2261", "3E2261"),
        (None, None),
        ("", None),
        ("  - ", None),
    ],
)
def test_normalize_call_sign(value: str | None, expected: str | None) -> None:
    assert normalize_call_sign(value) == expected


# --- Flags -------------------------------------------------------------------------------------

FLAG_SPELLINGS: list[tuple[str, str]] = [
    ("ru", "RU"),
    ("RU", "RU"),
    ("RUS", "RU"),
    ("IRN", "IR"),
    ("prk", "KP"),
    ("Russian Federation", "RU"),
    ("Russia", "RU"),
    ("RUSSIA", "RU"),
    ("North Korea", "KP"),
    ("DPRK", "KP"),
    ("Korea, North", "KP"),
    ("Democratic People's Republic of Korea", "KP"),
    ("Democratic Peoples Republic of Korea", "KP"),
    ("Korea, Democratic People's Republic of", "KP"),
    ("South Korea", "KR"),
    ("Republic of Korea", "KR"),
    ("Korea, Republic of", "KR"),
    ("Korea (Republic of)", "KR"),
    ("Iran", "IR"),
    ("Iran, Islamic Republic of", "IR"),
    ("Islamic Republic of Iran", "IR"),
    ("Iran (Islamic Republic of)", "IR"),
    ("Syria", "SY"),
    ("Syrian Arab Republic", "SY"),
    ("Vietnam", "VN"),
    ("Viet Nam", "VN"),
    ("Tanzania", "TZ"),
    ("United Republic of Tanzania", "TZ"),
    ("Bolivia", "BO"),
    ("Venezuela", "VE"),
    ("Moldova", "MD"),
    ("Laos", "LA"),
    ("Micronesia", "FM"),
    ("St Kitts and Nevis", "KN"),
    ("St. Kitts & Nevis", "KN"),
    ("Saint Kitts & Nevis", "KN"),
    ("St. Vincent and the Grenadines", "VC"),
    ("Cabo Verde", "CV"),
    ("Cape Verde", "CV"),
    ("Cote d'Ivoire", "CI"),
    ("Côte d’Ivoire", "CI"),
    ("Ivory Coast", "CI"),
    ("Hong Kong", "HK"),
    ("Macau", "MO"),
    ("Macao", "MO"),
    ("Taiwan", "TW"),
    ("Palestine", "PS"),
    ("State of Palestine", "PS"),
    ("Turkey", "TR"),
    ("Türkiye", "TR"),
    ("Turkiye", "TR"),
    ("UK", "GB"),
    ("United Kingdom", "GB"),
    ("Great Britain", "GB"),
    ("USA", "US"),
    ("U.S.A.", "US"),
    ("United States", "US"),
    ("United States of America", "US"),
    ("UAE", "AE"),
    ("Czech Republic", "CZ"),
    ("Czechia", "CZ"),
    ("Swaziland", "SZ"),
    ("Eswatini", "SZ"),
    ("Burma", "MM"),
    ("Myanmar", "MM"),
    ("Comoros", "KM"),
    ("Gambia", "GM"),
    ("The Gambia", "GM"),
    ("Bahamas", "BS"),
    ("The Bahamas", "BS"),
    ("Sao Tome and Principe", "ST"),
    ("São Tomé and Príncipe", "ST"),
    ("Congo", "CG"),
    ("Republic of the Congo", "CG"),
    ("Democratic Republic of the Congo", "CD"),
    ("Congo, The Democratic Republic of the", "CD"),
    ("Netherlands", "NL"),
    ("The Netherlands", "NL"),
    ("Holland", "NL"),
    ("Vatican", "VA"),
    ("Holy See", "VA"),
    ("British Virgin Islands", "VG"),
    ("Cook Islands", "CK"),
    ("Cayman Islands", "KY"),
    ("Marshall Islands", "MH"),
    ("Liberia", "LR"),
    ("Panama (Republic of)", "PA"),
    ("  panama  ", "PA"),
]


@pytest.mark.parametrize(("value", "code"), FLAG_SPELLINGS)
def test_normalize_flag_spellings(value: str, code: str) -> None:
    assert normalize_flag(value) == FlagResult(value, code, True)


@pytest.mark.parametrize(
    "value",
    [
        "None Identified",
        "Unknown",
        "Atlantis",
        "Korea",  # North or South: not ours to guess
        "Virgin Islands",  # British or US
        "-0-",
        "Russia Federation Flagged",
        "XX",
    ],
)
def test_unrecognised_flag_is_reported(value: str) -> None:
    assert normalize_flag(value) == FlagResult(value, None, False)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_absent_flag_is_not_a_problem(value: str | None) -> None:
    assert normalize_flag(value) == FlagResult(None, None, True)


def test_every_iso_code_and_name_is_recognised() -> None:
    for country in pycountry.countries:
        for value in (country.alpha_2, country.alpha_3, country.name):
            assert normalize_flag(value).code == country.alpha_2, value


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("RU", "Russia"),
        ("ru", "Russia"),
        ("IR", "Iran"),
        ("KP", "North Korea"),
        ("KR", "South Korea"),
        ("SY", "Syria"),
        ("VN", "Vietnam"),
        ("TZ", "Tanzania"),
        ("VG", "British Virgin Islands"),
        ("PA", "Panama"),
        ("GB", "United Kingdom"),
        ("XX", "XX"),
    ],
)
def test_flag_name(code: str, name: str) -> None:
    assert flag_name(code) == name


def test_flag_names_read_back_as_the_same_flag() -> None:
    # Reports print flag_name(); a name that normalize_flag could not read back would be a trap.
    for country in pycountry.countries:
        assert normalize_flag(flag_name(country.alpha_2)).code == country.alpha_2
