"""The one entry point: format told by content, chunked reading, the running summary."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from service.ais.read import AisFormatError, ais_files, read_ais, read_all
from tests.ais.test_nmea import T0, position, sentences, tagged

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ais"


class OneWay(io.RawIOBase):
    """A byte stream that cannot seek and returns a few bytes per read, like a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), 7, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


def nmea_body(count: int) -> bytes:
    lines = []
    for i in range(count):
        [line] = sentences(**position(mmsi=211000000 + i % 50, lat=54 + i * 1e-4))
        lines.append(tagged(line, T0 + i))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"!AIVDM,1,1,,A,x,0*00\n", "nmea"),
        (b"\\c:1,s:a*00\\!AIVDM,1,1,,A,x,0*00\n", "nmea"),
        (b"1700000000.5 !AIVDM,1,1,,A,x,0*00\n", "nmea"),
        (b"2023-11-14T22:13:20Z;!BSVDO,1,1,,A,x,0*00\n", "nmea"),
        (b"# recorded on the roof\n!AIVDM,1,1,,A,x,0*00\n", "nmea"),
        (b"MMSI,BaseDateTime,LAT,LON\n", "csv"),
        (b"# Timestamp,Type of mobile,MMSI,Latitude,Longitude\n", "csv"),
    ],
)
def test_format_told_by_content(body: bytes, expected: str) -> None:
    assert read_ais(io.BytesIO(body), "x").summary.format.startswith(expected)


@pytest.mark.parametrize("body", [b"", b"\n\n", b"hello world\n", b"a,b,c\n1,2,3\n"])
def test_not_ais_is_refused(body: bytes) -> None:
    with pytest.raises(AisFormatError):
        read_ais(io.BytesIO(body), "x")


def test_nmea_chunks_and_running_summary() -> None:
    reader = read_ais(io.BytesIO(nmea_body(30_000)), "feed", chunk_rows=5_000)
    sizes = []
    for positions, _ in reader:
        sizes.append(len(positions))
        assert positions.lat.flags.writeable and positions.mmsi.dtype == "int64"
        assert reader.summary.positions == sum(sizes)
        assert reader.summary.lines > 0
    assert sum(sizes) == 30_000 and len(sizes) > 2
    assert reader.summary.lines == 30_000 and reader.summary.rejected == 0
    assert reader.bytes_read == len(nmea_body(30_000))


def test_nmea_gzip_from_a_one_way_stream() -> None:
    body = nmea_body(500)
    positions, _, summary = read_all(io.BufferedReader(OneWay(gzip.compress(body))), "up")
    assert summary.format == "nmea" and len(positions) == 500
    assert positions.t.tolist() == list(range(T0, T0 + 500))


def test_nmea_duplicates_from_overlapping_receivers() -> None:
    [line] = sentences(**position())
    body = "\n".join([tagged(line, T0, "rx1"), tagged(line, T0, "rx2"), tagged(line, T0 + 9)])
    positions, _, summary = read_all(io.BytesIO(body.encode()), "x")
    assert positions.t.tolist() == [T0, T0 + 9]
    assert summary.duplicates == 1 and summary.rejected == 0


def test_nmea_times_out_of_order_accepted() -> None:
    [line] = sentences(**position())
    body = "\n".join(tagged(line, t) for t in (T0 + 50, T0, T0 + 20))
    positions, _, summary = read_all(io.BytesIO(body.encode()), "x")
    assert positions.t.tolist() == [T0 + 50, T0, T0 + 20] and summary.rejected == 0


def test_sog_ceiling_is_configurable() -> None:
    [line] = sentences(**position(speed=70.0))
    body = tagged(line, T0).encode()
    assert read_all(io.BytesIO(body), "x")[2].outliers == 1
    assert len(read_all(io.BytesIO(body), "x", sog_ceiling=80.0)[0]) == 1


def test_long_timeless_start_refused_before_the_end() -> None:
    [line] = sentences(**position())
    reader = read_ais(io.BytesIO((line + "\n").encode() * 5000), "x")
    with pytest.raises(AisFormatError, match="no line carries a time"):
        next(iter(reader))
    assert reader.summary.lines < 5000


def test_ais_files(tmp_path: Path) -> None:
    for name in ("a.nmea", "b.TXT", "c.csv", "d.csv.gz", "e.json", "f.zip"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.csv").mkdir()
    assert [p.name for p in ais_files(tmp_path)] == ["a.nmea", "b.TXT", "c.csv", "d.csv.gz"]


def test_reader_reads_once() -> None:
    reader = read_ais(FIXTURES / "dma_sample.csv")
    assert reader.summary.source == "dma_sample.csv"
    list(reader)
    with pytest.raises(RuntimeError):
        list(reader)
