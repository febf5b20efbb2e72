"""The matcher's promises, on the bundled sample and the real OFAC SDN files, and on hand-made
vessels.

Every test that takes `ofac` runs twice: on `lists/ofac-sample/` (written from public facts, see
`lists/README.md`; always here) and on the real SDN files in ../shared/data/ofac (skipped where
that folder is absent, required in CI). The ships these tests name are on both, with the same
identifiers.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from service.index import ScreeningIndex, build_index
from service.loaders.registry import load_lists
from service.matcher import Policy, Query, Screening, name_similarity, screen
from service.model import ListInfo, LoadedList, Vessel
from service.names import normalize_name
from tests.conftest import BUNDLED_LISTS

POLICY = Policy()


SAMPLE = BUNDLED_LISTS / "ofac-sample"


@pytest.fixture(scope="module", params=["sample", "ofac"])
def ofac(request: pytest.FixtureRequest) -> ScreeningIndex:
    """The bundled sample, then the real SDN files (`ofac_dir`: skips or fails without them)."""
    folder: Path = SAMPLE if request.param == "sample" else request.getfixturevalue("ofac_dir")
    return build_index(load_lists(folder))


def top(result: Screening) -> tuple[str | None, str]:
    if not result.matches:
        return None, result.decision
    return result.matches[0].vessel.imo, result.matches[0].decision


@pytest.mark.parametrize(
    ("name", "imo"),
    [("ANGARA", "9179842"), ("LADY R", "9161003"), ("MAIA-1", "9358010"), ("MARIA", "8517839")],
)
def test_the_four_ships_are_matches_by_name_alone(
    ofac: ScreeningIndex, name: str, imo: str
) -> None:
    assert top(screen(Query(name=name), ofac, POLICY)) == (imo, "match")


@pytest.mark.parametrize("imo", ["9161003", "IMO 9161003", "IMO9161003", 9161003])
def test_imo_alone_in_any_form_is_a_match(ofac: ScreeningIndex, imo: str | int) -> None:
    result = screen(Query(imo=imo), ofac, POLICY)
    assert top(result) == ("9161003", "match")
    assert result.matches[0].explanation.imo == "exact"


def test_an_exact_imo_is_decisive_whatever_the_name(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="SOMETHING ELSE ENTIRELY", imo="9161003"), ofac, POLICY)
    assert top(result) == ("9161003", "match")
    assert any("renamed" in note for note in result.matches[0].explanation.notes)


def test_maria_with_its_imo_matches_maria_not_maria_e(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="MARIA", imo="8517839"), ofac, POLICY)
    assert top(result) == ("8517839", "match")
    assert all(m.vessel.imo != "9617923" for m in result.matches)  # MARIA E, another ship


def test_the_dutch_trawler_maria_is_clear(ofac: ScreeningIndex) -> None:
    trawler = Query(name="MARIA", imo="8811182", mmsi="245665000", call_sign="PFTX", flag="NL")
    result = screen(trawler, ofac, POLICY)
    assert result.decision == "clear"
    assert result.matches == ()


def test_a_different_valid_imo_is_never_a_match(ofac: ScreeningIndex) -> None:
    low_bar = Query(name="LADY R", imo="9784893", threshold=0.1)  # LADY RANIA's IMO
    lady_r = [m for m in screen(low_bar, ofac, POLICY).matches if m.vessel.imo == "9161003"]
    assert lady_r  # the name alone reaches the low bar ...
    for m in lady_r:  # ... but the other valid IMO keeps it from being a match
        assert m.decision == "review"
        assert m.explanation.imo == "mismatch"


def test_name_only_maria_shows_both_listed_marias_current_name_first(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="MARIA"), ofac, POLICY)
    imos = [m.vessel.imo for m in result.matches[:2]]
    assert imos == ["8517839", "9617923"]
    assert result.matches[1].matched_name == "MARIA"  # MARIA E is also known as MARIA


def test_lady_r_is_not_lady_rania(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="LADY R"), ofac, POLICY)
    assert top(result) == ("9161003", "match")
    assert all(m.vessel.imo != "9784893" for m in result.matches)
    rania = screen(Query(name="LADY RANIA"), ofac, POLICY)
    assert top(rania) == ("9784893", "match")
    assert all(m.vessel.imo != "9161003" for m in rania.matches)


@pytest.mark.parametrize("written", ["M/V Lady-R.", "lady r", "MV LADY  R", "The Lady R"])
def test_styles_of_lady_r(ofac: ScreeningIndex, written: str) -> None:
    assert top(screen(Query(name=written), ofac, POLICY)) == ("9161003", "match")


def test_lady_r_in_cyrillic_is_a_match(ofac: ScreeningIndex) -> None:
    # ЛЕДИ Р reads LEDI R: the consonants, the length and the word endings agree with LADY R.
    result = screen(Query(name="ЛЕДИ Р"), ofac, POLICY)
    assert top(result) == ("9161003", "match")


def test_maia_1_written_with_a_roman_numeral_or_in_cyrillic(ofac: ScreeningIndex) -> None:
    for written in ("MAIA 1", "MAIA I", "МАЙЯ-1"):
        assert top(screen(Query(name=written), ofac, POLICY)) == ("9358010", "match")


def test_a_former_name_finds_the_renamed_ship(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="NEPTUN"), ofac, POLICY)
    maia = next(m for m in result.matches if m.vessel.imo == "9358010")
    assert maia.matched_name == "NEPTUN"
    assert maia.explanation.matched_name_kind == "fka"


def test_an_invalid_imo_is_reported_not_dropped(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="LADY R", imo="9161004"), ofac, POLICY)
    assert result.query.imo is not None and result.query.imo.valid is False
    assert top(result) == ("9161003", "match")  # the name still finds the ship
    assert result.matches[0].explanation.imo == "invalid"


def test_a_flag_that_differs_is_reported_but_does_not_clear(ofac: ScreeningIndex) -> None:
    result = screen(Query(name="LADY R", flag="Panama"), ofac, POLICY)
    assert top(result) == ("9161003", "match")
    assert result.matches[0].explanation.flag == "mismatch"
    same = screen(Query(name="LADY R", flag="Russian Federation"), ofac, POLICY)
    assert same.matches[0].explanation.flag == "match"


def test_mmsi_alone_finds_the_ship(ofac: ScreeningIndex) -> None:
    result = screen(Query(mmsi="273382620"), ofac, POLICY)  # LADY RANIA
    assert top(result) == ("9784893", "match")
    assert result.matches[0].explanation.mmsi == "exact"


def test_lists_filter_and_limit(ofac: ScreeningIndex) -> None:
    assert screen(Query(name="LADY R", lists=("elsewhere",)), ofac, POLICY).matches == ()
    assert len(screen(Query(name="MARIA", limit=1), ofac, POLICY).matches) == 1


def test_matches_are_sorted_by_score_then_name_kind_then_entity_id(ofac: ScreeningIndex) -> None:
    matches = screen(Query(name="MARIA", threshold=0.3, limit=100), ofac, POLICY).matches
    rank = {"primary": 0, "aka": 1, "nka": 1, "fka": 2}
    keys = [
        (-m.score, rank[m.explanation.matched_name_kind or "primary"], m.entity_id)
        for m in matches
    ]
    assert len(keys) > 5
    assert any(a[0] == b[0] for a, b in itertools.pairwise(keys))  # ties
    assert keys == sorted(keys)
    # MARIA is 8517839's own name and an alias of MARIA E: equal scores, own name first.
    assert [m.vessel.imo for m in matches[:2]] == ["8517839", "9617923"]
    assert matches[0].score == matches[1].score == 1.0


# Hand-made vessels: rules that need a pair the real list may not hold.
def _index(*vessels: Vessel) -> ScreeningIndex:
    from datetime import UTC, datetime

    info = ListInfo("test", "test", "1", datetime.now(UTC), len(vessels))
    return build_index([LoadedList(info, vessels)])


def _vessel(n: int, name: str, **kw: object) -> Vessel:
    return Vessel(entity_id=f"test:{n}", list_id="test", source_id=str(n), name=name, **kw)  # type: ignore[arg-type]


def test_hull_numbers_must_agree() -> None:
    index = _index(_vessel(1, "OCEAN STAR 7"))
    assert screen(Query(name="OCEAN STAR 8"), index, POLICY).decision == "clear"
    assert screen(Query(name="OCEAN STAR VII"), index, POLICY).decision == "match"
    assert screen(Query(name="OCEAN STAR"), index, POLICY).decision != "match"


def test_typos_spacing_and_word_order() -> None:
    index = _index(_vessel(1, "VASILY LANOVOY"), _vessel(2, "HWANG GUM SAN 2"))
    assert top(screen(Query(name="VASILY LANOBVOY"), index, POLICY))[1] == "match"
    assert top(screen(Query(name="LANOVOY VASILY"), index, POLICY))[1] == "match"
    assert top(screen(Query(name="HWANGGUMSAN-2"), index, POLICY))[1] == "match"


def test_call_sign_corroborates_a_name() -> None:
    index = _index(_vessel(1, "SEA BREEZE", call_sign="UBRH7"))
    without = screen(Query(name="SEA BRIZE"), index, POLICY).matches[0].score
    with_cs = screen(Query(name="SEA BRIZE", call_sign="ubrh 7"), index, POLICY).matches[0]
    assert with_cs.score > without
    assert with_cs.explanation.call_sign == "exact"


def test_every_match_explains_each_field() -> None:
    index = _index(_vessel(1, "LADY R", imo="9161003", flags=("RU",), mmsi="273000000"))
    m = screen(Query(name="Lady R", imo="9161003", flag="RU"), index, POLICY).matches[0]
    e = m.explanation
    assert (e.name, e.imo, e.mmsi, e.flag) == (1.0, "exact", "absent", "match")
    assert e.notes


def test_thresholds_come_from_the_policy() -> None:
    index = _index(_vessel(1, "STARLA"))
    strict = Policy(match_threshold=0.99, review_threshold=0.95)
    assert screen(Query(name="STALA"), index, POLICY).decision == "review"
    assert screen(Query(name="STALA"), index, strict).decision == "clear"


def test_name_similarity_is_symmetric_in_number_rules() -> None:
    a, b = normalize_name("ARK III"), normalize_name("ARK 4")
    assert name_similarity(a, b) <= 0.5
    assert name_similarity(b, a) <= 0.5
    assert name_similarity(normalize_name("ARK 3"), a) == 1.0


def test_same_sound_counts_only_for_names_from_another_script() -> None:
    index = _index(_vessel(1, "LADY R"))
    assert screen(Query(name="LEDI R"), index, POLICY).matches[0].score < 0.88
    assert screen(Query(name="ЛЕДИ Р"), index, POLICY).matches[0].score == 0.92
