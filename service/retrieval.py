"""Fuzzy retrieval: every listed string within an edit similarity of a query, without comparing
the query with every listed string.

The matcher's name score is an optimal-string-alignment similarity (`1 - distance / longer
length`; a transposition is one edit). A name can only reach a bar `b` if its distance to the
query is at most `k = (1 - b) * L`, L the longer length. Two strings that far apart still share
many bigrams: each edit touches at most three of the longer string's bigrams (a transposition
three, a substitution or deletion two, an insertion one), so with one pad character at each end
(L + 1 bigrams) they share at least `L + 1 - 3k` of them, counted with repeats. And their
lengths differ by at most k. Those two bounds are exact filters: an inverted index from bigram
to names counts, for every name at once, how many bigrams it shares with the query (one numpy
`bincount`), keeps the names that could reach the bar, and rapidfuzz then scores only those.
The answer is the same set a comparison with every listed string would give, at a cost that
grows with the names sharing bigrams with the query rather than with the list; where the bar
is so low that the bound says nothing (every length's threshold below one), it degrades to
scoring every name of a possible length, which is still exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Scores are rounded to four places before they are compared with a bar, so a name a hair
# under the bar may still be kept; the filters keep everything within this much of it.
ROUNDING = 1e-4
_START, _END = "\x02", "\x03"
# A tagged bigram keeps its repeat number in its low bits; a name repeating one bigram more
# than 4,095 times is not a name.
_REPEAT_BITS = 12
_MAX_REPEAT = (1 << _REPEAT_BITS) - 1
_EMPTY = np.zeros(0, dtype=np.int64)
# Pairs scored by one batch call: enough that rapidfuzz's per-call cost is nothing, few enough
# that the pairs' strings and scores stay a few megabytes.
PAIRS_PER_CALL = 100_000
# Up to this many candidates, scoring them one call each is quicker than one batch call.
FEW = 24


def tagged_bigrams(text: str) -> list[int]:
    """The padded string's bigrams as numbers, the n-th repeat of one tagged with n, so that
    counting shared tags counts shared bigrams with their multiplicity. A bigram (a, b) with
    repeat n is `(ord(a) << 21 | ord(b)) << 12 | n`, as `_tagged_bigrams_of_all` computes it."""
    padded = f"{_START}{text}{_END}"
    codes = [ord(ch) for ch in padded]
    grams = [(a << 21 | b) << _REPEAT_BITS for a, b in pairwise(codes)]
    if len(set(grams)) == len(grams):  # the usual case: no bigram repeats
        return grams
    seen: dict[int, int] = {}
    for i, gram in enumerate(grams):
        n = seen.get(gram, 0)
        seen[gram] = n + 1
        grams[i] = gram | min(n, _MAX_REPEAT)
    return grams


def _tagged_bigrams_of_all(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """`tagged_bigrams` of every text at once, with the number of the text each belongs to."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    joined = "".join(f"{_START}{t}{_END}" for t in texts)
    chars = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    # A bigram starts at every character but the last of each padded text.
    last = np.cumsum(lengths + 2) - 1
    starts = np.ones(len(chars), dtype=bool)
    starts[last] = False
    at = np.flatnonzero(starts)
    codes = (chars[at] << 21 | chars[at + 1]) << _REPEAT_BITS
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)
    # The repeat number of each bigram within its text: its rank among equal bigrams of the
    # text, in order of position (lexsort is stable).
    order = np.lexsort((codes, owner))
    codes, owner = codes[order], owner[order]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(codes)), 0))
    repeat = np.minimum(np.arange(len(codes)) - run_start, _MAX_REPEAT)
    return codes | repeat, owner


def max_edits(bar: float, length: int | np.ndarray) -> np.ndarray:
    """The most edits two strings, the longer of `length`, may differ by and still score `bar`."""
    return np.floor((1.0 - (bar - ROUNDING)) * np.asarray(length) + 1e-9).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class StringIndex:
    """Listed strings (one per listed name) and a bigram index over the distinct ones.

    Distinct strings are numbered by length, so that the strings of the lengths a query can
    meet are one range of numbers, and each posting list (ascending) holds them as one slice.
    """

    distinct: tuple[str, ...]  # by (length, text)
    # The listed strings each distinct one stands for: those of distinct string d are
    # member_order[member_starts[d] : member_starts[d + 1]].
    member_order: list[int]
    member_starts: list[int]
    lengths: np.ndarray  # int64, per distinct string
    first_of_length: np.ndarray  # number of the first distinct string at least this long
    # Every posting list in one array, the lists one after another by gram number, each
    # ascending; `keyed` holds gram number * len(distinct) + string number, so one
    # `searchsorted` finds where every query gram's slice of a length range begins and ends.
    gram_numbers: dict[int, int]  # tagged bigram (see `tagged_bigrams`) -> gram number
    keyed: np.ndarray  # int64
    ids: np.ndarray  # int32: the string number of each entry of `keyed`
    _windows: dict[tuple[int, float], tuple[int, int, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, strings: Iterable[str]) -> StringIndex:
        texts = list(strings)
        # Sorted by text, then (stable) by length: by (length, text), with C comparisons only.
        distinct = tuple(sorted(sorted(set(texts) - {""}), key=len))
        number = {t: d for d, t in enumerate(distinct)}
        owners = np.fromiter((number.get(t, -1) for t in texts), dtype=np.int64, count=len(texts))
        order = np.argsort(owners, kind="stable")
        order = order[owners[order] >= 0]  # empty strings are not indexed
        starts = np.searchsorted(owners[order], np.arange(len(distinct) + 1))
        lengths = np.fromiter((len(t) for t in distinct), dtype=np.int64, count=len(distinct))
        longest = int(lengths[-1]) if len(distinct) else 0
        grams, owner = _tagged_bigrams_of_all(distinct)
        numbers = np.unique(grams)
        keyed = np.sort(np.searchsorted(numbers, grams) * max(1, len(distinct)) + owner)
        return cls(
            distinct=distinct,
            member_order=order.tolist(),
            member_starts=starts.tolist(),
            lengths=lengths,
            first_of_length=np.searchsorted(lengths, np.arange(longest + 2), side="left"),
            gram_numbers=dict(zip(numbers.tolist(), range(len(numbers)), strict=True)),
            keyed=keyed,
            ids=(keyed % max(1, len(distinct))).astype(np.int32),
        )

    def members(self, d: int) -> list[int]:
        """The listed strings distinct string `d` stands for."""
        return self.member_order[self.member_starts[d] : self.member_starts[d + 1]]

    def _window(self, lq: int, bar: float) -> tuple[int, int, np.ndarray]:
        """For a query of length `lq`: the range of distinct strings of a length it can meet at
        `bar`, and for each of them the bigrams it must share (by the longer of the two)."""
        window = self._windows.get((lq, bar))
        if window is None:
            top = len(self.first_of_length) - 1  # one past the longest listed length
            low = max(0, math.ceil(lq * (bar - ROUNDING) - 1e-9))
            high = min(math.floor(lq / max(bar - ROUNDING, 1e-9) + 1e-9), top - 1)
            if lq == 0 or low > high:
                window = (0, 0, _EMPTY)
            else:
                start, stop = int(self.first_of_length[low]), int(self.first_of_length[high + 1])
                span = np.maximum(self.lengths[start:stop], lq)
                window = (start, stop, span + 1 - 3 * max_edits(bar, span))
            if len(self._windows) < 4096:  # query lengths times bars: a few hundred at most
                self._windows[(lq, bar)] = window
        return window

    def candidates(self, query: str, bar: float) -> np.ndarray:
        """Distinct string numbers (ascending) that pass the length and shared-bigram filters
        for `query` at `bar`: a superset of those whose similarity reaches the bar."""
        start, stop, need = self._window(len(query), bar)
        if start >= stop:
            return _EMPTY
        numbers = self.gram_numbers
        d = len(self.distinct)
        found = [n * d for g in tagged_bigrams(query) if (n := numbers.get(g)) is not None]
        if found:
            bounds = np.searchsorted(
                self.keyed, [n + start for n in found] + [n + stop for n in found]
            ).tolist()
            ids = self.ids
            k = len(found)
            slices = [ids[a:b] for a, b in zip(bounds[:k], bounds[k:], strict=True) if b > a]
            if slices:
                touched = np.concatenate(slices) if len(slices) > 1 else slices[0]
                shared = np.bincount(touched - start, minlength=stop - start)
                return np.flatnonzero(shared >= need) + start
        return np.flatnonzero(need <= 0) + start

    def within(self, query: str, bar: float) -> list[int]:
        """Listed string numbers whose OSA similarity to `query` reaches `bar`."""
        ids = self.candidates(query, bar)
        if len(ids) == 0:
            return []
        picked = ids.tolist()
        distinct = self.distinct
        members = self.members
        cutoff = bar - ROUNDING
        if len(picked) <= FEW:
            similarity = OSA.normalized_similarity
            return [
                m for i in picked if similarity(query, distinct[i]) >= cutoff for m in members(i)
            ]
        scores = process.cdist(
            [query],
            [distinct[i] for i in picked],
            scorer=OSA.normalized_similarity,
            score_cutoff=max(bar - ROUNDING, 0.0),
            dtype=np.float32,
        )[0]
        keep = np.flatnonzero(scores >= cutoff).tolist()
        return [m for j in keep for m in members(picked[j])]

    def within_many(self, queries: Sequence[str], bar: float, workers: int = -1) -> list[list[int]]:
        """`within` for many queries: the (query, candidate) pairs of many queries are scored
        together in rapidfuzz's `cpdist` on `workers` threads, `PAIRS_PER_CALL` at a time."""
        out: list[list[int]] = []
        batch: list[tuple[str, np.ndarray]] = []
        pending = 0
        for query in queries:
            found = self.candidates(query, bar)
            batch.append((query, found))
            pending += len(found)
            if pending >= PAIRS_PER_CALL:
                out.extend(self._score_pairs(batch, bar, workers))
                batch, pending = [], 0
        out.extend(self._score_pairs(batch, bar, workers))
        return out

    def _score_pairs(
        self, batch: Sequence[tuple[str, np.ndarray]], bar: float, workers: int
    ) -> list[list[int]]:
        sizes = [len(found) for _, found in batch]
        if not sum(sizes):
            return [[] for _ in batch]
        flat = np.concatenate([found for _, found in batch])
        distinct = self.distinct
        scores = process.cpdist(
            [query for query, found in batch for _ in range(len(found))],
            [distinct[i] for i in flat.tolist()],
            scorer=OSA.normalized_similarity,
            score_cutoff=max(bar - ROUNDING, 0.0),
            dtype=np.float32,
            workers=workers,
        )
        keep = scores >= bar - ROUNDING
        members = self.members
        out: list[list[int]] = []
        begin = 0
        for size in sizes:
            part = flat[begin : begin + size][keep[begin : begin + size]]
            out.append([m for d in part.tolist() for m in members(d)])
            begin += size
        return out
