"""Port calls pushed by providers, kept in an append-only JSON-lines journal on disk.

Every gunicorn worker (and every restart) sees the same pushed calls: a push appends to the
file under an exclusive lock, and each worker, before it answers, reads whatever was appended
since it last looked. Checking costs one `stat`.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from pathlib import Path

from service.portcalls.calls import PortCall, parse_port_calls
from service.portcalls.ports import PortTable


def call_to_json(call: PortCall) -> str:
    """One journal line, in the documented JSON-lines port-call format."""
    return json.dumps(
        {
            "imo": call.imo,
            "mmsi": call.mmsi,
            "port": call.locode,
            "country": call.country,
            "arrived_at": call.arrived_at.isoformat(),
            "departed_at": call.departed_at.isoformat() if call.departed_at else None,
            "source": call.source,
            "note": call.note,
            "confidence": call.confidence,
        },
        ensure_ascii=False,
    )


class CallJournal:
    def __init__(self, path: Path, ports: PortTable) -> None:
        self.path = path
        self.ports = ports
        self._offset = 0
        self._identity: tuple[int, int] | None = None

    def append(self, calls: Sequence[PortCall]) -> None:
        """Write the calls durably (fsync) before the push is answered."""
        if not calls:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(call_to_json(c) + "\n" for c in calls)
        with self.path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def read_new(self) -> tuple[list[PortCall], bool]:
        """Calls appended since the last read, and whether the journal was replaced (then the
        list holds every call in it and the caller must rebuild rather than add)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            replaced = self._identity is not None
            self._identity, self._offset = None, 0
            return [], replaced
        identity = (st.st_dev, st.st_ino)
        replaced = self._identity is not None and (
            identity != self._identity or st.st_size < self._offset
        )
        if replaced:
            self._offset = 0
        self._identity = identity
        if st.st_size == self._offset:
            return [], replaced
        with self.path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read(st.st_size - self._offset)
        # A line still being written has no newline yet: leave it for the next read.
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        result = parse_port_calls(complete.decode("utf-8").splitlines(), "jsonl", self.ports)
        return result.calls, replaced
