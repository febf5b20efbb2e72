"""Recording answered screenings: each call returns only once its records are committed by the
store, or raises StoreError.

Callers that arrive while a commit is under way share the next one (group commit): the records
of every caller waiting when a commit ends go to the store in one call, one transaction. Each
caller still returns only after the commit that holds its records. With SQLite FULL every commit
syncs the write-ahead log, and on PostgreSQL each is a round trip and a log flush; a worker
serving sixteen threads otherwise spends a large part of its time waiting on one commit after
another (measured on the Benchmarks page).

A shared commit that fails quickly is tried again a caller at a time, so that one caller's
records the store refuses do not cost the others their answers. One that fails slowly (a store
that is down or locked up) is not: each caller would wait as long again.

Whoever needs to know what was recorded (the metrics) is told through the hooks given to the
`Recorder`: `on_recorded` once the records are committed, `on_refused` when they were not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.store.base import ScreeningRecord, Store, StoreError, check_screenings

RecordsHook = Callable[[Sequence[ScreeningRecord]], None]

# After a failed write, callers are refused at once for this long instead of each waiting the
# store's whole timeout: while the database is down, answers are quick 503s, not a queue of
# requests piling up behind the gunicorn threads. The first caller after it tries again.
FAIL_FAST_SECONDS = 1.0
# A shared commit that failed within this long is retried a caller at a time (see above).
RETRY_IF_FAILED_WITHIN = 0.5


def _nobody(records: Sequence[ScreeningRecord]) -> None:
    return None


@dataclass(eq=False)
class _Turn:
    """One caller's records, waiting for the commit that will hold them."""

    records: Sequence[ScreeningRecord]
    done: bool = False
    error: BaseException | None = None


class Recorder:
    def __init__(
        self,
        store: Store,
        on_recorded: RecordsHook = _nobody,
        on_refused: RecordsHook = _nobody,
        fail_fast: float = FAIL_FAST_SECONDS,
    ) -> None:
        self.store = store
        self.on_recorded = on_recorded
        self.on_refused = on_refused
        self.fail_fast = fail_fast
        self._down_until = 0.0
        # Held by the thread committing; the others wait on it with their turn queued.
        self._committing = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Turn] = []

    def record(self, records: Sequence[ScreeningRecord]) -> None:
        """Return once `records` are committed; raise StoreError if they were not."""
        if time.monotonic() < self._down_until:
            self.on_refused(records)
            raise StoreError("the store failed a moment ago; not trying again yet")
        check_screenings(records)  # a malformed record is its caller's error alone
        turn = _Turn(records)
        with self._queue_lock:
            self._queue.append(turn)
        with self._committing:
            if not turn.done:  # else the commit just ended held it
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if turn.error is not None:
            self.on_refused(records)
            if isinstance(turn.error, StoreError):
                raise StoreError(str(turn.error)) from turn.error
            raise turn.error
        self.on_recorded(records)

    @property
    def waiting(self) -> int:
        """Callers queued for the next commit."""
        with self._queue_lock:
            return len(self._queue)

    @property
    def recently_failed(self) -> bool:
        """A write failed within the last `fail_fast` seconds."""
        return time.monotonic() < self._down_until

    def _commit(self, group: list[_Turn]) -> None:
        started = time.monotonic()
        try:
            records = group[0].records if len(group) == 1 else [r for t in group for r in t.records]
            self.store.record_screenings(records)
        except StoreError as exc:
            if len(group) > 1 and time.monotonic() - started < RETRY_IF_FAILED_WITHIN:
                for turn in group:
                    self._commit_alone(turn)
            else:
                for turn in group:
                    turn.error = exc
        except BaseException as exc:
            for turn in group:
                turn.error = exc
        finally:
            for turn in group:
                turn.done = True
            if any(turn.error is not None for turn in group):
                self._down_until = time.monotonic() + self.fail_fast

    def _commit_alone(self, turn: _Turn) -> None:
        try:
            self.store.record_screenings(turn.records)
        except StoreError as exc:
            turn.error = exc
