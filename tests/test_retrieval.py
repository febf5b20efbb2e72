"""The fuzzy retrieval finds exactly the listed strings a comparison with every one would find."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from service.retrieval import ROUNDING, StringIndex

# A small alphabet makes near neighbours common, which is where a filter could lose one.
ALPHABET = "ABRT 17"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=16)
bars = st.sampled_from([1.0, 0.95, 0.9, 0.8, 0.75, 0.65, 0.5, 0.3, 0.0])


def brute_force(strings: list[str], query: str, bar: float) -> list[int]:
    return [
        i
        for i, s in enumerate(strings)
        if s and OSA.normalized_similarity(query, s) >= bar - ROUNDING
    ]


@settings(max_examples=400, deadline=None)
@given(
    strings=st.lists(words, min_size=1, max_size=60), queries=st.lists(words, max_size=8), bar=bars
)
def test_within_is_a_comparison_with_every_string(
    strings: list[str], queries: list[str], bar: float
) -> None:
    index = StringIndex.build(strings)
    for query in [*queries, *strings[:4]]:
        assert sorted(index.within(query, bar)) == brute_force(strings, query, bar)


@settings(max_examples=100, deadline=None)
@given(
    strings=st.lists(words, min_size=1, max_size=60), queries=st.lists(words, max_size=12), bar=bars
)
def test_many_queries_at_once_find_what_each_finds(
    strings: list[str], queries: list[str], bar: float
) -> None:
    index = StringIndex.build(strings)
    many = index.within_many(queries, bar, workers=2)
    assert [sorted(m) for m in many] == [sorted(index.within(q, bar)) for q in queries]


def test_one_edit_of_any_kind_is_found_among_thousands() -> None:
    names = [f"{a} {b}" for a in ("OCEAN", "SEA", "GOLDEN", "NORDIC") for b in range(1000)]
    index = StringIndex.build(names)
    target = names.index("NORDIC 417")
    for variant in ("NORDIC 417", "NORDIK 417", "NORDC 417", "NORDIIC 417", "NODRIC 417"):
        assert target in index.within(variant, 0.85), variant
    assert target not in index.within("NORDIC 418", 0.95)


def test_identical_strings_are_indexed_once_and_all_returned() -> None:
    index = StringIndex.build(["LADY R", "MAIA 1", "LADY R", ""])
    assert len(index.distinct) == 2
    assert sorted(index.within("LADY R", 0.9)) == [0, 2]
    assert index.within("", 0.5) == []
