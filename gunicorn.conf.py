"""gunicorn settings for `make run` and the Docker image; values come from service.settings."""

import atexit
import contextlib
import ctypes
import gc
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path


def _metrics_dir() -> None:
    """A fresh, empty folder for the workers' metric files (prometheus_client multiprocess mode).

    Runs before `service` is imported below: prometheus_client chooses between in-process and
    multiprocess values when it is first imported. Files left by an earlier run would add their
    counts to this one's, so an operator's PROMETHEUS_MULTIPROC_DIR is emptied; without one, a
    temporary folder is made and removed when the master exits. gunicorn reads this file again
    on SIGHUP, when prometheus_client is loaded: the live files are kept then.
    """
    if "prometheus_client" in sys.modules:
        return
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for kind in ("counter", "gauge", "histogram", "summary"):  # prometheus_client's files only
            for old in Path(folder).glob(f"{kind}_*.db"):
                old.unlink()
        return
    folder = tempfile.mkdtemp(prefix="vessel-screen-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    atexit.register(_remove_metrics_dir, folder, os.getpid())
    _made.append(folder)


# The metrics folder this process made, if it made one (removed at exit, or before an exec).
_made: list[str] = []


def _remove_metrics_dir(folder: str, master: int) -> None:
    if os.getpid() == master:  # workers, forked from the master, inherit its exit handlers
        shutil.rmtree(folder, ignore_errors=True)


_metrics_dir()


def _few_malloc_arenas(most: int = 1) -> None:
    """At most `most` glibc malloc arenas per process (the default is eight per core): each of a
    worker's THREADS threads would otherwise come to allocate from an arena of its own, and each
    arena keeps the memory freed in it. The threads allocate under the GIL, so one arena shared
    by all costs no measurable speed (100,000 vessels + 1,000,000 companies, one arena against
    two, alternated: c16 600-629 against 593-626 screens/s, c1 p50 2.19-2.38 against 2.32-2.51
    ms) and keeps a worker's peak RSS through c16 and batches at 381-399 MB against 420-428 MB.
    What it costs is in batches, whose scoring runs on rapidfuzz's threads of its own: on the
    real OFAC and EU lists, 1,000-query batches one at a time 4.8-5.9 against 5.6-7.2 a second
    (at 100,000 vessels within the noise). A no-op without glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, most)  # -8: M_ARENA_MAX


_few_malloc_arenas()

from service import lifecycle, metrics, placement  # noqa: E402 - after the metrics folder is chosen
from service.settings import Settings  # noqa: E402

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
# Threads give HTTP keep-alive (the sync worker closes every connection, which costs callers a
# TCP handshake per screening) and let a worker answer health checks during a long upload.
# THREADS (default 16): while a thread waits for its audit record to be flushed, others screen
# and their records join the next flush.
worker_class = "gthread"
threads = _settings.threads
keepalive = 5
# Load the lists once in the master and fork: workers share the index pages copy-on-write.
preload_app = True
timeout = 60
# In-flight requests get 30 s once the drain (DRAIN_SECONDS, see post_worker_init) is over.
graceful_timeout = 30 + math.ceil(_settings.drain_seconds)
# The service writes one JSON line per request itself (service/web/observe.py).
accesslog = None
# Several instances (tests, benchmarks, `make run`) share a machine; gunicorn's control socket
# has one fixed path per user, so it is left off.
control_socket_disable = True


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """PIN_WORKERS (opt-in, service/placement.py): the master gives each worker a core before
    forking it, the one with the fewest live workers, so that a replacement takes the core left
    free.

    Every object the master holds is frozen out of the garbage collector's reach first: a
    worker's collections would otherwise walk them all and write to each one's header, copying
    into the worker every page the master's objects are on."""
    gc.freeze()
    allowed = placement.allowed_cores()
    worker.vs_core = None
    if placement.should_pin(_settings.pin_workers, _settings.workers, len(allowed)):
        taken = [getattr(other, "vs_core", None) for other in server.WORKERS.values()]
        worker.vs_core = placement.choose_core(allowed, taken)


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """The new worker keeps to its core before it starts a thread: they all inherit it."""
    if worker.vs_core is None:
        return
    if placement.pin(worker.vs_core):
        server.log.info("worker %s keeps to core %s (PIN_WORKERS)", worker.pid, worker.vs_core)
    else:
        server.log.warning("worker %s could not keep to core %s", worker.pid, worker.vs_core)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Each worker follows published list versions with a listener thread of its own (threads
    started in the master before the fork would not exist in the worker)."""
    state = worker.wsgi.extensions["vessel_screen"]
    state.start_listening()
    # SIGTERM: /readyz answers 503 for DRAIN_SECONDS while requests are still served, then
    # gunicorn's graceful exit (service/lifecycle.py).
    lifecycle.drain_on_sigterm(worker, state, state.settings.drain_seconds)
    # The scheduled list refresh runs in one worker: the first to take a lock file in DATA_DIR
    # (its replacement takes it over if it exits). Not in the master: a thread there could hold
    # a lock at the moment gunicorn forks a worker, which would inherit it locked.
    if _settings.refresh_interval_minutes > 0:
        from service.refresh import RefreshScheduler

        RefreshScheduler(state, _settings.refresh_interval_minutes * 60).start()


def on_reload(server):  # type: ignore[no-untyped-def]
    """SIGHUP: gunicorn forks new workers from the master, whose app was loaded once (preload),
    so the lists are read again here, before the fork, and the new workers start with them. A
    bad file is refused and the served version stays (Serving.reload)."""
    lifecycle.reload_lists(server.app.wsgi().extensions["vessel_screen"])


def on_starting(server):  # type: ignore[no-untyped-def]
    """After parsing and indexing large lists (RESTART_AFTER_BUILD), the master starts again
    from the snapshot it has just written, before it binds a socket or forks a worker, so that
    the workers begin from a compact heap (service/lifecycle.py, `start_again`). The same
    process (its pid) runs the same command again; exec skips exit handlers, so the metrics
    folder it made is removed here and the new process makes its own."""
    state = server.app.wsgi().extensions["vessel_screen"]
    if not lifecycle.start_again(state, os.environ):
        return
    server.log.info(
        "lists of %d entries parsed and indexed: starting again from their snapshot",
        state.built_into_snapshot,
    )
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, sys.orig_argv)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    metrics.worker_exited(worker.pid)
