"""Group commit: concurrent callers' audit records share one transaction.

Each answer must be stored before it is sent, and a commit costs a flush to disk (and on
PostgreSQL a round trip). Under load, the first caller to arrive writes everything queued (its
own records and those that arrive meanwhile) in one transaction; the others wait for that
commit, and the first of those that arrived during it writes the next group. Nobody's answer
goes out before its own records are committed, and when a transaction fails every caller in it
gets the error (none of them was stored, so none is answered). A lone caller pays what it paid
before.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence

from service.store.base import ScreeningRecord, Store, StoreError

# Records in one transaction at most; a burst larger than this is written in several.
MAX_GROUP = 512
# After a failed write, callers are refused at once for this long instead of each waiting the
# store's whole timeout: while the database is down, answers are quick 503s, not a queue of
# requests piling up behind the gunicorn threads. The first caller after it tries again.
FAIL_FAST_SECONDS = 1.0


class _Caller:
    """One caller's records, and what became of them.

    `asleep` is a lock taken at creation: a waiting caller blocks acquiring it again and is
    woken by its release, one wake-up in C. An Event does the same through a Condition written
    in Python (about 5 us more a caller, alone), and a woken waiter must then take back the
    Condition's lock, which its waker may still hold: a second sleep and wake-up, on the path
    of every answer."""

    __slots__ = ("asleep", "error", "leads", "records")

    def __init__(self, records: Sequence[ScreeningRecord]) -> None:
        self.records = records
        self.asleep = threading.Lock()
        self.asleep.acquire()
        self.error: BaseException | None = None
        self.leads = False  # woken to write the next group, its own records first

    def wait(self) -> None:
        self.asleep.acquire()

    def wake(self) -> None:
        self.asleep.release()


class GroupCommit:
    def __init__(
        self, store: Store, max_group: int = MAX_GROUP, fail_fast: float = FAIL_FAST_SECONDS
    ) -> None:
        self.store = store
        self.max_group = max_group
        self.fail_fast = fail_fast
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._queue: deque[_Caller] = deque()
        self._writing = False

    def record(self, records: Sequence[ScreeningRecord]) -> None:
        """Return once `records` are committed; raise StoreError if they were not."""
        if time.monotonic() < self._down_until:
            raise StoreError("the store failed a moment ago; not trying again yet")
        me = _Caller(records)
        with self._lock:
            self._queue.append(me)
            leads = not self._writing
            self._writing = True
        if not leads:
            me.wait()
            leads = me.leads
        if leads:
            self._write_group()
        if me.error is not None:
            raise me.error

    def _write_group(self) -> None:
        """Write the queued records (the writer's own first), tell their callers, and hand the
        writing to the first caller still queued: each caller writes at most one group, so no
        answer waits on later callers' commits."""
        with self._lock:
            group = [self._queue.popleft()]
            size = len(group[0].records)
            while self._queue and size + len(self._queue[0].records) <= self.max_group:
                group.append(self._queue.popleft())
                size += len(group[-1].records)
        try:
            self.store.record_screenings([r for caller in group for r in caller.records])
        except BaseException as exc:  # every caller of the group learns it was not stored
            if isinstance(exc, StoreError):
                self._down_until = time.monotonic() + self.fail_fast
            for caller in group:
                caller.error = exc
        for caller in group[1:]:
            caller.wake()
        with self._lock:
            if self._queue:
                following = self._queue[0]
                following.leads = True
                following.wake()
            else:
                self._writing = False

    @property
    def recently_failed(self) -> bool:
        """A write failed within the last `fail_fast` seconds."""
        return time.monotonic() < self._down_until
