"""Recording answered screenings: each call's records are committed by the store, in one
transaction of their own, before it returns.

Whoever needs to know what was recorded (the metrics) is told through the hooks given to the
`Recorder`: `on_recorded` once the records are committed, `on_refused` when they were not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from service.store.base import ScreeningRecord, Store, StoreError

RecordsHook = Callable[[Sequence[ScreeningRecord]], None]

# After a failed write, callers are refused at once for this long instead of each waiting the
# store's whole timeout: while the database is down, answers are quick 503s, not a queue of
# requests piling up behind the gunicorn threads. The first caller after it tries again.
FAIL_FAST_SECONDS = 1.0


def _nobody(records: Sequence[ScreeningRecord]) -> None:
    return None


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

    def record(self, records: Sequence[ScreeningRecord]) -> None:
        """Return once `records` are committed; raise StoreError if they were not."""
        if time.monotonic() < self._down_until:
            self.on_refused(records)
            raise StoreError("the store failed a moment ago; not trying again yet")
        try:
            self.store.record_screenings(records)
        except StoreError:
            self._down_until = time.monotonic() + self.fail_fast
            self.on_refused(records)
            raise
        self.on_recorded(records)

    @property
    def recently_failed(self) -> bool:
        """A write failed within the last `fail_fast` seconds."""
        return time.monotonic() < self._down_until
