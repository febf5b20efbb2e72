"""PIN_WORKERS: each gunicorn worker keeps to a core of its own when the service has the cores
to itself, a replacement takes the core its predecessor left, and the processes that screen a
CSV file in parallel get every core back."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from service import bulk, placement
from service.settings import Settings
from tests.served import gunicorn, poll

needs_affinity = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(placement.allowed_cores()) < 2,
    reason="needs a platform that pins processes to cores, and 2 cores allowed",
)


def test_auto_pins_only_when_every_allowed_core_gets_a_worker() -> None:
    assert placement.should_pin("auto", workers=2, cores=2)
    assert placement.should_pin("auto", workers=4, cores=2)
    # A container that sees a big host's cores but is held to a share of them by a quota must
    # not put every instance's workers on the same first cores.
    assert not placement.should_pin("auto", workers=2, cores=64)
    assert not placement.should_pin("auto", workers=1, cores=2)


def test_on_and_off_decide_whatever_the_count() -> None:
    assert placement.should_pin("on", workers=2, cores=64)
    assert not placement.should_pin("off", workers=2, cores=2)


def test_one_core_or_none_known_gives_nothing_to_choose() -> None:
    assert not placement.should_pin("on", workers=2, cores=1)
    assert not placement.should_pin("auto", workers=2, cores=0)


def test_a_worker_gets_the_core_with_fewest_live_workers() -> None:
    assert placement.choose_core({0, 1}, []) == 0
    assert placement.choose_core({0, 1}, [0]) == 1
    assert placement.choose_core({0, 1}, [0, 1]) == 0
    assert placement.choose_core({2, 5, 7}, [2, 5, 2]) == 7
    # A replacement takes the core the dead worker left, not the next in turn.
    assert placement.choose_core({0, 1, 2}, [0, 2]) == 1
    # Workers not pinned, or pinned to a core no longer allowed, count for nothing.
    assert placement.choose_core({0, 1}, [None, 3, 1]) == 0


def test_pin_workers_is_a_setting_with_three_values() -> None:
    assert Settings.from_env({}).pin_workers == "off"  # opt-in host tuning
    assert Settings.from_env({"PIN_WORKERS": "auto"}).pin_workers == "auto"
    with pytest.raises(ValueError, match="PIN_WORKERS must be auto, on or off"):
        Settings.from_env({"PIN_WORKERS": "yes"})


def _cores_of(pid: int) -> set[int]:
    """Cores the process may run on, as the kernel shows it."""
    return set(os.sched_getaffinity(pid))


def _workers_of(master: int) -> list[int]:
    """The master's child processes (the workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing bracket.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            found.append(int(entry.name))
    return sorted(found)


def _serving_workers(master: int, count: int) -> list[int]:
    """The master's `count` workers once each has started its threads."""

    def started() -> list[int] | None:
        pids = _workers_of(master)
        try:
            if len(pids) != count or any(len(_threads_cores(pid)) < 2 for pid in pids):
                return None
        except OSError:  # one exited meanwhile
            return None
        return pids

    return poll(started, f"{count} workers with their threads")


def _threads_cores(pid: int) -> list[set[int]]:
    return [_cores_of(int(task.name)) for task in Path(f"/proc/{pid}/task").iterdir()]


@needs_affinity
def test_each_worker_and_all_its_threads_keep_to_a_core_of_their_own(tmp_path: Path) -> None:
    allowed = placement.allowed_cores()
    with gunicorn(tmp_path, workers=2, PIN_WORKERS="on", SNAPSHOTS="off") as server:
        workers = _serving_workers(server.proc.pid, 2)
        cores = [_cores_of(pid) for pid in workers]
        assert all(len(c) == 1 and c <= allowed for c in cores)
        assert cores[0] != cores[1]
        for pid, core in zip(workers, cores, strict=True):
            threads = _threads_cores(pid)
            assert len(threads) > 1  # the request threads and the listener, not the main alone
            assert all(t == core for t in threads)
        # The master is left alone: it only watches the workers.
        assert _cores_of(server.proc.pid) == allowed

        # A worker killed is replaced on the core it left, beside the survivor.
        os.kill(workers[0], signal.SIGKILL)

        def replaced() -> list[int] | None:
            now = _workers_of(server.proc.pid)
            return now if len(now) == 2 and workers[0] not in now else None

        poll(replaced, "a replacement worker")
        after = _serving_workers(server.proc.pid, 2)
        new = next(pid for pid in after if pid != workers[1])
        assert _cores_of(new) == cores[0]
        assert _cores_of(workers[1]) == cores[1]


@needs_affinity
@pytest.mark.parametrize(("mode", "workers"), [("off", 2), ("auto", 1)])
def test_off_and_auto_with_fewer_workers_than_cores_leave_workers_to_the_kernel(
    tmp_path: Path, mode: str, workers: int
) -> None:
    with gunicorn(tmp_path, workers=workers, PIN_WORKERS=mode, SNAPSHOTS="off") as server:
        pids = _serving_workers(server.proc.pid, workers)
        assert all(_cores_of(pid) == placement.allowed_cores() for pid in pids)


def _csv_processes_cores(queue: multiprocessing.Queue[object]) -> None:
    """In a process of its own (pinning the test runner would slow every later test): pin as a
    worker does, then start a chunk process as the parallel CSV path does."""
    placement.pin(min(placement.allowed_cores()))
    pinned = set(os.sched_getaffinity(0))
    context = multiprocessing.get_context("fork")
    with context.Pool(1, initializer=bulk._start_process) as pool:
        chunk_process = pool.apply(os.sched_getaffinity, (0,))
    queue.put((pinned, set(chunk_process)))


@needs_affinity
def test_csv_chunk_processes_forked_from_a_pinned_worker_get_every_core_back() -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_csv_processes_cores, args=(queue,))
    child.start()
    pinned, chunk_process = queue.get(timeout=60)  # type: ignore[misc]
    child.join(timeout=60)
    assert child.exitcode == 0
    assert pinned == {min(placement.allowed_cores())}
    assert chunk_process == set(placement.allowed_cores())


@needs_affinity
def test_a_core_the_kernel_refuses_leaves_the_worker_serving_where_it_was() -> None:
    before = placement.allowed_cores()
    assert not placement.pin(max(before) + 4096)  # no such core: refused, not raised
    assert placement.allowed_cores() == before
    placement.unpin()
    assert placement.allowed_cores() == before
