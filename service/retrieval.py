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

Many queries at once (`within_many`, `candidates_many`) are counted together rather than one
`bincount` each: their bigrams are found with a few array operations on all of them, their
windows of possible lengths are laid end to end in one array of counters, and one `bincount`
over every posting slice of a pass of queries counts them all. The (query, candidate) pairs are
then scored in rapidfuzz's batch call. The answer is the same as a query at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import cast

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from service.packed import Strings

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
# Many queries' shared bigrams are counted a pass of queries at a time, of about this many
# counters and posting entries (int64): a megabyte or two, which stays in cache (measured: much
# larger passes are slower). A query needing more than that is a pass of its own.
COUNTS_PER_PASS = 100_000
# A posting-list slice this long is copied on its own (one call, a memory copy); shorter ones
# are gathered all together by one index array, which costs nothing per slice but more per entry.
LONG_SLICE = 256
# Queries set up together: bounds the arrays of their bigrams and slices, whatever the batch.
QUERIES_PER_BLOCK = 4096
# The distinct strings are also kept as one fixed-width array (4 bytes a character, each as
# long as the longest) where that takes at most this much: gathering a query's candidates
# from it is about three times quicker than from the UTF-8 buffer. Vessel names fit (some 20
# MB at 100,000 vessels, shared by the workers); a million company names would not.
PADDED_MAX_BYTES = 64 << 20


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
    """`tagged_bigrams` of every text at once, in order, with the number of the text each
    belongs to (so ascending)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    joined = "".join(f"{_START}{t}{_END}" for t in texts)
    # surrogatepass: a lone surrogate is a code point like any other to `tagged_bigrams`.
    utf32 = joined.encode("utf-32-le", "surrogatepass")
    chars = np.frombuffer(utf32, dtype=np.uint32).astype(np.int64)
    # A bigram starts at every character but the last of each padded text.
    last = np.cumsum(lengths + 2) - 1
    starts = np.ones(len(chars), dtype=bool)
    starts[last] = False
    at = np.flatnonzero(starts)
    codes = (chars[at] << 21 | chars[at + 1]) << _REPEAT_BITS
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)
    # The repeat number of each bigram within its text: its rank among the text's equal
    # bigrams, by position. A stable sort by bigram keeps equal bigrams in text order, and
    # those of one text next to each other.
    order = np.argsort(codes, kind="stable")
    ranked, by = codes[order], owner[order]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = (ranked[1:] != ranked[:-1]) | (by[1:] != by[:-1])
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(codes)), 0))
    repeat = np.empty_like(codes)
    repeat[order] = np.minimum(np.arange(len(codes)) - run_start, _MAX_REPEAT)
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

    # Every field is a numpy array or `packed.Strings` (no Python object per string), so that
    # forked workers share them and a snapshot maps them (see service/packed.py).
    distinct: Strings  # by (length, text)
    # The listed strings each distinct one stands for: those of distinct string d are
    # member_order[member_starts[d] : member_starts[d + 1]].
    member_order: np.ndarray  # int32
    member_starts: np.ndarray  # int64
    lengths: np.ndarray  # int64, per distinct string
    first_of_length: np.ndarray  # number of the first distinct string at least this long
    # Every posting list in one array, the lists one after another by gram number, each
    # ascending; `keyed` holds gram number * len(distinct) + string number, so one
    # `searchsorted` finds where every query gram's slice of a length range begins and ends,
    # and an entry less its gram number * len(distinct) is the string number.
    grams: np.ndarray  # int64: the tagged bigrams, ascending, so that gram number n is grams[n]
    keyed: np.ndarray  # int64
    # `distinct` as a fixed-width unicode array (see PADDED_MAX_BYTES), or None.
    padded: np.ndarray | None = None
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
        keyed = np.searchsorted(numbers, grams) * max(1, len(distinct)) + owner
        del grams, owner
        keyed.sort()
        padded = None
        # A trailing NUL would be lost in a fixed-width array; such a string is never a name.
        fits = len(distinct) * longest * 4 <= PADDED_MAX_BYTES
        if distinct and fits and not any("\0" in t for t in distinct):
            padded = np.array(distinct, dtype=f"<U{longest}")
        return cls(
            distinct=Strings.build(distinct),
            member_order=order.astype(np.int32),
            member_starts=starts.astype(np.int64),
            lengths=lengths,
            first_of_length=np.searchsorted(lengths, np.arange(longest + 2), side="left"),
            grams=numbers,
            keyed=keyed,
            padded=padded,
        )

    def texts(self, picked: Sequence[int] | np.ndarray) -> list[str]:
        """The distinct strings numbered `picked`, in order."""
        if self.padded is not None:
            return cast(list[str], self.padded[np.asarray(picked, dtype=np.int64)].tolist())
        return self.distinct.take(picked.tolist() if isinstance(picked, np.ndarray) else picked)

    def members(self, d: int) -> list[int]:
        """The listed strings distinct string `d` stands for."""
        a, b = self.member_starts[d : d + 2].tolist()
        return self.member_order[a:b].tolist()

    def _gram_numbers(self, text: str) -> list[int]:
        """The gram numbers of the tagged bigrams of `text` that the index holds."""
        codes = np.array(tagged_bigrams(text), dtype=np.int64)
        at = np.searchsorted(self.grams, codes)
        held = at < len(self.grams)
        held[held] = self.grams[at[held]] == codes[held]
        return at[held].tolist()

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
        d = len(self.distinct)
        found = [n * d for n in self._gram_numbers(query)]
        if found:
            k = len(found)
            bounds = np.searchsorted(
                self.keyed, [n + start for n in found] + [n + stop for n in found]
            ).tolist()
            lo, hi = bounds[:k], bounds[k:]
            total = sum(hi) - sum(lo)
            if total:
                # Each slice, less its gram's base and the window's start (counters from 0),
                # written straight into one array: one pass over the postings, no copy.
                touched = np.empty(total, dtype=np.int64)
                keyed, at = self.keyed, 0
                for a, b, n in zip(lo, hi, found, strict=True):
                    if b > a:
                        np.subtract(keyed[a:b], n + start, out=touched[at : at + b - a])
                        at += b - a
                shared = np.bincount(touched, minlength=stop - start)
                return np.flatnonzero(shared >= need) + start
        return np.flatnonzero(need <= 0) + start

    def candidates_many(self, queries: Sequence[str], bar: float) -> list[np.ndarray]:
        """`candidates` of every query (the same arrays), counted for many queries at once."""
        return list(self._candidates_of_many(queries, bar))

    def _candidates_of_many(self, queries: Sequence[str], bar: float) -> Iterator[np.ndarray]:
        """`candidates` of each query in turn, `QUERIES_PER_BLOCK` queries set up at a time."""
        for begin in range(0, len(queries), QUERIES_PER_BLOCK):
            yield from self._candidates_of_block(queries[begin : begin + QUERIES_PER_BLOCK], bar)

    def _candidates_of_block(self, queries: Sequence[str], bar: float) -> Iterator[np.ndarray]:
        """`candidates` of each query in turn: the posting slices of every query found with a
        few array operations, then counted a pass of queries at a time (see `_pass`)."""
        count = len(queries)
        windows = [self._window(len(query), bar) for query in queries]
        starts = np.fromiter((w[0] for w in windows), dtype=np.int64, count=count)
        widths = np.fromiter((w[1] - w[0] for w in windows), dtype=np.int64, count=count)
        # The tagged bigrams of every query that the index holds, as gram numbers, with their
        # query (ascending); a query with no string of a length it can meet needs none.
        codes, owner = _tagged_bigrams_of_all(queries)
        gram = np.searchsorted(self.grams, codes)
        held = gram < len(self.grams)
        held[held] = self.grams[gram[held]] == codes[held]
        held &= widths[owner] > 0
        gram, owner = gram[held], owner[held]
        # Where each gram's posting list enters and leaves its query's window (as `candidates`
        # finds them). searchsorted is several times quicker on keys in order.
        first = gram * len(self.distinct) + starts[owner]
        ends = np.concatenate((first, first + widths[owner]))
        order = np.argsort(ends)
        bounds = np.empty_like(ends)
        bounds[order] = np.searchsorted(self.keyed, ends[order])
        lo, hi = bounds[: len(gram)], bounds[len(gram) :]
        some = hi > lo
        lo, hi, owner, gram = lo[some], hi[some], owner[some], gram[some]
        # Cut into passes of about COUNTS_PER_PASS counters and posting entries; owner ascends,
        # so the slices of a pass's queries are one range of rows.
        cost = widths + np.bincount(owner, weights=hi - lo, minlength=count).astype(np.int64)
        rows = np.searchsorted(owner, np.arange(count + 1)).tolist()
        cuts, total = [0], 0
        for q, c in enumerate(cost.tolist()):
            if total and total + c > COUNTS_PER_PASS:
                cuts.append(q)
                total = 0
            total += c
        cuts.append(count)
        for begin, end in pairwise(cuts):
            a, b = rows[begin], rows[end]
            yield from self._pass(
                windows[begin:end], lo[a:b], hi[a:b], owner[a:b] - begin, gram[a:b]
            )

    def _pass(
        self,
        windows: Sequence[tuple[int, int, np.ndarray]],
        lo: np.ndarray,
        hi: np.ndarray,
        owner: np.ndarray,
        gram: np.ndarray,
    ) -> Iterator[np.ndarray]:
        """`candidates` of some queries, given their `windows` and their posting slices
        keyed[lo:hi] of gram number `gram`, those of query `owner` (numbered from 0 here).

        The queries' windows lie end to end in one array of counters, query i's string s at
        offsets[i] + s - starts[i], so that one `bincount` over all the slices counts what
        `candidates` counts a query at a time.
        """
        count = len(windows)
        starts = np.fromiter((w[0] for w in windows), dtype=np.int64, count=count)
        widths = np.fromiter((w[1] - w[0] for w in windows), dtype=np.int64, count=count)
        ends = np.cumsum(widths)
        offsets = ends - widths
        # From a `keyed` entry to its counter, per slice: less the gram's base (to the string
        # number), then from string number to counter.
        shift = (offsets - starts)[owner] - gram * len(self.distinct)
        sizes = hi - lo
        keys = np.empty(int(sizes.sum()), dtype=np.int64)
        ids = self.keyed
        long = sizes >= LONG_SLICE
        at = 0
        for a, b, s in zip(lo[long].tolist(), hi[long].tolist(), shift[long].tolist(), strict=True):
            np.add(ids[a:b], s, out=keys[at : at + b - a])
            at += b - a
        # The short slices, gathered with one index array (a ragged range): slice i fills the
        # gathered run from place[i], the sizes of the slices before it, and the run's entry
        # place[i] + j is ids[lo[i] + j]; so the index array is 0, 1, 2, ... plus lo[i] - place[i]
        # repeated over slice i.
        short = ~long
        sizes, lo, shift = sizes[short], lo[short], shift[short]
        place = np.cumsum(sizes) - sizes
        where = np.arange(len(keys) - at, dtype=np.int64)
        where += np.repeat(lo - place, sizes)
        np.add(ids[where], np.repeat(shift, sizes), out=keys[at:])
        shared = np.bincount(keys, minlength=int(ends[-1]))
        # Every string of every window is compared, as in `candidates`: one whose need is 0 or
        # less passes without sharing a bigram.
        needs = [need for _, _, need in windows]
        hits = np.flatnonzero(shared >= (needs[0] if count == 1 else np.concatenate(needs)))
        # Back from counters to string numbers, query by query.
        before, after = np.searchsorted(hits, offsets), np.searchsorted(hits, ends)
        strings = hits + np.repeat(starts - offsets, after - before)
        yield from (strings[a:b] for a, b in zip(before.tolist(), after.tolist(), strict=True))

    def within(self, query: str, bar: float) -> list[int]:
        """Listed string numbers whose OSA similarity to `query` reaches `bar`."""
        ids = self.candidates(query, bar)
        if len(ids) == 0:
            return []
        picked = ids.tolist()
        texts = self.texts(ids)
        members = self.members
        cutoff = bar - ROUNDING
        if len(picked) <= FEW:
            similarity = OSA.normalized_similarity
            return [
                m
                for i, text in zip(picked, texts, strict=True)
                if similarity(query, text) >= cutoff
                for m in members(i)
            ]
        scores = process.cdist(
            [query],
            texts,
            scorer=OSA.normalized_similarity,
            score_cutoff=max(bar - ROUNDING, 0.0),
            dtype=np.float32,
        )[0]
        keep = np.flatnonzero(scores >= cutoff).tolist()
        return [m for j in keep for m in members(picked[j])]

    def within_many(self, queries: Sequence[str], bar: float, workers: int = -1) -> list[list[int]]:
        """`within` for many queries: their candidates found together (`candidates_many`), and
        the (query, candidate) pairs of many queries scored together in rapidfuzz's `cpdist` on
        `workers` threads, `PAIRS_PER_CALL` at a time."""
        out: list[list[int]] = []
        batch: list[np.ndarray] = []
        begin, pending = 0, 0
        for q, found in enumerate(self._candidates_of_many(queries, bar)):
            batch.append(found)
            pending += len(found)
            if pending >= PAIRS_PER_CALL:
                out.extend(self._score_pairs(queries[begin : q + 1], batch, bar, workers))
                batch, begin, pending = [], q + 1, 0
        out.extend(self._score_pairs(queries[begin:], batch, bar, workers))
        return out

    def _score_pairs(
        self, queries: Sequence[str], found: Sequence[np.ndarray], bar: float, workers: int
    ) -> list[list[int]]:
        """For each i, the listed strings among `found[i]` reaching `bar` against `queries[i]`."""
        sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        if not sizes.any():
            return [[] for _ in found]
        flat = np.concatenate(found)
        # Gathered from object arrays rather than by a Python loop over the pairs.
        scores = process.cpdist(
            np.repeat(np.array(queries, dtype=object), sizes).tolist(),
            self.texts(flat),
            scorer=OSA.normalized_similarity,
            score_cutoff=max(bar - ROUNDING, 0.0),
            dtype=np.float32,
            workers=workers,
        )
        keep = scores >= bar - ROUNDING
        kept = flat[keep].tolist()
        # Query i's kept pairs are kept[cuts[i] : cuts[i + 1]].
        cuts = np.concatenate(([0], np.cumsum(keep)))[np.cumsum(sizes) - sizes].tolist()
        cuts.append(len(kept))
        members = self.members
        return [[m for d in kept[a:b] for m in members(d)] for a, b in pairwise(cuts)]
