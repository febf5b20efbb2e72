"""Logs as JSON lines on stdout: one object per record, for a log shipper to read as it is.

Every line has `ts` (ISO 8601, UTC, milliseconds), `level`, `logger`, `pid` and `message`; a
record's `extra` fields are added as they are (a request's line carries `event: "request"`,
`request_id`, `route`, `status`, `duration_ms` ...), and a logged exception its `exception`
text. Nothing here knows Flask: the web layer adds what it knows (service/web/observe.py).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from typing import Any

import orjson

# Attributes every LogRecord has: anything else on a record came from `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._second = (-1, "")  # one (second, its text) pair: a tuple swaps atomically

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd `extra` value is shown as text rather than lose the whole line.
        return orjson.dumps(line, default=str).decode()

    def _timestamp(self, created: float) -> str:
        # strftime is most of a line's cost; it changes once a second.
        whole = int(created)
        second, text = self._second
        if second != whole:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
            self._second = (whole, text)
        return f"{text}.{int((created - whole) * 1000):03d}Z"


def configure(level: str, filters: Iterable[logging.Filter] = ()) -> None:
    """JSON lines on stdout for the root logger, as `logging.basicConfig` would set it up: only
    when nobody has (pytest, or a program embedding the app, keeps its own set-up)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    for f in filters:
        handler.addFilter(f)
    root.addHandler(handler)
    root.setLevel(level)
