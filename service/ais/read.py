"""One way in for AIS files and uploads: `read_ais` tells NMEA from a position CSV by the
content, reads either in chunks with flat memory, and keeps a running `ReadSummary`.

    reader = read_ais(path_or_stream, "aisdk-2024-01-01.csv")   # AisFormatError if not AIS
    for positions, statics in reader:
        store(positions, statics)
        progress(reader.summary.lines, reader.bytes_read)
    reader.summary   # accepted, rejected (first rejections with their lines), outliers...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from service.ais.clean import DEFAULT_SOG_CEILING, Cleaner
from service.ais.model import Positions, ReadSummary, StaticReport
from service.ais.nmea import NmeaDecoder, looks_like_nmea
from service.ais.positions_csv import (
    CsvDecoder,
    detect_layout,
    split_header,
    unknown_layout_reason,
)
from service.ais.streams import AisFormatError, OpenedSource

__all__ = [
    "AIS_SUFFIXES",
    "AisFormatError",
    "AisReader",
    "ais_files",
    "read_ais",
    "read_all",
]

# What a folder of AIS files holds; ".gz" may wrap either format.
AIS_SUFFIXES = (".nmea", ".txt", ".csv", ".gz")
# Lines looked at to tell NMEA from CSV: a recording may open with a comment or two.
_SNIFF_LINES = 50
# CSV rows are ~100-200 bytes; polars parses a block this size on all cores at once.
_CSV_BYTES_PER_ROW = 120


def ais_files(directory: Path) -> list[Path]:
    """The files in `directory` (not below it) that may hold AIS, by name, sorted."""
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in AIS_SUFFIXES
    )


class AisReader:
    """An AIS input opened and its format told (`summary.format`: "nmea", "csv:dma" or
    "csv:marinecadastre"). Iterating it once yields (positions, static reports) chunks of
    about `chunk_rows` positions, outliers and duplicates already dropped; `summary` counts
    as it goes.

    Raises AisFormatError when the input is not AIS: at once for an unknown layout or
    content, and while iterating for NMEA in which no line carries a time.
    """

    def __init__(
        self,
        source: Path | BinaryIO,
        name: str | None = None,
        *,
        chunk_rows: int = 200_000,
        sog_ceiling: float = DEFAULT_SOG_CEILING,
        keep_rejections: int = 20,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        if name is None:
            name = source.name if isinstance(source, Path) else "stream"
        self.name = name
        self.chunk_rows = chunk_rows
        self.summary = ReadSummary(source=name, keep_rejections=keep_rejections)
        self._cleaner = Cleaner(sog_ceiling=sog_ceiling)
        self._opened = OpenedSource(source)
        self._started = False
        try:
            self.summary.format = self._sniff(self._opened.head)
        except BaseException:
            self._opened.close()
            raise

    @property
    def bytes_read(self) -> int:
        """Bytes taken from the source so far (compressed bytes for gzip), for progress."""
        return self._opened.bytes_read

    @staticmethod
    def _sniff(head: bytes) -> str:
        lines = [line for line in head.split(b"\n", _SNIFF_LINES)[:_SNIFF_LINES] if line.strip()]
        if not lines:
            raise AisFormatError("the input is empty")
        if detect_layout(lines[0]) is not None:
            return "csv"
        if any(looks_like_nmea(line) for line in lines):
            return "nmea"
        first = lines[0]
        if b"," in first and b"!" not in first:
            raise AisFormatError(unknown_layout_reason(first))
        raise AisFormatError(
            "not AIS: expected NMEA sentences (!AIVDM/!AIVDO, optionally after a tag block or "
            "a timestamp) or a position CSV header; " + unknown_layout_reason(first)
        )

    def __iter__(self) -> Iterator[tuple[Positions, list[StaticReport]]]:
        if self._started:
            raise RuntimeError("an AisReader is read once")
        self._started = True
        try:
            if self.summary.format == "nmea":
                yield from self._nmea()
            else:
                yield from self._csv()
        finally:
            self._opened.close()

    def _kept(self, batch: Positions) -> Positions:
        batch = self._cleaner.clean(batch)
        summary = self.summary
        summary.positions += len(batch)
        summary.outliers = self._cleaner.outliers
        summary.duplicates = self._cleaner.duplicates
        return batch

    def _nmea(self) -> Iterator[tuple[Positions, list[StaticReport]]]:
        decoder = NmeaDecoder(self.summary, self.name)
        step = self.chunk_rows
        for block in self._opened.blocks():
            lines = block.split(b"\n")
            if block.endswith(b"\n"):
                lines.pop()
            for start in range(0, len(lines), step):
                decoder.feed(lines[start : start + step])
                if decoder.rows >= step:
                    yield from self._nmea_chunks(decoder)
        decoder.finish()
        yield from self._nmea_chunks(decoder)

    def _nmea_chunks(self, decoder: NmeaDecoder) -> Iterator[tuple[Positions, list[StaticReport]]]:
        batch = Positions.from_columns(**decoder.take_columns())
        statics = decoder.take_statics()
        step = self.chunk_rows
        for start in range(0, len(batch), step):
            kept = self._kept(batch.take(slice(start, start + step)))
            yield kept, statics
            statics = []
        if statics:
            yield Positions.empty(), statics

    def _csv(self) -> Iterator[tuple[Positions, list[StaticReport]]]:
        header, header_line, blocks = split_header(self._opened.blocks())
        decoder = CsvDecoder(self.summary, self.name, header, header_line)
        self.summary.lines = header_line
        target = max(1 << 20, self.chunk_rows * _CSV_BYTES_PER_ROW)
        pending: list[bytes] = []
        size = 0
        for block in blocks:
            pending.append(block)
            size += len(block)
            if size >= target:
                yield from self._csv_chunks(decoder, b"".join(pending))
                pending, size = [], 0
        if pending:
            yield from self._csv_chunks(decoder, b"".join(pending))

    def _csv_chunks(
        self, decoder: CsvDecoder, data: bytes
    ) -> Iterator[tuple[Positions, list[StaticReport]]]:
        positions, statics = decoder.decode(data)
        step = self.chunk_rows
        for start in range(0, max(len(positions), 1), step):
            part = positions.take(slice(start, start + step))
            chunk_statics = statics if start == 0 else []
            kept = self._kept(part)
            if len(kept) or chunk_statics:
                yield kept, chunk_statics


def read_ais(
    source: Path | BinaryIO,
    name: str | None = None,
    *,
    chunk_rows: int = 200_000,
    sog_ceiling: float = DEFAULT_SOG_CEILING,
    keep_rejections: int = 20,
) -> AisReader:
    """Open an AIS file or byte stream (NMEA or a position CSV, gzip or plain) for reading in
    chunks; see `AisReader`."""
    return AisReader(
        source,
        name,
        chunk_rows=chunk_rows,
        sog_ceiling=sog_ceiling,
        keep_rejections=keep_rejections,
    )


def read_all(
    source: Path | BinaryIO,
    name: str | None = None,
    *,
    sog_ceiling: float = DEFAULT_SOG_CEILING,
    keep_rejections: int = 20,
) -> tuple[Positions, list[StaticReport], ReadSummary]:
    """The whole input at once, for small inputs: positions, static reports, summary."""
    reader = read_ais(source, name, sog_ceiling=sog_ceiling, keep_rejections=keep_rejections)
    batches: list[Positions] = []
    statics: list[StaticReport] = []
    for positions, found in reader:
        batches.append(positions)
        statics.extend(found)
    return Positions.concat(batches), statics, reader.summary
