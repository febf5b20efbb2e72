"""NMEA reading: each message type decoded, times found on each line, bad lines rejected by
line number. Sentences come from pyais's encoder; tag block checksums are computed here."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from pyais import encode_dict

from service.ais.read import AisFormatError, read_all
from tests.conftest import shared_path

T0 = 1_700_000_000


def sentences(seq_id: int | None = None, channel: str = "A", **fields: Any) -> list[str]:
    """The !AIVDM sentence(s) pyais's encoder makes of one message."""
    return encode_dict(
        fields, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq_id
    )


def xor_checksum(text: str) -> str:
    value = 0
    for char in text:
        value ^= ord(char)
    return f"{value:02X}"


def tagged(sentence: str, t: int | str, station: str = "rx1") -> str:
    body = f"c:{t},s:{station}"
    return f"\\{body}*{xor_checksum(body)}\\{sentence}"


def read_lines(*lines: str, **kwargs: Any) -> Any:
    return read_all(io.BytesIO("\n".join(lines).encode() + b"\n"), "test.nmea", **kwargs)


def position(mmsi: int = 211000001, **extra: Any) -> dict[str, Any]:
    fields = {"type": 1, "mmsi": mmsi, "lat": 54.5, "lon": 10.25, "speed": 12.3,
              "course": 45.6, "heading": 44, "status": 5}  # fmt: skip
    fields.update(extra)
    return fields


def reasons(summary: Any) -> dict[int, str]:
    return {r.line: r.reason for r in summary.first_rejections}


@pytest.mark.parametrize("kind", [1, 2, 3])
def test_class_a_position(kind: int) -> None:
    [line] = sentences(**position(type=kind))
    positions, _, summary = read_lines(tagged(line, T0))
    assert summary.format == "nmea" and summary.positions == 1
    assert positions.mmsi.tolist() == [211000001]
    assert positions.t.tolist() == [T0]
    assert positions.lat[0] == pytest.approx(54.5) and positions.lon[0] == pytest.approx(10.25)
    assert positions.sog[0] == pytest.approx(12.3) and positions.cog[0] == pytest.approx(45.6)
    assert positions.heading[0] == 44 and positions.status[0] == 5


def test_not_available_speed_course_heading_become_nan() -> None:
    [line] = sentences(**position(speed=102.3, course=360, heading=511, status=15))
    positions, _, summary = read_lines(tagged(line, T0))
    assert summary.positions == 1 and summary.outliers == 0
    assert math.isnan(positions.sog[0]) and math.isnan(positions.cog[0])
    assert math.isnan(positions.heading[0])
    assert positions.status[0] == 15


def test_not_available_position_is_dropped_as_outlier() -> None:
    [line] = sentences(**position(lat=91, lon=181))
    positions, _, summary = read_lines(tagged(line, T0))
    assert len(positions) == 0 and summary.outliers == 1 and summary.rejected == 0


def test_class_b_18_has_no_status() -> None:
    [line] = sentences(type=18, mmsi=244000002, lat=52.1, lon=4.3, speed=5.5, course=10.0,
                       heading=12)  # fmt: skip
    positions, _, _ = read_lines(tagged(line, T0))
    assert positions.mmsi.tolist() == [244000002]
    assert positions.sog[0] == pytest.approx(5.5) and positions.heading[0] == 12
    assert positions.status[0] == -1


def test_class_b_19_gives_position_and_name() -> None:
    [line] = sentences(type=19, mmsi=244000003, lat=52.2, lon=4.4, speed=3.0, course=20.0,
                       heading=511, shipname="SEA BREEZE", ship_type=37)  # fmt: skip
    positions, statics, _ = read_lines(tagged(line, T0))
    assert positions.lat[0] == pytest.approx(52.2) and math.isnan(positions.heading[0])
    [report] = statics
    assert (report.mmsi, report.name, report.ship_type) == ("244000003", "SEA BREEZE", 37)
    assert report.at == datetime.fromtimestamp(T0, UTC)


def test_long_range_27_units() -> None:
    [line] = sentences(type=27, mmsi=211000009, lat=54.5, lon=10.25, speed=12, course=90,
                       status=0)  # fmt: skip
    [na] = sentences(type=27, mmsi=211000010, lat=54.5, lon=10.25, speed=63, course=511)
    positions, _, _ = read_lines(tagged(line, T0), tagged(na, T0 + 1))
    assert positions.lat.tolist() == pytest.approx([54.5, 54.5])
    assert positions.sog[0] == 12 and positions.cog[0] == 90 and positions.status[0] == 0
    assert math.isnan(positions.heading[0])
    assert math.isnan(positions.sog[1]) and math.isnan(positions.cog[1])


def test_type5_over_two_sentences() -> None:
    parts = sentences(seq_id=3, type=5, mmsi=211000001, imo=9161003, callsign="DABC@@@",
                      shipname="TEST SHIP", ship_type=70)  # fmt: skip
    assert len(parts) == 2
    # Only the first part carries the tag block, as receivers often write it.
    _, statics, summary = read_lines(tagged(parts[0], T0), parts[1])
    [report] = statics
    assert report.mmsi == "211000001" and report.imo == "9161003"
    assert report.name == "TEST SHIP" and report.call_sign == "DABC"
    assert report.ship_type == 70 and report.at == datetime.fromtimestamp(T0, UTC)
    assert summary.rejected == 0 and summary.statics == 1


def test_type5_invalid_imo_is_dropped() -> None:
    parts = sentences(seq_id=1, type=5, mmsi=211000001, imo=9161004, shipname="X")
    _, [report], _ = read_lines(*(tagged(p, T0) for p in parts))
    assert report.imo is None and report.name == "X"


def test_type5_repeated_unchanged_is_one_report() -> None:
    first = sentences(seq_id=1, type=5, mmsi=211000001, imo=9161003, shipname="A")
    renamed = sentences(seq_id=2, type=5, mmsi=211000001, imo=9161003, shipname="B")
    lines = [tagged(p, T0 + i) for i, p in enumerate(first + first + renamed)]
    _, statics, _ = read_lines(*lines)
    assert [s.name for s in statics] == ["A", "B"]


def test_type24_parts_a_and_b() -> None:
    [a] = sentences(type=24, mmsi=244000004, partno=0, shipname="LITTLE ONE")
    [b] = sentences(type=24, mmsi=244000004, partno=1, ship_type=36, callsign="PH 1234")
    _, statics, _ = read_lines(tagged(a, T0), tagged(b, T0 + 60))
    assert [(s.name, s.call_sign, s.ship_type) for s in statics] == [
        ("LITTLE ONE", None, None),
        (None, "PH1234", 36),
    ]


def test_interleaved_fragments_reassembled_by_sequence_and_channel() -> None:
    a = sentences(seq_id=1, channel="A", type=5, mmsi=211000001, shipname="ALPHA")
    b = sentences(seq_id=1, channel="B", type=5, mmsi=211000002, shipname="BRAVO")
    lines = [tagged(a[0], T0), tagged(b[0], T0), tagged(a[1], T0), tagged(b[1], T0)]
    _, statics, summary = read_lines(*lines)
    assert {(s.mmsi, s.name) for s in statics} == {("211000001", "ALPHA"), ("211000002", "BRAVO")}
    assert summary.rejected == 0


def test_orphaned_fragments_are_rejections() -> None:
    parts = sentences(seq_id=4, type=5, mmsi=211000001, shipname="ALONE")
    [pos] = sentences(**position())
    # Line 1: a second part whose first never came; line 3: a first part never completed.
    _, statics, summary = read_lines(tagged(parts[1], T0), tagged(pos, T0), tagged(parts[0], T0))
    assert statics == []
    assert set(reasons(summary)) == {1, 3}
    assert "orphaned" in reasons(summary)[1] and "orphaned" in reasons(summary)[3]
    assert summary.positions == 1


def test_bad_checksum_truncated_and_garbage_reported_by_line() -> None:
    [good] = sentences(**position())
    body, check = good.rsplit("*", 1)
    wrong = f"{body}*{int(check, 16) ^ 0x01:02X}"
    lines = [
        tagged(good, T0),
        tagged(wrong, T0 + 1),
        tagged(good[: len(good) // 2], T0 + 2),
        "this is not AIS at all",
        "",
        tagged(good, T0 + 3),
    ]
    positions, _, summary = read_lines(*lines)
    found = reasons(summary)
    assert found[2] == "bad checksum"
    assert found[3].startswith("truncated")
    assert found[4] == "not an AIS sentence"
    assert set(found) == {2, 3, 4} and summary.rejected == 3
    assert positions.t.tolist() == [T0, T0 + 3]


def with_payload(sentence: str, payload: str) -> str:
    """The sentence with another payload, its checksum made right again."""
    head = sentence[1:].split(",")
    head[5] = payload
    body = ",".join(head).rsplit("*", 1)[0]
    return f"!{body}*{xor_checksum(body)}"


def test_short_payloads_with_good_checksums_are_rejected() -> None:
    [line] = sentences(**position())
    payload = line.split(",")[5]
    lines = [
        tagged(with_payload(line, payload[:12]), T0),  # MMSI there, position not
        tagged(with_payload(line, payload[:1]), T0),  # not even an MMSI
        tagged(line, T0),
    ]
    positions, _, summary = read_lines(*lines)
    found = reasons(summary)
    assert found[1] == "payload too short for a position"
    assert found[2] == "payload too short for an MMSI"
    assert len(positions) == 1


def test_tag_block_with_nothing_after_it() -> None:
    [line] = sentences(**position())
    block = tagged(line, T0).split("!")[0]
    _, _, summary = read_lines(block, tagged(line, T0))
    assert reasons(summary) == {1: "not an AIS sentence"}


def test_bad_tag_block_checksum_is_a_rejection() -> None:
    [line] = sentences(**position())
    broken = tagged(line, T0).replace(f"c:{T0}", f"c:{T0 + 1}")
    _, _, summary = read_lines(broken, tagged(line, T0))
    assert reasons(summary) == {1: "bad tag block checksum"}


def test_tag_block_time_in_milliseconds() -> None:
    [line] = sentences(**position())
    positions, _, _ = read_lines(tagged(line, T0 * 1000 + 750))
    assert positions.t.tolist() == [T0]


@pytest.mark.parametrize(
    "prefix",
    ["1700000000.123 ", "1700000000;", "1700000000123,", "2023-11-14T22:13:20Z ",
     "2023-11-14 22:13:20;", "2023-11-14T22:13:20.5+00:00,"],
)  # fmt: skip
def test_leading_unix_and_iso_times(prefix: str) -> None:
    [line] = sentences(**position())
    positions, _, summary = read_lines(prefix + line)
    assert summary.format == "nmea"
    assert positions.t.tolist() == [T0]


def test_unparseable_time_is_a_rejection() -> None:
    [line] = sentences(**position())
    _, _, summary = read_lines(f"{T0} {line}", f"2023-99-99T00:00:00 {line}", f"12 {line}")
    found = reasons(summary)
    assert set(found) == {2, 3}
    assert "time" in found[2] and "time" in found[3]


def test_file_without_times_is_refused() -> None:
    [line] = sentences(**position())
    with pytest.raises(AisFormatError, match="no line carries a time"):
        read_lines(line, line)


def test_line_without_time_in_a_timed_file_is_rejected() -> None:
    [line] = sentences(**position())
    positions, _, summary = read_lines(tagged(line, T0), line)
    assert len(positions) == 1
    assert reasons(summary) == {2: "no time on the line"}


def test_mmsi_keeps_leading_zeros_as_nine_digits() -> None:
    parts = sentences(seq_id=1, type=5, mmsi=2190047, shipname="COAST")
    _, [report], _ = read_lines(*(tagged(p, T0) for p in parts))
    assert report.mmsi == "002190047"


def test_other_messages_are_ignored_not_rejected() -> None:
    [base] = sentences(type=4, mmsi=2190047, lat=55.0, lon=12.0)
    _, _, summary = read_lines(tagged(base, T0), "$GPGGA,123519,4807.038,N,01131.000,E,1*47")
    assert summary.ignored == 2 and summary.rejected == 0


@pytest.mark.shared_data
def test_real_recording_without_times_is_refused() -> None:
    path = shared_path("ais", "pyais_nmea_data_sample.txt")
    with pytest.raises(AisFormatError, match="no line carries a time"):
        read_all(path)


@pytest.mark.shared_data
def test_real_recording_with_tag_blocks() -> None:
    path = shared_path("ais", "pyais_nmea_data_sample.txt")
    lines = path.read_text().splitlines()
    body = "\n".join(tagged(line, T0 + i) for i, line in enumerate(lines))
    positions, statics, summary = read_all(io.BytesIO(body.encode()), "sample")
    # The recording's 20 two-part messages lack their second parts; 100 lines are empty
    # payloads. Nothing else is rejected, and no line is lost.
    why = [r.reason for r in summary.first_rejections]
    assert summary.rejected == 120
    assert summary.lines == len(lines)
    assert set(why) <= {"empty payload", "orphaned fragment: its message's later parts are missing"}
    assert summary.positions > 700 and len(positions) == summary.positions
    # Its first line, decoded by hand with the ITU layout: a type 3 from 235070716.
    assert positions.mmsi[0] == 235070716 and positions.t[0] == T0
    assert ((positions.lat >= -90) & (positions.lat <= 90)).all()
    assert {s.mmsi for s in statics} == {"244270489"}
