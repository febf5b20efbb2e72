"""gunicorn.conf.py, with each worker's audit recording replaced by counting alone.

The control of benchmarks/audit_overhead.py: the same service, served the same way, that
records nothing, so the cost of recording is measured against it in the same run. It still
counts its screenings in /metrics, as a service without a store would (the service counts
them where they are recorded, so replacing the recorder would drop the count too). The service
itself has no switch to stop recording; only this benchmark file does it.
"""

from pathlib import Path
from typing import Any

from service import metrics

_BASE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_BASE.read_text(encoding="utf-8"), str(_BASE), "exec"))
_base_post_worker_init = globals()["post_worker_init"]


def post_worker_init(worker: Any) -> None:
    _base_post_worker_init(worker)
    worker.wsgi.extensions["vessel_screen"].recorder.record = metrics.count_screenings
