"""The recorder: each caller's records are committed by the store before it returns, and the
hooks hear of what was recorded and what was refused."""

from __future__ import annotations

import threading
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


def test_concurrent_callers_each_have_their_own_commit(store: Store) -> None:
    recorder = Recorder(store)
    errors: list[BaseException] = []

    def caller(t: int) -> None:
        try:
            for n in range(25):
                recorder.record([screening(n, screening_id=f"t{t}-{n}")])
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
