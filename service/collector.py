"""Python's cyclic garbage collector held off while lists are loaded, stored and indexed.

Loading a list, writing its records and building the index each make millions of objects that
stay alive until the step ends and form no cycles. The collector, run every few hundred
allocations, would go over all of them again and again: a quarter of an index build of a
million companies and a third to half of a large list's load. Paused, it runs again at the end
and finds the garbage the step left, once.

The pause is the process's: several threads may each pause it, and it resumes when the last
of them is done (and only if it was running when the first began).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()
