"""gunicorn's gthread worker, keeping a busy keep-alive connection on the thread that serves it.

gthread answers each request on a pool thread, then gives the connection back to the worker's
main thread, which waits for the next request on it with its poller and hands that to the pool
again: two thread hand-offs and a pipe write and read per request, about a third of a single
screening's time on loopback (`GET /healthz` at c1, same run: 0.77 -> 0.47 ms without them).
A caller that screens one ship after another sends its next request within microseconds of the
answer, so after each answer the thread waits briefly on the same connection (`LINGER_SECONDS`)
and, if the next request has come, answers it at once.

It waits only while no other connection is queued for a thread, and never longer than
`LINGER_SECONDS`, so other callers are never kept waiting by it for more than that: a connection
whose caller is slower goes back to the poller exactly as gthread does it.

So a worker holding more busy connections than it has threads lingers almost never: some
connection is always queued, and each answer sends its connection the slow way round. Counted
under `wrk` at c16 with 8 threads a worker, a worker that the kernel had given 9 or 10 of the 16
connections sent about three quarters of its screenings that way (the other worker, with 6 or 7,
under 1%). Hence THREADS' default of 16 (gunicorn.conf.py).
"""

from __future__ import annotations

import select
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# Long enough for a client's next request sent straight after an answer (tens to a few hundred
# microseconds on loopback), short enough that a thread waiting in vain costs little.
LINGER_SECONDS = 0.001


class KeepAliveThreadWorker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        keep = super().handle(conn)
        while keep is True and self.alive and self._next_request_comes(conn):
            keep = super().handle(conn)
        return keep

    def _next_request_comes(self, conn: Any) -> bool:
        if conn.parser.unreader.buf.getvalue():  # already read with the previous request
            return True
        if not self.tpool._work_queue.empty():  # another connection waits for a thread
            return False
        readable, _, _ = select.select([conn.sock], [], [], LINGER_SECONDS)
        return bool(readable)
