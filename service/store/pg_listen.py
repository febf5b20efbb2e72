"""Following published list versions on PostgreSQL: LISTEN on a connection of the listener's
own, reconnecting with back-off when it drops."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import psycopg

from service.store.base import VERSIONS_CHANNEL, StoreError, VersionTracker

if TYPE_CHECKING:
    from service.store.postgres import PostgresStore

log = logging.getLogger("service.store.postgres")

# How often a listener checks the newest versions even when it heard nothing: a safety net for a
# notification lost to a network fault the connection did not notice.
DEFAULT_RECONCILE_INTERVAL = 30.0
# How long a listener waits for a notification before it looks at its stop flag again.
_LISTEN_TICK = 0.5
_BACKOFF_FIRST, _BACKOFF_MAX = 0.1, 5.0


class NotifyListener:
    """LISTEN on its own connection (not the pool's: it is held for as long as the listener
    runs). A notification means "something was published": the listener then asks the store for
    the newest versions and reports what changed, rather than trusting the payload, so that a
    notification overtaken by a newer publication, or one sent while the connection was down,
    can never make a worker go back to an older version. After every (re)connect it looks once
    (catching up on what it missed), and every `reconcile_interval` seconds regardless."""

    def __init__(
        self, store: PostgresStore, tracker: VersionTracker, reconcile_interval: float
    ) -> None:
        self.store = store
        self.tracker = tracker
        self.reconcile_interval = reconcile_interval
        self.connects = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="postgres-version-listener", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=_LISTEN_TICK + self.store.timeout + 2)

    def _run(self) -> None:
        backoff = _BACKOFF_FIRST
        while not self._stop.is_set() and not self.store.closed:
            try:
                self._listen()
                backoff = _BACKOFF_FIRST
            except (psycopg.Error, StoreError) as exc:
                self._ready.clear()
                log.warning("list version listener lost its connection, reconnecting: %s", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)

    def _listen(self) -> None:
        with psycopg.connect(
            self.store.url,
            autocommit=True,
            # Keepalives notice a peer that vanished without closing the connection.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
            **self.store._connect_kwargs,
        ) as conn:
            conn.execute(f"LISTEN {VERSIONS_CHANNEL}")
            self.connects += 1
            # Listening before looking: a version published in between is both seen by the look
            # and announced, never neither.
            self.tracker.offer(self.store.latest_versions())
            self._ready.set()
            next_look = time.monotonic() + self.reconcile_interval
            while not self._stop.is_set() and not self.store.closed:
                heard = [n.payload for n in conn.notifies(timeout=_LISTEN_TICK, stop_after=1)]
                if heard or time.monotonic() >= next_look:
                    log.debug("list versions announced: %s", heard)
                    self.tracker.offer(self.store.latest_versions())
                    next_look = time.monotonic() + self.reconcile_interval
