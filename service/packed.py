"""Read-only storage for the index's hundreds of thousands of values without a Python object
for each: one byte buffer with offsets, or a few numpy arrays.

A screening index at 100,000 vessels and a million listed companies held as Python objects
takes gigabytes, and every worker forked from the master touches those objects' pages (a
reference count changes whenever one is read), so each worker ends up with its own copy. Here
every value lives in numpy arrays, which reading never writes to; `snapshot` maps them from a
file, so that the workers share one copy in the page cache and read from it only what a query
needs. A value is made into a Python object when it is asked for:

- `Strings`: strings as UTF-8 in one buffer;
- `Records`: any picklable values, one pickle each in one buffer (a few recently read are
  kept, since a query reads its candidates several times);
- `Ragged`: a tuple of ints per position (a vessel's name entries);
- `KeyMap`: string -> tuple of ints (the identifier and name-form look-ups), by a stable
  64-bit hash of the key, with the key itself kept to rule out a collision; `KeyNumbers` the
  same with one int a key.

Each is a `Sequence` (slices give lists), pickles its arrays alone (protocol 5 passes them out of
band, so a snapshot maps them back without a copy), and is never changed once built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import operator
import pickle
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast, overload

import numpy as np

T = TypeVar("T")

# Values of a `Records` kept once unpickled, per `Records` and process: the candidates of the
# last few queries (unpickling a vessel takes some 10 us, and a query on a list of 100,000 reads
# dozens), a few megabytes of one worker's memory. (Measured: keeping four times as many gains
# nothing on a mix of 20,000 different queries.)
CACHE = 4096
_NONE: tuple[int, ...] = ()


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    """A frozen, slotted dataclass from its fields' values, each set through its slot (what the
    dataclass's own `__setstate__` does, without looking its fields up every time)."""
    obj: Any = object.__new__(cls)
    for slot, value in zip(_slots(cls), values, strict=True):
        slot.__set__(obj, value)
    return obj


_SLOTS: dict[type, tuple[Any, ...] | None] = {}


def _slots(cls: type) -> tuple[Any, ...]:
    found = _slots_of(cls)
    assert found is not None
    return found


def _slots_of(cls: type) -> tuple[Any, ...] | None:
    """The slot of each field of a slotted dataclass, in field order; None for any other type."""
    if cls in _SLOTS:
        return _SLOTS[cls]
    found: tuple[Any, ...] | None = None
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        slots = tuple(getattr(cls, f.name, None) for f in dataclasses.fields(cls))
        if all(isinstance(s, types.MemberDescriptorType) for s in slots):
            found = slots
    _SLOTS[cls] = found
    return found


class _Pickler(pickle.Pickler):
    """Pickles a slotted dataclass (a vessel, its names, a company) as a call with its fields'
    values, in field order: to the class itself where its `__init__` makes an equal object of
    them (a plain dataclass `__init__`: 0.45 us for a VesselName, 1.1 us for a NormalizedName),
    else to `_rebuild` (1.1 and 1.7 us); either is several times quicker to unpickle than the
    dataclass's `__setstate__`. A query unpickles some fifty of these."""

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        how = _HOW.get(cls, _UNSEEN)
        if how is _UNSEEN:
            how = _HOW[cls] = _how_to_pickle(cls, obj)
        if how is None:
            return NotImplemented
        by_init, values = how
        return (cls, values(obj)) if by_init else (_rebuild, (cls, values(obj)))


_Values = Callable[[Any], tuple[Any, ...]]
_UNSEEN: Any = object()
# Per class: (whether its own __init__ makes it again, its fields' values), or None when it is
# not a slotted dataclass and pickles as usual.
_HOW: dict[type, tuple[bool, _Values] | None] = {}


def _how_to_pickle(cls: type, obj: Any) -> tuple[bool, _Values] | None:
    if _slots_of(cls) is None:
        return None
    fields = dataclasses.fields(cls)
    # One C call for every field's value (a tuple even for a single field).
    getter = operator.attrgetter(*(f.name for f in fields))
    values: _Values = getter if len(fields) > 1 else lambda o: (getter(o),)
    params = getattr(cls, "__dataclass_params__", None)
    plain = (
        params is not None
        and params.init
        and params.eq
        and all(f.init for f in fields)
        and not hasattr(cls, "__post_init__")
    )
    if plain:
        try:
            plain = cls(*values(obj)) == obj
        except Exception:  # an __init__ that wants something else: set the slots instead
            plain = False
    return bool(plain), values


def _offsets(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _buffer(data: bytes) -> np.ndarray:
    # A copy the array owns (bytes objects are not shared with a snapshot's out-of-band buffers).
    return np.frombuffer(data, dtype=np.uint8).copy() if data else np.zeros(0, dtype=np.uint8)


class _Packed(Sequence[T]):
    """The shared part: `offsets` (int64, one more than values) into the buffer `data`."""

    __slots__ = ("_view", "data", "offsets")

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        self.data = data
        self.offsets = offsets
        self._view = memoryview(cast(bytes, data)) if len(data) else memoryview(b"")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data, self.offsets))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _raw(self, i: int) -> memoryview:
        n = len(self.offsets) - 1
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for {n} values")
        a, b = self.offsets[i : i + 2].tolist()
        return self._view[a:b]

    def _one(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._one(j) for j in range(*i.indices(len(self)))]
        return self._one(int(i))

    def __iter__(self) -> Iterator[T]:
        return (self._one(i) for i in range(len(self)))

    def nbytes(self) -> int:
        return int(self.data.nbytes + self.offsets.nbytes)


class Strings(_Packed[str]):
    """Strings, UTF-8 in one buffer (lone surrogates kept, as Python strings may hold them)."""

    __slots__ = ("nul",)

    def __init__(self, data: np.ndarray, offsets: np.ndarray, nul: bool = True) -> None:
        super().__init__(data, offsets)
        self.nul = nul  # whether a string holds a NUL (then `take` reads them one at a time)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Strings, (self.data, self.offsets, self.nul))

    @classmethod
    def build(cls, texts: Iterable[str]) -> Strings:
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        joined = b"".join(encoded)
        return cls(_buffer(joined), _offsets(lengths), b"\0" in joined)

    def _one(self, i: int) -> str:
        return str(self._raw(i), "utf-8", "surrogatepass")

    def take(self, numbers: Sequence[int]) -> list[str]:
        """The strings at `numbers`, in order: their bytes gathered with a few array operations
        and decoded at once, a NUL after each (a buffer holding a NUL is read one at a time)."""
        if len(numbers) < 8 or self.nul:
            return [self._one(int(i)) for i in numbers]
        at = np.asarray(numbers, dtype=np.int64)
        starts = self.offsets[at]
        sizes = self.offsets[at + 1] - starts
        before = np.cumsum(sizes) - sizes
        total = int(sizes.sum())
        # The k-th byte gathered is the string's own byte starts + (k - before); it goes to k
        # plus one place for each NUL before it (one after each string before its own).
        shift = np.repeat(np.arange(len(at), dtype=np.int64), sizes)
        source = np.arange(total, dtype=np.int64) + np.repeat(starts - before, sizes)
        out = np.zeros(total + len(at), dtype=np.uint8)
        out[np.arange(total, dtype=np.int64) + shift] = self.data[source]
        return str(out.tobytes(), "utf-8", "surrogatepass").split("\0")[:-1]


class Records(_Packed[T], Generic[T]):
    """Picklable values, one pickle each; the last `CACHE` read are kept unpickled.

    Pickles are stored as they are: deflating each against a dictionary takes a sixth of the
    bytes but costs some 50 us a record to write (a minute of a cold start at 100,000
    vessels), while the records a query reads are a few pages of the mapped file.
    """

    __slots__ = ("_cache",)

    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        super().__init__(data, offsets)
        self._cache: OrderedDict[int, T] = OrderedDict()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Records, (self.data, self.offsets))

    @classmethod
    def pack(cls, values: Iterable[T]) -> Records[T]:
        out = io.BytesIO()
        pickler = _Pickler(out, pickle.HIGHEST_PROTOCOL)
        ends = []
        for v in values:
            pickler.dump(v)
            pickler.clear_memo()  # each value's pickle stands alone
            ends.append(out.tell())
        offsets = np.zeros(len(ends) + 1, dtype=np.int64)
        offsets[1:] = ends
        return cls(_buffer(out.getvalue()), offsets)

    def part(self, start: int, stop: int) -> Records[T]:
        """Values start..stop-1 as a `Records` of their own, sharing this one's buffer."""
        return Records(self.data, self.offsets[start : stop + 1])

    def _one(self, i: int) -> T:
        if i < 0:
            i += len(self)
        cache = self._cache
        value = cache.get(i)
        if value is None:
            value = pickle.loads(self._raw(i))
            if len(cache) >= CACHE:
                # The one kept longest; another thread may be at the same, which is no harm.
                with contextlib.suppress(KeyError):
                    cache.popitem(last=False)
            cache[i] = value
        return value


class Ragged(Sequence[tuple[int, ...]]):
    """A tuple of ints per position: `values[starts[i] : starts[i + 1]]`."""

    __slots__ = ("starts", "values")

    def __init__(self, starts: np.ndarray, values: np.ndarray) -> None:
        self.starts = starts
        self.values = values

    @classmethod
    def build(cls, rows: Iterable[Sequence[int]]) -> Ragged:
        rows = list(rows)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        flat = np.fromiter(
            (v for row in rows for v in row), dtype=np.int32, count=int(lengths.sum())
        )
        return cls(_offsets(lengths), flat)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Ragged, (self.starts, self.values))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def _one(self, i: int) -> tuple[int, ...]:
        n = len(self.starts) - 1
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for {n} rows")
        a, b = self.starts[i : i + 2].tolist()
        return tuple(self.values[a:b].tolist()) if b > a else _NONE

    @overload
    def __getitem__(self, i: int) -> tuple[int, ...]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, ...]]: ...

    def __getitem__(self, i: int | slice) -> tuple[int, ...] | list[tuple[int, ...]]:
        if isinstance(i, slice):
            return [self._one(j) for j in range(*i.indices(len(self)))]
        return self._one(int(i))

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        return (self._one(i) for i in range(len(self)))


def key_hash(key: str) -> int:
    """A 64-bit hash of `key` that is the same in every process (unlike `hash`)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class KeyMap(Mapping[str, tuple[int, ...]]):
    """string -> tuple of ints, read like the dict it replaces (`get`, `[]`, `in`, iteration)."""

    __slots__ = ("hashes", "keys_", "rows")

    def __init__(self, hashes: np.ndarray, keys: Strings, rows: Ragged) -> None:
        self.hashes = hashes  # uint64, ascending
        self.keys_ = keys  # in the order of `hashes`
        self.rows = rows

    @classmethod
    def build(cls, mapping: Mapping[str, Sequence[int]]) -> KeyMap:
        keys = list(mapping)
        hashes = np.fromiter(map(key_hash, keys), dtype=np.uint64, count=len(keys))
        order = np.argsort(hashes, kind="stable").tolist()
        return cls(
            hashes[order] if keys else hashes,
            Strings.build(keys[i] for i in order),
            Ragged.build(mapping[keys[i]] for i in order),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyMap, (self.hashes, self.keys_, self.rows))

    def _find(self, key: str) -> int:
        if not isinstance(key, str) or not len(self.hashes):
            return -1
        h = np.uint64(key_hash(key))
        i = int(np.searchsorted(self.hashes, h))
        while i < len(self.hashes) and self.hashes[i] == h:
            if self.keys_[i] == key:
                return i
            i += 1
        return -1

    def __getitem__(self, key: str) -> tuple[int, ...]:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self.rows[i]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._find(key)
        return default if i < 0 else self.rows[i]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_)


class KeyNumbers(Mapping[str, int]):
    """string -> int, read like the dict it replaces; one `KeyMap` row of one value a key."""

    __slots__ = ("map",)

    def __init__(self, keys: KeyMap) -> None:
        self.map = keys

    @classmethod
    def build(cls, mapping: Mapping[str, int]) -> KeyNumbers:
        return cls(KeyMap.build({key: (value,) for key, value in mapping.items()}))

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyNumbers, (self.map,))

    def __getitem__(self, key: str) -> int:
        return self.map[key][0]

    def get(self, key: str, default: Any = None) -> Any:
        found = self.map.get(key)
        return default if found is None else found[0]

    def __contains__(self, key: object) -> bool:
        return key in self.map

    def __len__(self) -> int:
        return len(self.map)

    def __iter__(self) -> Iterator[str]:
        return iter(self.map)
