"""gunicorn.conf.py, with each worker's audit store replaced by a stand-in that keeps nothing.

For `benchmarks/audit_overhead.py --decompose`: the recorder runs as in
the service, but each commit is a stand-in, so the cost of recording can be split into what the
recorder's own machinery costs (STAND_IN_COMMIT_MS=0: a commit that returns at once) and what a
commit that blocks for as long as a flush to disk takes costs (STAND_IN_COMMIT_MS=1.5: the
thread sleeps, letting go of Python's GIL, as it does waiting on fdatasync), against the
store's real work. Only this benchmark file does it; the service has no such switch.
"""

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_BASE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_BASE.read_text(encoding="utf-8"), str(_BASE), "exec"))
_service_post_worker_init = globals()["post_worker_init"]


class StandInStore:
    def __init__(self, commit_seconds: float) -> None:
        self.commit_seconds = commit_seconds

    def record_screenings(self, records: Sequence[Any]) -> None:
        if self.commit_seconds > 0:
            time.sleep(self.commit_seconds)


def post_worker_init(worker: Any) -> None:
    _service_post_worker_init(worker)
    seconds = float(os.environ.get("STAND_IN_COMMIT_MS", "0")) / 1000
    worker.wsgi.extensions["vessel_screen"].recorder.store = StandInStore(seconds)
