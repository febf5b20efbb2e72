"""The kinds of variation callers send, each answered as the docs' "How matching decides" says.

Hand-made lists hold the pairs a rule needs (two listed ships one letter apart, say); the real
OFAC files (where ../shared/data is here) hold the public cases named in vessel-facts.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.index import ScreeningIndex, build_index
from service.loaders.registry import load_lists
from service.matcher import Policy, Query, Screening, screen
from service.model import ListInfo, LoadedList, Vessel, VesselName

POLICY = Policy()


def _index(*vessels: Vessel) -> ScreeningIndex:
    info = ListInfo("test", "test", "1", datetime.now(UTC), len(vessels))
    return build_index([LoadedList(info, vessels)])


def _vessel(n: int, name: str, *others: VesselName, **kw: object) -> Vessel:
    names = (VesselName(name), *others) if others else ()
    extra = {"names": names} if names else {}
    return Vessel(
        entity_id=f"test:{n}",
        list_id="test",
        source_id=str(n),
        name=name,
        **extra,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def answer(result: Screening) -> tuple[str | None, str]:
    """The top match's name and the answer's decision."""
    top = result.matches[0].vessel.name if result.matches else None
    return top, result.decision


# --- Joined and split words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "sent"),
    [
        ("SEA STAR", "SEASTAR"),
        ("PANOCEAN", "PAN OCEAN"),
        ("NEW OCEAN 7", "NEWOCEAN 7"),
        ("NEW OCEAN 7", "NEWOCEAN7"),
        ("DIAMOND II", "DIAMONDII"),
        ("ARK III", "ARKIII"),
        ("SAM MA 2", "SAM MAII"),
        ("TIAN YU 7", "TIAN YUVII"),
    ],
)
def test_names_that_differ_only_in_spacing_are_one_name(listed: str, sent: str) -> None:
    index = _index(_vessel(1, listed))
    assert answer(screen(Query(name=sent), index, POLICY)) == (listed, "match")


def test_spacing_does_not_override_hull_numbers_or_word_order_rules() -> None:
    index = _index(_vessel(1, "NEW OCEAN 7"), _vessel(2, "OCEAN STAR"))
    assert screen(Query(name="NEWOCEAN 8"), index, POLICY).decision == "clear"
    assert answer(screen(Query(name="STAR OCEAN"), index, POLICY)) == ("OCEAN STAR", "match")


def test_a_glued_numeral_reading_says_how_the_name_was_read() -> None:
    index = _index(_vessel(1, "DIAMOND 2"))
    [top] = screen(Query(name="DIAMONDII"), index, POLICY).matches
    assert top.score < 1.0  # read another way than written: never above the name as written
    assert any("read as DIAMOND 2" in note for note in top.explanation.notes)


# --- One typo ------------------------------------------------------------------------------------


def test_one_typo_in_a_name_of_five_letters_with_the_flag_agreeing_is_a_match() -> None:
    index = _index(_vessel(1, "ANGARA", flags=("RU",)))
    result = screen(Query(name="ANGRA", flag="Russia"), index, POLICY)
    assert answer(result) == ("ANGARA", "match")
    assert any("read as a typo; the flag agrees" in n for n in result.matches[0].explanation.notes)


def test_one_typo_in_a_short_name_alone_stays_a_review() -> None:
    index = _index(_vessel(1, "ANGARA", flags=("RU",)))
    assert answer(screen(Query(name="ANGRA"), index, POLICY)) == ("ANGARA", "review")
    # A flag that differs corroborates nothing (and, as always, clears nothing).
    assert answer(screen(Query(name="ANGRA", flag="PA"), index, POLICY)) == ("ANGARA", "review")


def test_one_typo_in_a_long_name_is_a_match_with_nothing_else_sent() -> None:
    index = _index(_vessel(1, "VASILY LANOVOY"), _vessel(2, "FELICITY"))
    assert answer(screen(Query(name="VASILY LANOBVOY"), index, POLICY))[1] == "match"
    assert answer(screen(Query(name="FELCIITY"), index, POLICY)) == ("FELICITY", "match")


def test_alone_the_slip_must_fall_in_a_long_word() -> None:
    # Eight letters, but the letter changes a short word into another: another ship, maybe.
    index = _index(_vessel(1, "LING HONG", flags=("CN",)), _vessel(2, "NS LEADER"))
    assert screen(Query(name="XING HONG"), index, POLICY).decision == "review"
    assert screen(Query(name="ES LEADER"), index, POLICY).decision == "review"
    assert screen(Query(name="XING HONG", flag="CN"), index, POLICY).decision == "match"
    # The slip is found where the names are one edit apart: by their folded keys, CARLOTTA B
    # (CARLOTA B once the doubled letter folds) and CARLOTA C differ in B and C alone.
    carlota = _index(_vessel(3, "CARLOTA C"))
    assert screen(Query(name="CARLOTTA B"), carlota, POLICY).decision == "review"


def test_a_one_letter_word_is_not_lost_when_words_are_joined() -> None:
    index = _index(_vessel(1, "EMMA"), _vessel(2, "SEA AIR"))
    assert screen(Query(name="EMMA A"), index, POLICY).decision != "match"
    assert answer(screen(Query(name="SEAAIR"), index, POLICY)) == ("SEA AIR", "match")


def test_a_typo_is_not_a_match_when_another_listed_ship_is_as_close() -> None:
    # SARINA and SALINA are both one letter from SAINA: the letter is what tells them apart.
    index = _index(_vessel(1, "SARINA", flags=("IR",)), _vessel(2, "SALINA", flags=("IR",)))
    assert screen(Query(name="SAINA", flag="IR"), index, POLICY).decision == "review"
    # ... but the same ship on two lists (one IMO) is one ship.
    twice = _index(
        _vessel(1, "SARINA", imo="9261607", flags=("IR",)),
        _vessel(2, "SARINA", imo="9261607", flags=("IR",)),
    )
    assert screen(Query(name="SAINA", flag="IR"), twice, POLICY).decision == "match"


def test_a_typo_is_not_a_match_when_an_identifier_conflicts() -> None:
    index = _index(_vessel(1, "FELICITY", mmsi="422000100", call_sign="EPBA2"))
    assert screen(Query(name="FELCIITY", mmsi="422999999"), index, POLICY).decision == "review"
    assert screen(Query(name="FELCIITY", call_sign="ZZZ9"), index, POLICY).decision == "review"


def test_a_name_four_letters_long_keeps_the_guard_against_false_alarms() -> None:
    index = _index(_vessel(1, "DORE", flags=("IR",)))
    assert screen(Query(name="DOVE", flag="IR"), index, POLICY).decision != "match"


def test_the_typo_rule_follows_its_settings() -> None:
    index = _index(_vessel(1, "ANGARA", flags=("RU",)))
    strict = Policy(typo_min_letters=6, typo_alone_min_letters=8)
    assert screen(Query(name="ANGRA", flag="RU"), index, strict).decision == "review"
    lenient = Policy(typo_min_letters=5, typo_alone_min_letters=5)
    assert screen(Query(name="ANGRA"), index, lenient).decision == "match"


# --- Other scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "sent"),
    [
        ("LADY R", "ЛЕДИ Р"),  # the Russian spelling: consonants, length and endings agree
        ("ANGARA", "АНГАРА"),
        ("MAIA-1", "МАЙЯ-1"),
        ("CENTURY", "ЦЕНТУРИ"),  # ISO 9's C for Ц
        ("JANG JA SAN", "ДЖАНГ ДЖА САН"),  # ДЖ, as Russian writes a foreign J
        ("RYONG GANG 2", "РЁНГ ГАНГ 2"),  # Ё for YO
        ("ANGARA", "ΑΓΚΑΡΑ"),  # Greek, ELOT 743
        ("DIAMOND 2", "ΝΤΙΑΜΟΝΤ ΙΙ"),
        ("HERO II", "ΧΕΡΟ II"),  # Greek writes a foreign H with Χ
        ("ANGARA", "أنغارا"),  # Arabic
        ("MARIA", "ماريا"),
        ("DOVER", "دوفير"),  # Arabic: one letter for E and I, one for O and U, one for F and V
        ("HAPPINESS I", "هاببينيس I"),  # ... and for B and P
        ("CHONG CHON GANG", "تشونغ تشون غانغ"),  # Arabic writes a foreign CH as تش
        ("PO THONG GANG", "بو ثونغ غانغ"),
        ("CHON MA SAN", "천마산"),  # Korean, McCune-Reischauer as the lists write it
        ("HWANG GUM SAN", "황금산"),
        ("PAEK MA", "백마"),  # Korean, the DPRK's consonants: ㅂ P, ㅌ TH
        ("PO THONG GANG", "보통강"),
        ("FU YUAN YU 7880", "福远渔7880"),  # Chinese, pinyin
    ],
)
def test_a_listed_name_written_in_another_script_is_a_match(listed: str, sent: str) -> None:
    index = _index(_vessel(1, listed))
    result = screen(Query(name=sent), index, POLICY)
    assert answer(result) == (listed, "match")
    assert any("sent in another script" in n for n in result.matches[0].explanation.notes)


@pytest.mark.parametrize(
    ("listed", "sent"),
    [
        ("MARIANA", "МЕРИАНЕ"),  # consonants agree, two vowels of seven do not: MERIANE
        ("MARINA", "МАРИНИ"),  # another word ending: MARINI
        ("ANGARA", "АНГАРО"),
        ("HERO II", "هيرو II"),  # four letters spelt alike in Arabic: often chance (HIRU, HERO)
    ],
)
def test_a_name_in_another_script_that_only_sounds_alike_is_a_review(
    listed: str, sent: str
) -> None:
    index = _index(_vessel(1, listed))
    assert answer(screen(Query(name=sent), index, POLICY)) == (listed, "review")


@pytest.mark.parametrize(
    ("listed", "sent"),
    [("ANGLIA", "АНГЕЛА"), ("ANGOLA", "АНГЕЛ"), ("DEVON", "ДАФНЕ")],
)
def test_consonants_alone_agreeing_between_names_further_apart_are_chance(
    listed: str, sent: str
) -> None:
    # ANGELA and ANGLIA share their consonants, but two letters in six differ besides.
    assert screen(Query(name=sent), _index(_vessel(1, listed)), POLICY).decision == "clear"


def test_a_name_in_arabic_letters_says_that_the_listed_name_is_spelt_the_same_in_them() -> None:
    index = _index(_vessel(1, "DOVER"))
    notes = screen(Query(name="دوفير"), index, POLICY).matches[0].explanation.notes
    assert any("written in Arabic letters, the listed DOVER is spelt the same" in n for n in notes)


def test_names_spelt_otherwise_in_arabic_letters_are_not_matched_as_the_same() -> None:
    # Arabic writes ا for A: DUFAR is not DOVER, nor FIKTURIA VICTORY.
    for listed, sent in (("DOVER", "دوفار"), ("VICTORY", "فيكتوريا")):
        assert screen(Query(name=sent), _index(_vessel(1, listed)), POLICY).decision != "match"


# --- Former names and aliases --------------------------------------------------------------------


def test_former_names_and_aliases_are_searched_as_current_names() -> None:
    renamed = _vessel(
        1,
        "SEA STAR",
        VesselName("NEPTUN", "fka"),
        VesselName("STELLA MARIS", "aka"),
        flags=("RU",),
    )
    index = _index(renamed)
    for sent, flag in [
        ("NEPTUN", None),
        ("NEPTUNE", "RU"),  # one typo in six letters, the flag agreeing
        ("НЕПТУН", None),
        ("STELLAMARIS", None),
        ("STELA MARIS", None),
        ("STELLA MARRIS", None),
    ]:
        result = screen(Query(name=sent, flag=flag), index, POLICY)
        assert answer(result) == ("SEA STAR", "match"), sent
    # The same typo in a former name and in a current name gets the same answer.
    current = _index(_vessel(2, "NEPTUN"))
    for sent in ("NEPTUNE", "NEPTN"):
        assert (
            screen(Query(name=sent), index, POLICY).decision
            == screen(Query(name=sent), current, POLICY).decision
            == "review"
        )


def test_a_ship_whose_own_name_it_is_comes_before_one_that_carries_it_as_an_alias() -> None:
    index = _index(
        _vessel(1, "MARIA E", VesselName("MARIA", "aka")),
        _vessel(2, "MARIA"),
    )
    matches = screen(Query(name="MARIA"), index, POLICY).matches
    assert [m.vessel.name for m in matches] == ["MARIA", "MARIA E"]
    assert matches[0].score == matches[1].score == 1.0
    assert [m.explanation.matched_name_kind for m in matches] == ["primary", "aka"]


# --- The public cases, on the real OFAC files ----------------------------------------------------


@pytest.fixture(scope="module")
def ofac(ofac_dir: Path) -> ScreeningIndex:
    return build_index(load_lists(ofac_dir))


@pytest.mark.parametrize(
    ("sent", "imo"),
    [("МАЙЯ-1", "9358010"), ("АНГАРА", "9179842"), ("ЛЕДИ Р", "9161003"), ("LADYR", "9161003")],
)
def test_the_public_cases_are_matches_on_the_real_list(
    ofac: ScreeningIndex, sent: str, imo: str
) -> None:
    result = screen(Query(name=sent), ofac, POLICY)
    assert (result.matches[0].vessel.imo, result.decision) == (imo, "match")


@pytest.mark.parametrize(
    ("sent", "imo"),
    [("천마산", "8660313"), ("백마", "9066978"), ("보통강", "8829555")],
)
def test_north_korean_ships_sent_in_hangul_are_matches_on_the_real_list(
    ofac: ScreeningIndex, sent: str, imo: str
) -> None:
    # CHON MA SAN, PAEK MA and PO THONG GANG, listed as the DPRK romanises them.
    result = screen(Query(name=sent), ofac, POLICY)
    assert (result.matches[0].vessel.imo, result.decision) == (imo, "match")
