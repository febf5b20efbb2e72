"""Which core each gunicorn worker runs on (PIN_WORKERS): opt-in host tuning, off by default.

A worker runs Python on one core at a time (the GIL), but left to the kernel its threads
wander over every core, and each hand-over of the GIL from one thread to another, each wake-up
after a request's read or its record's commit, becomes a wake-up on another core: an
inter-processor interrupt, dear on a virtual machine, and caches filled again. Kept on a core of
its own, a worker's threads hand over where they are. On the 2-core benchmark host that gave
1.1-2.1 times the c16 screens per second (docs/operations.md, "Workers and cores").

Pinning is only right when the service has the cores it may use to itself: a container that
sees all of a 64-core host's cores but is limited by a CPU quota must not put every instance's
workers on cores 0 and 1. So `auto` pins only when every core this process may run on gets a
worker (WORKERS at least the cores allowed), which is the case of a machine, VM or cpuset'd
container given to the service; `on` pins whatever the count (workers spread over the allowed
cores), `off` never does.

The master chooses a worker's core before forking it (`choose_core`, the allowed core with the
fewest live workers, so a replacement takes the core its predecessor left); the worker pins
itself first thing after the fork (`pin`), before it starts any thread, so that all its threads
inherit the core. Processes a worker forks to screen a large CSV file in parallel are let go
of the core again (`unpin`): they are there to use every core. A batch's scoring threads,
started by a request thread, stay on the worker's core.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

MODES = ("auto", "on", "off")

# The cores this process could run on before `pin` narrowed them, and the core it keeps to
# (None: it does not).
_allowed_before_pin: frozenset[int] = frozenset()
_pinned_core: int | None = None


def allowed_cores() -> frozenset[int]:
    """The cores this process may run on; empty where the platform cannot say (macOS)."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if getaffinity is None:
        return frozenset()
    return frozenset(getaffinity(0))


def should_pin(mode: str, workers: int, cores: int) -> bool:
    """Whether workers are pinned under PIN_WORKERS=`mode`, with `workers` workers and `cores`
    cores allowed. One core (or none known) gives nothing to choose."""
    if mode == "off" or cores < 2 or not hasattr(os, "sched_setaffinity"):
        return False
    return mode == "on" or workers >= cores


def choose_core(allowed: Iterable[int], taken: Iterable[int | None]) -> int:
    """The allowed core with the fewest of the live workers' `taken` cores (the lowest of
    those tied): workers spread evenly, and a worker's replacement gets the core it left."""
    cores = sorted(allowed)
    if not cores:
        raise ValueError("no core to choose from")
    load = Counter(core for core in taken if core in cores)
    return min(cores, key=lambda core: (load[core], core))


def pin(core: int) -> bool:
    """Keep this process (its calling thread, and every thread it starts from now on) on
    `core`; False, and nothing changed, where the kernel refuses it (the core was taken out of
    the container's set meanwhile): a worker that cannot keep to a core still serves."""
    global _allowed_before_pin, _pinned_core
    before = allowed_cores() if _pinned_core is None else _allowed_before_pin
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        return False
    _allowed_before_pin, _pinned_core = before, core
    return True


def unpin() -> None:
    """Give this process back the cores it had before `pin` (no-op if it is not pinned)."""
    global _pinned_core
    if _pinned_core is not None:
        os.sched_setaffinity(0, _allowed_before_pin)
        _pinned_core = None
