"""The recorder: each caller's records are committed by the store before it returns (callers
waiting on a commit share the next one), and the hooks hear of what was recorded and what was
refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from service.store import ScreeningRecord, Store, StoreError
from service.store.recorder import Recorder

from .helpers import screening


class Hooks:
    def __init__(self) -> None:
        self.recorded: list[Sequence[ScreeningRecord]] = []
        self.refused: list[Sequence[ScreeningRecord]] = []

    def recorder(self, store: Any, **kwargs: Any) -> Recorder:
        return Recorder(store, self.recorded.append, self.refused.append, **kwargs)


def test_records_reach_the_real_store_and_the_hook(store: Store) -> None:
    hooks = Hooks()
    recorder = hooks.recorder(store, fail_fast=0)
    record = screening()
    recorder.record([record])
    assert store.get_screening(record.screening_id) == record
    assert hooks.recorded == [[record]] and hooks.refused == []
    with pytest.raises(StoreError):
        recorder.record([record])  # the same id again: refused, and said so
    assert hooks.refused == [[record]] and len(hooks.recorded) == 1


def test_concurrent_callers_are_each_committed_before_they_return(store: Store) -> None:
    recorder = Recorder(store)
    errors: list[BaseException] = []

    def caller(t: int) -> None:
        try:
            for n in range(25):
                recorder.record([screening(n, screening_id=f"t{t}-{n}")])
                assert store.get_screening(f"t{t}-{n}") is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert all(store.get_screening(f"t{t}-{n}") for t in range(8) for n in range(25))


class DownStore:
    def __init__(self) -> None:
        self.calls = 0

    def record_screenings(self, records: Sequence[Any]) -> None:
        self.calls += 1
        raise StoreError("down")


def test_after_a_failure_callers_are_refused_at_once_for_a_moment() -> None:
    store, hooks = DownStore(), Hooks()
    recorder = hooks.recorder(store, fail_fast=3600)
    with pytest.raises(StoreError, match="down"):
        recorder.record([screening()])
    assert recorder.recently_failed
    with pytest.raises(StoreError, match="a moment ago"):
        recorder.record([screening()])
    assert store.calls == 1  # the second caller did not wait on the store
    assert len(hooks.refused) == 2 and hooks.recorded == []


def test_the_first_caller_after_the_pause_tries_again() -> None:
    store = DownStore()
    recorder = Recorder(store, fail_fast=0)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(StoreError, match="down"):
            recorder.record([screening()])
    assert store.calls == 2


class GatedStore:
    """Holds its first commit until told to go on; remembers each commit's screening ids, and
    refuses any commit holding an id in `refuse`."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.commits: list[list[str]] = []
        self.entered = threading.Event()
        self.go_on = threading.Event()
        self.refuse = refuse

    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        if not self.commits:
            self.entered.set()
            assert self.go_on.wait(60)
        ids = [r.screening_id for r in records]
        self.commits.append(ids)
        if self.refuse & set(ids):
            raise StoreError("refused " + ", ".join(sorted(self.refuse & set(ids))))


def _wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def _callers_behind_a_held_commit(
    store: GatedStore, recorder: Recorder, ids: list[str]
) -> dict[str, BaseException | None]:
    """The first id's caller commits alone while the store holds it; the others queue behind it
    and share the next commit. Each caller's outcome: None when recorded, else its error."""
    outcome: dict[str, BaseException | None] = {}

    def caller(screening_id: str) -> None:
        try:
            recorder.record([screening(screening_id=screening_id)])
            outcome[screening_id] = None
        except BaseException as exc:
            outcome[screening_id] = exc

    first = threading.Thread(target=caller, args=(ids[0],))
    first.start()
    assert store.entered.wait(60)
    others = [threading.Thread(target=caller, args=(i,)) for i in ids[1:]]
    for thread in others:
        thread.start()
    _wait_until(lambda: recorder.waiting == len(ids) - 1)
    store.go_on.set()
    for thread in [first, *others]:
        thread.join(60)
    return outcome


def test_callers_waiting_on_a_commit_share_the_next_one() -> None:
    store, hooks = GatedStore(), Hooks()
    recorder = hooks.recorder(store)
    outcome = _callers_behind_a_held_commit(store, recorder, ["a", "b", "c", "d"])
    assert outcome == dict.fromkeys("abcd")
    assert store.commits[0] == ["a"]
    assert sorted(store.commits[1]) == ["b", "c", "d"]
    assert len(store.commits) == 2
    # Each caller hears of its own records alone.
    assert sorted(r[0].screening_id for r in hooks.recorded) == ["a", "b", "c", "d"]


def test_records_the_store_refuses_cost_only_their_own_caller_an_answer() -> None:
    store, hooks = GatedStore(refuse=frozenset({"c"})), Hooks()
    recorder = hooks.recorder(store, fail_fast=0)
    outcome = _callers_behind_a_held_commit(store, recorder, ["a", "b", "c", "d"])
    assert outcome["a"] is None and outcome["b"] is None and outcome["d"] is None
    assert isinstance(outcome["c"], StoreError) and "refused c" in str(outcome["c"])
    # The shared commit failed, then each of its callers was committed alone.
    assert sorted(store.commits[1]) == ["b", "c", "d"]
    assert sorted(store.commits[2:]) == [["b"], ["c"], ["d"]]
    assert [r[0].screening_id for r in hooks.refused] == ["c"]
    assert sorted(r[0].screening_id for r in hooks.recorded) == ["a", "b", "d"]


def test_a_shared_commit_on_the_real_store_holds_every_caller(store: Store) -> None:
    gate = threading.Event()
    entered = threading.Event()
    real = store.record_screenings

    class Held:
        def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
            if not entered.is_set():
                entered.set()
                assert gate.wait(60)
            real(records)

    recorder = Recorder(Held())  # type: ignore[arg-type]
    done: list[str] = []

    def caller(screening_id: str) -> None:
        recorder.record([screening(screening_id=screening_id)])
        done.append(screening_id)

    first = threading.Thread(target=caller, args=("first",))
    first.start()
    assert entered.wait(60)
    others = [threading.Thread(target=caller, args=(f"s{n}",)) for n in range(5)]
    for thread in others:
        thread.start()
    _wait_until(lambda: recorder.waiting == 5)
    assert done == []  # nobody returns before the commit that holds its records
    gate.set()
    for thread in [first, *others]:
        thread.join(60)
    assert sorted(done) == sorted(["first", *(f"s{n}" for n in range(5))])
    assert all(store.get_screening(i) is not None for i in done)
