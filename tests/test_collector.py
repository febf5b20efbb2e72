"""The cyclic garbage collector is held off while lists are loaded and indexed, and comes back
afterwards: a collector left off would let every reference cycle of later requests pile up."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import collector
from service.index import build_index
from service.loaders.registry import load_lists

BUNDLED = Path(__file__).resolve().parents[1] / "lists"


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_turns_the_collector_off_and_back_on() -> None:
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_nested_pause_ends_with_the_outer_one() -> None:
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_on_after_an_exception() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a bad list")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_two_threads_pausing_resume_only_when_both_are_done() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with collector.paused():
        pass
    assert not gc.isenabled()  # the other thread is still loading
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_loading_and_indexing_run_with_the_collector_off_and_leave_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import service.index as index_module

    seen: list[bool] = []
    build = index_module._build

    def watched(loaded):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return build(loaded)

    monkeypatch.setattr(index_module, "_build", watched)
    loaded = load_lists(BUNDLED)
    assert gc.isenabled()
    index = build_index(loaded)
    assert seen == [False]
    assert gc.isenabled()
    assert len(index.vessels) == sum(len(lst.vessels) for lst in loaded)
