"""Stopping gracefully, and reloading on SIGHUP, under gunicorn (wired in gunicorn.conf.py).

On SIGTERM a gthread worker stops accepting at once, so a load balancer that asks /readyz would
learn of the shutdown only from refused connections. Instead each worker first drains: for
DRAIN_SECONDS it keeps serving while /readyz answers 503, then hands over to gunicorn's own
graceful exit, which finishes the requests in flight. A worker drains whether SIGTERM came from
the master or straight to it (a signal to the whole process group), and only once: the master's
SIGTERM that follows a group's changes nothing. For a quick stop, gunicorn's SIGINT or SIGQUIT.

gunicorn also sends SIGTERM to the old workers when SIGHUP replaces them; the new workers serve
by then, and a 503 from an old one would only make readiness flicker, so those exit at once, as
gunicorn's workers always did. They know themselves by the reload count, which the master
raises before it forks the new workers.
"""

from __future__ import annotations

import logging
import mmap
import signal
import struct
import threading
from collections.abc import MutableMapping
from typing import Any

from service.serving import Serving

log = logging.getLogger("service.lifecycle")

# Memory shared with every worker forked after this module is imported (in the master, through
# gunicorn.conf.py), so a count the master raises is seen by the workers at once.
_reloads = mmap.mmap(-1, 8)
_COUNT = struct.Struct("Q")


def reloads() -> int:
    count: int = _COUNT.unpack_from(_reloads)[0]
    return count


def replacing_workers() -> None:
    """In the master, on SIGHUP, before new workers are forked: the old ones are to go."""
    _COUNT.pack_into(_reloads, 0, reloads() + 1)


def drain_on_sigterm(worker: Any, state: Serving, seconds: float) -> None:
    """In a worker: on SIGTERM, serve `seconds` more as not ready, then exit as gunicorn does
    (in-flight requests finish, up to its graceful_timeout)."""
    exit_gracefully = worker.handle_exit  # what gunicorn's SIGTERM handler is
    born = reloads()

    def on_sigterm(signum: int, frame: Any) -> None:
        if state.draining:
            return
        if reloads() != born:  # replaced by SIGHUP's new workers: no drain
            exit_gracefully(signum, frame)
            return
        state.draining = True
        if seconds <= 0:
            exit_gracefully(signum, frame)
            return
        # Logging and waiting happen off the signal handler, which interrupts the main loop.
        threading.Thread(
            target=_drain, args=(exit_gracefully, signum, seconds), name="drain", daemon=True
        ).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn set it: no EINTR mid-request


def _drain(exit_gracefully: Any, signum: int, seconds: float) -> None:
    log.info(
        "shutting down: draining for %s s (readiness says 503, requests still served)", seconds
    )
    threading.Event().wait(seconds)
    log.info("drained: finishing the requests in flight, then exiting")
    exit_gracefully(signum, None)


def reload_lists(state: Serving) -> bool:
    """SIGHUP, in the master, before the new workers are forked: they start with the lists read
    again (a bad file leaves the served version), and the old workers go without draining."""
    replacing_workers()
    reloaded = state.reload()
    if reloaded:
        log.info("SIGHUP: lists read again from %s", state.settings.lists_dir)
    else:
        log.error("SIGHUP: lists not reloaded, still serving the previous: %s", state.last_error)
    return reloaded


# Set in the environment of a master that starts itself again, so that it does so once.
STARTED_AGAIN = "VESSEL_SCREEN_STARTED_AGAIN"


def start_again(state: Serving, environ: MutableMapping[str, str]) -> bool:
    """In the master, before it binds a socket or forks a worker: whether to start afresh from
    the snapshot it has just written (RESTART_AFTER_BUILD), marking `environ` so that the new
    process does not. Parsing and indexing large lists leaves the process's heap freed but
    scattered over gigabytes, and the workers forked from it would place their allocations all
    over that space; a master that starts from the snapshot has a heap the size of what it
    holds, as after any warm start (measured at 100,000 vessels + 1,000,000 companies: a
    worker's peak RSS through c16, batches and the CSV 472 MB forked after the build, 377 MB
    after a start from the snapshot)."""
    if environ.pop(STARTED_AGAIN, None) is not None:
        return False
    limit = state.settings.restart_after_build
    if not (limit > 0 and state.built_into_snapshot >= limit):
        return False
    environ[STARTED_AGAIN] = "1"
    return True
