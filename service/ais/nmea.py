"""NMEA 0183 AIS (`!AIVDM`/`!AIVDO`) to position columns and static reports.

pyais decodes each sentence's payload; this module finds each line's time (AIS position
messages carry only the UTC second, so the time must come from the logger: an NMEA 4.0 tag
block `\\c:...*hh\\`, or a leading Unix or ISO 8601 timestamp), reassembles multi-sentence
messages, and turns every bad line into a rejection with its line number. Per line it does
plain bytes operations only, because pyais's own work is most of the cost.
"""

from __future__ import annotations

import math
import re
from array import array
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from typing import Any

import numpy as np
import numpy.typing as npt
from pyais.messages import AISSentence

from service.ais.model import ReadSummary, StaticReport, unix_to_datetime
from service.ais.statics import (
    StaticTracker,
    clean_call_sign,
    clean_imo,
    clean_name,
    clean_ship_type,
)
from service.ais.streams import AisFormatError

NAN = math.nan
POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})
# Times before 1990 or after 2100 are not a logger's clock.
MIN_TIME, MAX_TIME = 631_152_000, 4_102_444_800
# Above this a Unix time is in milliseconds (1e11 seconds is the year 5138).
MILLIS_ABOVE = 100_000_000_000
# A fragment whose message is still incomplete this many lines later is an orphan.
FRAGMENT_LINES = 100
# Sentences at the start of a file without any time before the file is refused as timeless.
TIMELESS_REFUSAL = 1000

NO_TIME_REASON = (
    "no line carries a time: AIS position messages carry only the UTC second, so each line "
    "needs an NMEA 4.0 tag block (\\c:<unix seconds>*hh\\!AIVDM...) or a leading Unix or "
    "ISO 8601 timestamp"
)

# A sentence: !, a two-letter talker, VDM or VDO.
_SENTENCE_RE = re.compile(rb"![A-Z]{2}VD[MO],")
# What may stand before a sentence on an NMEA line: a tag block, or a short timestamp.
_NMEA_LINE_RE = re.compile(rb"^(?:\\[^\\]*\\|[0-9][0-9T:.+\-Z ]{0,34}[ ;,\t]*)?![A-Z]{2}VD[MO],")


def looks_like_nmea(line: bytes) -> bool:
    """True when the line is an AIS sentence, optionally after a tag block or a timestamp."""
    return _NMEA_LINE_RE.match(line.strip()) is not None


class LineTimeError(ValueError):
    """A line's time is there but cannot be read, or is no plausible logger time."""


def _checked(seconds: float, shown: str) -> int:
    if seconds > MILLIS_ABOVE:
        seconds /= 1000.0
    if not MIN_TIME <= seconds < MAX_TIME:
        raise LineTimeError(f"time {shown!r} is out of range")
    return int(seconds)


def _unix(value: bytes) -> int:
    """Unix seconds (or milliseconds) written as a number; ValueError if it is not one."""
    return _checked(float(value), value.decode("ascii", "replace"))


def _iso(text: str) -> int:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise LineTimeError(f"unparseable time {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _checked(when.timestamp(), text)


def _tag_block_time(block: bytes) -> int | None:
    """The `c:` time of a tag block's text (between the backslashes); None without one."""
    star = block.rfind(b"*")
    if star < 0:
        raise LineTimeError("tag block without checksum")
    body = block[:star]
    try:
        expected = int(block[star + 1 :], 16)
    except ValueError:
        raise LineTimeError("tag block checksum unreadable") from None
    if reduce(xor, body, 0) != expected:
        raise LineTimeError("bad tag block checksum")
    for item in body.split(b","):
        if item[:2] == b"c:":
            try:
                return _unix(item[2:])
            except LineTimeError:
                raise
            except ValueError:
                raise LineTimeError(f"unparseable tag block time {item[2:].decode()!r}") from None
    return None


# Machine-typed arrays, not lists: 8 bytes a value instead of a Python object each.
_COLUMN_NAMES = ("mmsi", "t", "lat", "lon", "sog", "cog", "heading", "status")
_COLUMN_CODES = ("q", "q", "d", "d", "d", "d", "d", "b")


def _new_columns() -> tuple[array[Any], ...]:
    return tuple(array(code) for code in _COLUMN_CODES)


class _Fragments:
    """Parts of one multi-sentence message received so far."""

    __slots__ = ("count", "first_line", "lines", "parts", "t")

    def __init__(self, sentence: AISSentence, line: int, t: int | None) -> None:
        self.count = sentence.frag_cnt
        self.first_line = line
        self.parts = [sentence]
        self.lines = [line]
        self.t = t


class NmeaDecoder:
    """Decodes NMEA lines into position columns and static reports, counting into `summary`.

    Feed lines with `feed`; take the columns with `take_columns` whenever enough
    have gathered; call `finish` at the end (it rejects fragments still waiting and raises
    `AisFormatError` if no line carried a time).
    """

    def __init__(self, summary: ReadSummary, source: str) -> None:
        self.summary = summary
        self.statics_tracker = StaticTracker(source)
        self.line = 0
        self.seen_time = False
        self._timeless = 0
        self._pending: dict[tuple[int, str], _Fragments] = {}
        self._iso_cache: tuple[bytes, int] = (b"", 0)
        self.statics: list[StaticReport] = []
        self._cols = _new_columns()

    @property
    def rows(self) -> int:
        return len(self._cols[0])

    def take_columns(self) -> dict[str, npt.NDArray[Any]]:
        """The position columns gathered since the last call, as numpy arrays."""
        out = {
            # A copy: a view would be read-only and keep the array alive.
            name: np.frombuffer(column, dtype=column.typecode).copy()
            for name, column in zip(_COLUMN_NAMES, self._cols, strict=True)
        }
        self._cols = _new_columns()
        return out

    def take_statics(self) -> list[StaticReport]:
        out, self.statics = self.statics, []
        return out

    # --- lines --------------------------------------------------------------------------

    def feed(self, lines: list[bytes]) -> None:
        """Decode the next lines of the input (without their line ends)."""
        summary = self.summary
        reject = summary.reject
        line_no = self.line
        for raw in lines:
            line_no += 1
            line = raw.strip()
            if not line:
                continue
            t: int | None = None
            first = line[0]
            try:
                if first == 33:  # "!": a bare sentence
                    sentence_bytes = line
                elif first == 92:  # "\": a tag block
                    end = line.find(b"\\", 1)
                    if end < 0:
                        reject(line_no, "tag block not closed", _text(line))
                        continue
                    t = _tag_block_time(line[1:end])
                    sentence_bytes = line[end + 1 :]
                else:
                    match = _SENTENCE_RE.search(line)
                    if match is None:
                        if first == 36:  # "$": another NMEA sentence (GPS, gatehouse)
                            summary.ignored += 1
                        else:
                            reject(line_no, "not an AIS sentence", _text(line))
                        continue
                    start = match.start()
                    t = self._prefix_time(line[:start].rstrip(b" \t;,"))
                    sentence_bytes = line[start:]
            except LineTimeError as exc:
                reject(line_no, str(exc), _text(line))
                continue
            if t is None:
                if not self.seen_time:
                    self._timeless += 1
                    if self._timeless >= TIMELESS_REFUSAL:
                        self.line = summary.lines = line_no
                        self._refuse()
            else:
                self.seen_time = True
            self._sentence(sentence_bytes, line_no, t, line)
        self.line = line_no
        summary.lines = line_no

    def _prefix_time(self, prefix: bytes) -> int:
        if not prefix:
            raise LineTimeError("text before the sentence is not a time")
        cached, t = self._iso_cache
        if prefix == cached:
            return t
        try:
            t = _unix(prefix)
        except LineTimeError:
            raise
        except ValueError:
            t = _iso(prefix.decode("ascii", "replace"))
        self._iso_cache = (prefix, t)
        return t

    def _sentence(self, raw: bytes, line_no: int, t: int | None, line: bytes) -> None:
        reject = self.summary.reject
        if raw[:1] != b"!" or raw[3:6] not in (b"VDM", b"VDO"):
            if raw[:1] == b"$":
                self.summary.ignored += 1
            else:
                reject(line_no, "not an AIS sentence", _text(line))
            return
        if len(raw) < 4 or raw[-3] != 42:  # "*hh" at the end
            reject(line_no, "truncated sentence (no *hh checksum at its end)", _text(line))
            return
        try:
            sentence = AISSentence(raw)
        except Exception as exc:  # pyais raises several kinds for malformed fields
            reject(line_no, f"undecodable sentence: {_why(exc)}", _text(line))
            return
        if not sentence.is_valid:
            reject(line_no, "bad checksum", _text(line))
            return
        if sentence.frag_cnt == 1:
            self._message(sentence, t, line_no, line)
        else:
            self._fragment(sentence, t, line_no, line)

    # --- multi-sentence messages --------------------------------------------------------

    def _fragment(self, sentence: AISSentence, t: int | None, line_no: int, line: bytes) -> None:
        pending = self._pending
        key = (-1 if sentence.seq_id is None else sentence.seq_id, sentence.channel)
        waiting = pending.get(key)
        if waiting is not None and (
            sentence.frag_num != len(waiting.parts) + 1 or sentence.frag_cnt != waiting.count
        ):
            self._orphan(pending.pop(key))
            waiting = None
        if waiting is None:
            if sentence.frag_num != 1:
                self.summary.reject(
                    line_no,
                    "orphaned fragment: its message's earlier parts are missing",
                    _text(line),
                )
                return
            self._expire(line_no)
            pending[key] = _Fragments(sentence, line_no, t)
            return
        waiting.parts.append(sentence)
        waiting.lines.append(line_no)
        if waiting.t is None:
            waiting.t = t
        if len(waiting.parts) == waiting.count:
            del pending[key]
            whole = AISSentence.assemble_from_iterable(waiting.parts)
            self._message(whole, waiting.t, waiting.first_line, whole.raw)

    def _expire(self, line_no: int) -> None:
        stale = [k for k, f in self._pending.items() if line_no - f.first_line > FRAGMENT_LINES]
        for key in stale:
            self._orphan(self._pending.pop(key))

    def _orphan(self, fragments: _Fragments) -> None:
        for sentence, line_no in zip(fragments.parts, fragments.lines, strict=True):
            self.summary.reject(
                line_no,
                "orphaned fragment: its message's later parts are missing",
                _text(sentence.raw),
            )

    # --- messages -----------------------------------------------------------------------

    def _message(self, sentence: AISSentence, t: int | None, line_no: int, line: bytes) -> None:
        kind = sentence.ais_id
        if kind not in POSITION_TYPES and kind not in STATIC_TYPES:
            if sentence.payload:
                self.summary.ignored += 1
            else:
                self.summary.reject(line_no, "empty payload", _text(line))
            return
        if t is None:
            self.summary.reject(line_no, "no time on the line", _text(line))
            return
        try:
            msg: Any = sentence.decode()
        except Exception as exc:
            self.summary.reject(line_no, f"undecodable message: {_why(exc)}", _text(line))
            return
        mmsi = msg.mmsi
        if mmsi is None:
            self.summary.reject(line_no, "payload too short for an MMSI", _text(line))
            return
        if not 0 < mmsi <= 999_999_999:
            self.summary.reject(line_no, f"MMSI {mmsi} is not 9 digits", _text(line))
            return
        if kind in POSITION_TYPES:
            if msg.lat is None or msg.lon is None:
                self.summary.reject(line_no, "payload too short for a position", _text(line))
                return
            mmsis, ts, lats, lons, sogs, cogs, headings, statuses = self._cols
            mmsis.append(mmsi)
            ts.append(t)
            lats.append(msg.lat)
            lons.append(msg.lon)
            if kind == 27:
                # Long-range broadcast: whole knots (63 = not available) and whole degrees
                # (511 = not available), no heading.
                speed, course = msg.speed, msg.course
                sogs.append(NAN if speed is None or speed >= 63 else speed)
                cogs.append(NAN if course is None or course >= 360 else course)
                headings.append(NAN)
            else:
                speed, course, heading = msg.speed, msg.course, msg.heading
                sogs.append(NAN if speed is None or speed >= 102.25 else speed)
                cogs.append(NAN if course is None or course >= 360 else course)
                headings.append(NAN if heading is None or heading >= 360 else heading)
            status = getattr(msg, "status", None)
            statuses.append(-1 if status is None else int(status))
            if kind == 19:
                self._static(
                    mmsi,
                    t,
                    name=clean_name(msg.shipname),
                    ship_type=clean_ship_type(_int(msg.ship_type)),
                )
        elif kind == 5:
            self._static(
                mmsi,
                t,
                imo=clean_imo(msg.imo),
                name=clean_name(msg.shipname),
                call_sign=clean_call_sign(msg.callsign),
                ship_type=clean_ship_type(_int(msg.ship_type)),
            )
        elif msg.partno == 0:
            self._static(mmsi, t, name=clean_name(msg.shipname))
        else:
            self._static(
                mmsi,
                t,
                call_sign=clean_call_sign(msg.callsign),
                ship_type=clean_ship_type(_int(msg.ship_type)),
            )

    def _static(self, mmsi: int, t: int, **fields: Any) -> None:
        report = self.statics_tracker.offer(mmsi, unix_to_datetime(t), **fields)
        if report is not None:
            self.summary.statics += 1
            self.statics.append(report)

    # --- the end ------------------------------------------------------------------------

    def finish(self) -> None:
        for fragments in list(self._pending.values()):
            self._orphan(fragments)
        self._pending.clear()
        if not self.seen_time and self._timeless:
            self._refuse()

    def _refuse(self) -> None:
        raise AisFormatError(NO_TIME_REASON)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(line: bytes) -> str:
    return line[:200].decode("ascii", "replace")


def _why(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:80]}" if text else type(exc).__name__


def tag_block(t: int, source: str | None = None) -> str:
    """An NMEA 4.0 tag block carrying Unix time `t` (and a source station), checksum and
    backslashes included, to put before a sentence."""
    body = f"c:{t}" if source is None else f"c:{t},s:{source}"
    return f"\\{body}*{reduce(xor, body.encode(), 0):02X}\\"
