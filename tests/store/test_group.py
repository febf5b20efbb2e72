"""Group commit: callers waiting at once share a transaction, and share its failure."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from service.store import ScreeningRecord, StoreError
from service.store.group import GroupCommit

from .helpers import screening


class SlowStore:
    """Holds the first commit until released, so later callers queue behind it."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.release = threading.Event()
        self.entered = threading.Event()
        self.fail = fail

    def record_screenings(self, records: Sequence[Any]) -> None:
        self.calls.append(len(records))
        self.entered.set()
        if len(self.calls) == 1:
            assert self.release.wait(10)
        if self.fail and len(self.calls) > 1:
            raise StoreError("down")


def _run(group: GroupCommit, n: int, errors: list[BaseException]) -> threading.Thread:
    def go() -> None:
        try:
            group.record([object()] * n)  # type: ignore[list-item]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=go)
    thread.start()
    return thread


def test_callers_that_wait_together_share_one_transaction() -> None:
    store = SlowStore()
    group = GroupCommit(store)  # type: ignore[arg-type]
    errors: list[BaseException] = []
    first = _run(group, 1, errors)
    assert store.entered.wait(10)
    others = [_run(group, 2, errors) for _ in range(3)]
    while len(group._queue) < 3:  # the three are queued behind the first commit
        threading.Event().wait(0.001)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    assert errors == []
    assert store.calls == [1, 6]


def test_a_failed_transaction_fails_every_caller_in_it() -> None:
    store = SlowStore(fail=True)
    group = GroupCommit(store)  # type: ignore[arg-type]
    errors: list[BaseException] = []
    first = _run(group, 1, errors)
    assert store.entered.wait(10)
    others = [_run(group, 1, errors) for _ in range(2)]
    while len(group._queue) < 2:
        threading.Event().wait(0.001)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    assert len(errors) == 2 and all(isinstance(e, StoreError) for e in errors)


def test_records_reach_the_real_store(store: Any) -> None:
    group = GroupCommit(store)
    record: ScreeningRecord = screening()
    group.record([record])
    assert store.get_screening(record.screening_id) is not None
    with pytest.raises(StoreError):
        group.record([record])  # the same id again: refused, and said so


class DownStore:
    def __init__(self) -> None:
        self.calls = 0

    def record_screenings(self, records: Sequence[Any]) -> None:
        self.calls += 1
        raise StoreError("down")


def test_after_a_failure_callers_are_refused_at_once_for_a_moment() -> None:
    store = DownStore()
    group = GroupCommit(store, fail_fast=3600)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        group.record([object()])  # type: ignore[list-item]
    assert group.recently_failed
    with pytest.raises(StoreError, match="a moment ago"):
        group.record([object()])  # type: ignore[list-item]
    assert store.calls == 1  # the second caller did not wait on the store


def test_the_first_caller_after_the_pause_tries_again() -> None:
    store = DownStore()
    group = GroupCommit(store, fail_fast=0)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(StoreError, match="down"):
            group.record([object()])  # type: ignore[list-item]
    assert store.calls == 2


class GatedStore:
    """Each commit waits for a release of its own, so a test decides when each one ends."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.entered = [threading.Event() for _ in range(3)]
        self.released = [threading.Event() for _ in range(3)]

    def record_screenings(self, records: Sequence[Any]) -> None:
        n = len(self.calls)
        self.calls.append(len(records))
        self.entered[n].set()
        assert self.released[n].wait(10)


def test_a_caller_is_answered_once_its_own_commit_is_done_not_later_ones() -> None:
    store = GatedStore()
    group = GroupCommit(store)  # type: ignore[arg-type]
    errors: list[BaseException] = []
    first = _run(group, 1, errors)
    assert store.entered[0].wait(10)
    second = _run(group, 1, errors)
    while len(group._queue) < 1:  # queued behind the first commit
        threading.Event().wait(0.001)
    store.released[0].set()
    assert store.entered[1].wait(10)  # the second caller's commit is under way ...
    first.join(10)
    assert not first.is_alive()  # ... and the first caller has its answer already
    store.released[1].set()
    second.join(10)
    assert errors == [] and store.calls == [1, 1]
