"""The fuzzy retrieval finds exactly the listed strings a comparison with every one would find."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from service import retrieval
from service.retrieval import ROUNDING, StringIndex, _tagged_bigrams_of_all, tagged_bigrams

# A small alphabet makes near neighbours common, which is where a filter could lose one.
ALPHABET = "ABRT 17"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=16)
bars = st.sampled_from([1.0, 0.95, 0.9, 0.8, 0.75, 0.65, 0.5, 0.3, 0.0])
# Queries may be empty, hold characters no listed string has, or repeat a bigram.
query_words = st.text(alphabet=ALPHABET + "XÉ\U0001f6a2", max_size=16)
# The batch path's pass and slice sizes, small enough that a handful of strings needs several
# passes, long slices and short ones, and several blocks of queries.
tunings = st.fixed_dictionaries(
    {
        "COUNTS_PER_PASS": st.sampled_from([1, 7, 60, 100_000]),
        "LONG_SLICE": st.sampled_from([1, 2, 4, 256]),
        "QUERIES_PER_BLOCK": st.sampled_from([1, 3, 4096]),
    }
)


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
    strings=st.lists(words, min_size=1, max_size=60),
    queries=st.lists(query_words, max_size=12),
    bar=bars,
    tuning=tunings,
    pairs_per_call=st.sampled_from([1, 5, 100_000]),
)
def test_many_queries_at_once_find_what_each_finds(
    strings: list[str], queries: list[str], bar: float, tuning: dict[str, Any], pairs_per_call: int
) -> None:
    index = StringIndex.build(strings)
    queries = [*queries, *strings[:3]]
    with mock.patch.multiple(retrieval, PAIRS_PER_CALL=pairs_per_call, **tuning):
        many = index.within_many(queries, bar, workers=2)
    assert [sorted(m) for m in many] == [sorted(index.within(q, bar)) for q in queries]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    strings=st.lists(words, min_size=1, max_size=60),
    queries=st.lists(query_words, max_size=12),
    bar=bars,
    tuning=tunings,
)
def test_candidates_of_many_queries_are_those_of_each(
    strings: list[str], queries: list[str], bar: float, tuning: dict[str, Any]
) -> None:
    index = StringIndex.build(strings)
    queries = [*queries, "", "AAAA", "ABABAB", *strings[:3]]
    with mock.patch.multiple(retrieval, **tuning):
        many = index.candidates_many(queries, bar)
    assert len(many) == len(queries)
    for query, found in zip(queries, many, strict=True):
        one = index.candidates(query, bar)
        assert found.dtype == one.dtype
        assert found.tolist() == one.tolist(), query


@settings(derandomize=True)
@given(texts=st.lists(query_words, max_size=8))
def test_bigrams_of_many_texts_are_those_of_each(texts: list[str]) -> None:
    texts = [*texts, "AAAAAA", "\ud800A\ud800A", "\x02\x03"]
    codes, owner = _tagged_bigrams_of_all(texts)
    assert codes.tolist() == [g for t in texts for g in tagged_bigrams(t)]
    assert owner.tolist() == [i for i, t in enumerate(texts) for _ in tagged_bigrams(t)]


def test_a_bigram_repeated_past_the_tag_limit_is_tagged_alike() -> None:
    long = "A" * (retrieval._MAX_REPEAT + 50)
    codes, _ = _tagged_bigrams_of_all([long, "AA"])
    assert codes.tolist() == tagged_bigrams(long) + tagged_bigrams("AA")
    index = StringIndex.build([long[:-3], "AA", "AAA"])
    for bar in (1.0, 0.99, 0.5):
        many = index.candidates_many([long, "AAAA", "ZZ"], bar)
        assert [m.tolist() for m in many] == [
            index.candidates(q, bar).tolist() for q in (long, "AAAA", "ZZ")
        ]


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


@settings(max_examples=100, deadline=None)
@given(strings=st.lists(words, min_size=1, max_size=40), queries=st.lists(words, max_size=6))
def test_candidates_read_from_the_utf8_buffer_or_the_fixed_width_copy_alike(
    strings: list[str], queries: list[str]
) -> None:
    padded = StringIndex.build(strings)
    with mock.patch.object(retrieval, "PADDED_MAX_BYTES", 0):
        unpadded = StringIndex.build(strings)
    assert padded.padded is not None and unpadded.padded is None
    every = list(range(len(padded.distinct)))
    assert padded.texts(every) == unpadded.texts(every) == list(padded.distinct)
    for query in queries:
        assert sorted(unpadded.within(query, 0.8)) == brute_force(strings, query, 0.8)
        assert padded.within(query, 0.8) == unpadded.within(query, 0.8)


def test_strings_a_fixed_width_array_would_cut_are_read_from_the_buffer() -> None:
    strings = ["LADY R\0", "LADY R", "ЛЕДИ Р", "a\udcff"]
    index = StringIndex.build(strings)
    assert index.padded is None  # a trailing NUL would be lost
    assert sorted(index.within("LADY R", 0.8)) == brute_force(strings, "LADY R", 0.8)
    assert StringIndex.build(strings[1:]).texts([0, 1, 2]) == sorted(strings[1:], key=len)
