"""Position CSVs: layouts told by the header, bad rows reported with their line numbers while
good rows are kept, identity columns as static reports only where they change."""

from __future__ import annotations

import gzip
import io
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.ais.read import AisFormatError, read_ais, read_all

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ais"
MARINECADASTRE = FIXTURES / "marinecadastre_sample.csv"
DMA = FIXTURES / "dma_sample.csv"


def test_marinecadastre_rows() -> None:
    positions, _, summary = read_all(MARINECADASTRE)
    assert summary.format == "csv:marinecadastre"
    assert summary.lines == 11
    by_row = positions.t.tolist()
    # File order kept, the out-of-order last row included.
    assert by_row == [1672531203, 1672531263, 1672531210, 1672531323, 1672531230]
    assert positions.mmsi.tolist() == [367000001, 367000001, 367000002, 367000001, 367000001]
    assert positions.lat[0] == pytest.approx(29.93001)
    assert positions.lon[0] == pytest.approx(-89.99001)
    assert positions.sog[0] == pytest.approx(10.2) and positions.heading[0] == 90
    assert math.isnan(positions.heading[1])  # 511
    # 102.3 knots, 360 degrees and 511 are "not available", and so is an empty status.
    assert math.isnan(positions.sog[2]) and math.isnan(positions.cog[2])
    assert positions.status.tolist() == [0, 0, -1, 0, 5]


def test_marinecadastre_bad_rows_by_line() -> None:
    _, _, summary = read_all(MARINECADASTRE)
    found = {r.line: r.reason for r in summary.first_rejections}
    assert found == {
        6: "unparseable time",
        7: "MMSI not 9 digits",
        8: "latitude missing or not a number",
    }
    assert summary.rejected == 3
    assert "SHORT MMSI" in summary.first_rejections[1].text
    assert summary.outliers == 1  # 0/0
    assert summary.duplicates == 1  # line 10 repeats line 4


def test_marinecadastre_statics_only_on_change() -> None:
    _, statics, summary = read_all(MARINECADASTRE)
    ship = [s for s in statics if s.mmsi == "367000001"]
    assert [(s.name, s.imo, s.call_sign, s.ship_type) for s in ship] == [
        ("OCEAN STAR", "9161003", "WDA1234", 70),
        ("OCEAN STAR II", "9161003", "WDA1234", 70),
    ]
    assert ship[1].at == datetime(2023, 1, 1, 0, 2, 3, tzinfo=UTC)
    # The ship on 0/0 still said who it is; the rows with no identity say nothing.
    assert {s.mmsi for s in statics} == {"367000001", "367000006"}
    assert summary.statics == len(statics) == 3


def test_dma_rows() -> None:
    positions, statics, summary = read_all(DMA)
    assert summary.format == "csv:dma"
    assert positions.mmsi.tolist() == [219000001, 219000002, 219000001]
    assert positions.t.tolist() == [1704067200, 1704067205, 1704067210]
    assert positions.status.tolist() == [0, 15, 5]
    assert math.isnan(positions.sog[1]) and math.isnan(positions.heading[1])
    assert summary.ignored == 1  # the base station
    assert {r.line: r.reason for r in summary.first_rejections} == {
        6: "unparseable time",
        7: "latitude missing or not a number",
    }
    assert summary.outliers == 1  # latitude 91
    assert [(s.mmsi, s.name, s.imo, s.call_sign, s.ship_type) for s in statics] == [
        ("219000001", "NORDIC TEST", "9161003", "OXAB2", 80),
        ("219000002", None, None, None, 37),
    ]


def test_dma_decimal_commas() -> None:
    text = (
        "Timestamp,Type of mobile,MMSI,Latitude,Longitude,SOG\n"
        '01/01/2020 00:07:00,Class A,219000001,"55,100000","12,250000","7,5"\n'
    )
    positions, _, summary = read_all(io.BytesIO(text.encode()), "dk.csv")
    assert summary.format == "csv:dma"
    assert positions.lat.tolist() == [55.1] and positions.lon.tolist() == [12.25]
    assert positions.sog.tolist() == [7.5]


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    packed = tmp_path / "day.csv"  # no .gz: the magic bytes tell
    packed.write_bytes(gzip.compress(DMA.read_bytes()))
    plain, _, plain_summary = read_all(DMA)
    positions, _, summary = read_all(packed)
    assert positions.t.tolist() == plain.t.tolist()
    assert summary.rejected == plain_summary.rejected == 2


def test_gzip_stream() -> None:
    stream = io.BytesIO(gzip.compress(MARINECADASTRE.read_bytes()))
    positions, _, summary = read_all(stream, "upload")
    assert len(positions) == 5 and summary.source == "upload"


def test_header_case_and_crlf_and_blank_lines() -> None:
    text = (
        "\r\n#  mmsi,basedatetime,lat,lon\r\n"
        "367000001,2023-01-01T00:00:03,29.9,-89.9\r\n"
        "\r\n"
        "367000001,2023-01-01T00:00:04,29.9,-89.8\r\n"
        "x,2023-01-01T00:00:04,29.9,-89.8\r\n"
    )
    positions, _, summary = read_all(io.BytesIO(text.encode()), "mini.csv")
    assert summary.format == "csv:marinecadastre"
    assert positions.t.tolist() == [1672531203, 1672531204]
    assert {r.line: r.reason for r in summary.first_rejections} == {6: "MMSI not 9 digits"}
    assert math.isnan(positions.sog[0]) and positions.status[0] == -1


def test_short_and_long_rows() -> None:
    text = (
        "MMSI,BaseDateTime,LAT,LON,SOG\n"
        "367000001,2023-01-01T00:00:03\n"
        "367000001,2023-01-01T00:00:04,29.9,-89.8,3.5,extra,fields\n"
    )
    positions, _, summary = read_all(io.BytesIO(text.encode()), "ragged.csv")
    assert {r.line: r.reason for r in summary.first_rejections} == {
        2: "latitude missing or not a number"
    }
    assert positions.sog.tolist() == [3.5]


def test_unknown_layout_is_refused_naming_expected_columns() -> None:
    text = b"ship,when,y,x\n1,2,3,4\n"
    with pytest.raises(AisFormatError) as caught:
        read_all(io.BytesIO(text), "odd.csv")
    reason = caught.value.reason
    assert "unknown AIS CSV layout" in reason
    assert "mmsi,basedatetime,lat,lon" in reason and "timestamp,mmsi,latitude,longitude" in reason


def test_rejections_beyond_those_kept_are_counted() -> None:
    rows = "".join(f"36700000{i % 10},2023-01-01T00:00:00,north,1\n" for i in range(50))
    text = "MMSI,BaseDateTime,LAT,LON\n" + rows
    _, _, summary = read_all(io.BytesIO(text.encode()), "bad.csv", keep_rejections=5)
    assert summary.rejected == 50
    assert [r.line for r in summary.first_rejections] == [2, 3, 4, 5, 6]


def test_line_numbers_hold_across_chunks(tmp_path: Path) -> None:
    # Enough rows for several read blocks; one bad row near the end.
    good = "367000001,2023-01-01T00:00:00,29.9,{lon:.5f}\n"
    rows = [good.format(lon=-89 + i * 1e-5) for i in range(60_000)]
    rows[55_555] = "367000001,2023-01-01T00:00:00,29.9,east\n"
    path = tmp_path / "big.csv"
    path.write_text("MMSI,BaseDateTime,LAT,LON\n" + "".join(rows))
    reader = read_ais(path, chunk_rows=1000)
    sizes = [len(positions) for positions, _ in reader]
    summary = reader.summary
    assert [(r.line, r.reason) for r in summary.first_rejections] == [
        (55_557, "longitude missing or not a number")
    ]
    assert sum(sizes) == summary.positions == 59_999
    assert max(sizes) <= 1000 and len(sizes) >= 60


def test_identity_flip_back_is_a_change() -> None:
    text = "MMSI,BaseDateTime,LAT,LON,VesselName\n" + "".join(
        f"367000001,2023-01-01T00:00:0{i},29.9,-89.{i},{name}\n"
        for i, name in enumerate(["ALPHA", "ALPHA", "BRAVO", "ALPHA", "@@ALPHA  @"])
    )
    _, statics, _ = read_all(io.BytesIO(text.encode()), "flip.csv")
    assert [(s.name, s.at.second) for s in statics] == [("ALPHA", 0), ("BRAVO", 2), ("ALPHA", 3)]


def test_identity_change_found_across_blocks(tmp_path: Path) -> None:
    rows = [
        f"367000001,2023-01-01T00:00:00,29.9,{-89 + i * 1e-5:.5f},"
        f"{'OLD NAME' if i < 40_000 else 'NEW NAME'}\n"
        for i in range(60_000)
    ]
    path = tmp_path / "rename.csv"
    path.write_text("MMSI,BaseDateTime,LAT,LON,VesselName\n" + "".join(rows))
    reader = read_ais(path, chunk_rows=1000)
    statics = [s for _, found in reader for s in found]
    assert [s.name for s in statics] == ["OLD NAME", "NEW NAME"]
    assert reader.summary.statics == 2
