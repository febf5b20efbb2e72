"""Port-call files (CSV and JSON lines), rejected rows, and the per-vessel index."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.portcalls.call_files import load_port_calls_dir, parse_port_calls, parse_time
from service.portcalls.calls import PortCall, PortCallIndex, Rejected
from service.portcalls.ports import PortTable, load_bundled_ports
from service.settings import REPO_ROOT

HEADER = "imo,mmsi,port,arrived_at,departed_at,source,note,confidence"


@pytest.fixture(scope="module")
def ports() -> PortTable:
    return load_bundled_ports()


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _call(
    imo: str | None = "9161003",
    mmsi: str | None = None,
    locode: str = "KPRJN",
    arrived: str = "2024-03-10",
    departed: str | None = None,
) -> PortCall:
    arrived_at = parse_time(arrived)
    assert arrived_at is not None
    return PortCall(
        imo=imo,
        mmsi=mmsi,
        locode=locode,
        port_name=locode,
        country=locode[:2],
        arrived_at=arrived_at,
        departed_at=parse_time(departed) if departed else None,
        source="test",
    )


# --- Times --------------------------------------------------------------------------------------


def test_times() -> None:
    assert parse_time("2024-03-10") == datetime(2024, 3, 10, tzinfo=UTC)
    assert parse_time("2024-03-10T08:30:00Z") == datetime(2024, 3, 10, 8, 30, tzinfo=UTC)
    assert parse_time("2024-03-10t08:30:00z") == datetime(2024, 3, 10, 8, 30, tzinfo=UTC)
    assert parse_time("2024-03-10 08:30") == datetime(2024, 3, 10, 8, 30, tzinfo=UTC)
    nine = timezone(timedelta(hours=9))
    assert parse_time("2024-03-10T09:00:00+09:00") == datetime(2024, 3, 10, 9, tzinfo=nine)
    assert parse_time("2024-03-10T09:00:00+09:00").tzinfo is UTC  # type: ignore[union-attr]
    for bad in ("", "yesterday", "2024-13-01", "10/03/2024", "2024-02-30"):
        assert parse_time(bad) is None, bad


# --- Parsing ------------------------------------------------------------------------------------


def test_csv_good_rows(ports: PortTable) -> None:
    result = parse_port_calls(
        _csv(
            "9161003,,Rajin,2024-03-10,2024-03-12T06:00:00Z,press,docked at Pier 1,0.6",
            "IMO 9358010,,KP RJN,2024-02-12,,press,,",
            ",273000001,Vostochnyy,2024-02-05T10:00:00+10:00,,AIS,,1",
        ),
        "csv",
        ports,
    )
    assert result.rejected == []
    assert result.accepted_count == 3 and result.rejected_count == 0
    first, second, third = result.calls
    assert (first.imo, first.locode, first.port_name, first.country) == (
        "9161003",
        "KPRJN",
        "Rajin",
        "KP",
    )
    assert first.departed_at == datetime(2024, 3, 12, 6, tzinfo=UTC)
    assert first.note == "docked at Pier 1" and first.confidence == 0.6
    assert second.imo == "9358010" and second.departed_at is None and second.confidence is None
    assert third.imo is None and third.mmsi == "273000001" and third.locode == "RUVYP"
    assert third.arrived_at == datetime(2024, 2, 5, 0, tzinfo=UTC)


def test_bad_rows_are_rejected_with_line_numbers(ports: PortTable) -> None:
    text = _csv(
        "9161003,,Rajin,2024-03-10,,press,,",  # 2: good
        ",,Rajin,2024-03-10,,press,,",  # 3: no vessel
        "9161004,,Rajin,2024-03-10,,press,,",  # 4: check digit
        ",27300001,Rajin,2024-03-10,,press,,",  # 5: eight-digit MMSI
        "9161003,,Atlantis,2024-03-10,,press,,",  # 6: unknown port
        "9161003,,Rajin,10/03/2024,,press,,",  # 7: bad time
        "9161003,,Rajin,2024-03-10,2024-03-09,press,,",  # 8: departs before arriving
        "9161003,,Rajin,2024-03-10,,press,,1.5",  # 9: confidence
        "9161003,,Rajin,2024-03-10,,,,",  # 10: no source
        "9161003,,Rajin,2024-03-10,,press",  # 11: too few fields
        "9358010,,Nampo,2024-03-11,,press,,",  # 12: good
    )
    result = parse_port_calls(text, "csv", ports)
    assert [c.imo for c in result.calls] == ["9161003", "9358010"]
    reasons = {r.line: r.reason for r in result.rejected}
    assert sorted(reasons) == list(range(3, 12))
    assert "no imo and no mmsi" in reasons[3]
    assert "9161004 fails its check digit" in reasons[4]
    assert "mmsi '27300001' is not an MMSI" in reasons[5]
    assert "unknown port 'Atlantis'" in reasons[6]
    assert "arrived_at '10/03/2024'" in reasons[7]
    assert "before arrived_at" in reasons[8]
    assert "confidence '1.5'" in reasons[9]
    assert "source is empty" in reasons[10]
    assert "6 fields, the header has 8" in reasons[11]


def test_all_problems_of_a_row_are_reported(ports: PortTable) -> None:
    result = parse_port_calls(_csv("9161004,12,Atlantis,soon,,,,-1"), "csv", ports)
    [rejected] = result.rejected
    assert rejected.line == 2
    for part in ("check digit", "mmsi", "unknown port", "arrived_at", "source", "confidence"):
        assert part in rejected.reason


def test_line_numbers_follow_physical_lines(ports: PortTable) -> None:
    text = _csv(
        '9161003,,Rajin,2024-03-10,,press,"a note\nover two lines",',
        "",
        ",,Rajin,2024-03-10,,press,,",
    )
    result = parse_port_calls(text, "csv", ports)
    assert len(result.calls) == 1
    assert result.calls[0].note == "a note\nover two lines"
    assert result.rejected == [Rejected(5, result.rejected[0].reason)]


def test_header_problems(ports: PortTable) -> None:
    result = parse_port_calls("imo,port,arrived_at\n9161003,Rajin,2024-03-10\n", "csv", ports)
    assert result.calls == []
    assert result.rejected[0].line == 1
    assert "source" in result.rejected[0].reason
    # Column order is free and unknown columns are ignored.
    result = parse_port_calls(
        "source,arrived_at,port,imo,extra\npress,2024-03-10,Rajin,9161003,x\n", "csv", ports
    )
    assert len(result.calls) == 1 and result.rejected == []


def test_ambiguous_port_asks_for_a_locode_or_country() -> None:
    from service.portcalls.ports import Port

    table = PortTable(
        [Port("SCVIC", "Victoria", country="SC"), Port("CAVIC", "Victoria", country="CA")]
    )
    text = "imo,port,country,arrived_at,source\n9161003,Victoria,,2024-03-10,x\n"
    text += "9161003,Victoria,Seychelles,2024-03-11,x\n9161003,Victoria,Narnia,2024-03-12,x\n"
    result = parse_port_calls(text, "csv", table)
    assert [c.locode for c in result.calls] == ["SCVIC"]
    assert "ambiguous" in result.rejected[0].reason and result.rejected[0].line == 2
    assert "Narnia" in result.rejected[1].reason and result.rejected[1].line == 4


def test_jsonl(ports: PortTable) -> None:
    lines = [
        json.dumps({"imo": 9161003, "port": "Rason", "arrived_at": "2024-03-10", "source": "p"}),
        "",
        json.dumps(
            {
                "mmsi": 273000001,
                "port": "RU VYP",
                "arrived_at": "2024-02-05",
                "source": "p",
                "departed_at": None,
                "confidence": 0.9,
                "note": None,
            }
        ),
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"imo": "9161003", "port": "Rajin", "arrived_at": "2024-03-10"}),
    ]
    result = parse_port_calls("\n".join(lines), "jsonl", ports)
    assert [(c.imo, c.mmsi, c.locode) for c in result.calls] == [
        ("9161003", None, "KPRJN"),
        (None, "273000001", "RUVYP"),
    ]
    assert result.calls[1].confidence == 0.9
    assert [r.line for r in result.rejected] == [4, 5, 6]
    assert "not valid JSON" in result.rejected[0].reason
    assert "not a JSON object" in result.rejected[1].reason
    assert "source is empty" in result.rejected[2].reason


def test_unknown_format(ports: PortTable) -> None:
    with pytest.raises(ValueError, match="format"):
        parse_port_calls("", "xml", ports)  # type: ignore[arg-type]


def test_load_dir(tmp_path: Path, ports: PortTable) -> None:
    (tmp_path / "a.csv").write_text(
        _csv("9161003,,Rajin,2024-03-10,,p,,", ",,Rajin,2024-03-10,,p,,")
    )
    (tmp_path / "b.jsonl").write_text(
        json.dumps(
            {"mmsi": "273000001", "port": "Nakhodka", "arrived_at": "2024-01-01", "source": "p"}
        )
    )
    (tmp_path / "README.md").write_text("not calls")
    (tmp_path / "c.csv").write_bytes(b"\xff\xfe\x00bad")
    index, summaries = load_port_calls_dir(tmp_path, ports)
    assert [(s.file, s.format, s.accepted, len(s.rejected)) for s in summaries] == [
        ("a.csv", "csv", 1, 1),
        ("b.jsonl", "jsonl", 1, 0),
        ("c.csv", "csv", 0, 1),
    ]
    assert summaries[0].rejected[0].line == 3
    assert summaries[2].rejected[0].line == 0
    assert len(index) == 2


def test_bundled_sample_loads_cleanly(ports: PortTable) -> None:
    index, summaries = load_port_calls_dir(REPO_ROOT / "ports" / "calls", ports)
    assert [s.rejected for s in summaries] == [()]
    lady_r = index.for_vessel("9161003")
    assert [(c.locode, c.arrived_at.date().isoformat()) for c in lady_r] == [
        ("KPRJN", "2024-03-10"),
        ("RUVYP", "2024-02-05"),
        ("KPRJN", "2024-02-04"),
    ]
    assert all(c.source.startswith("press: ") for c in lady_r)
    assert [c.arrived_at.date().isoformat() for c in index.for_vessel("9358010")] == ["2024-02-12"]


# --- The index ----------------------------------------------------------------------------------


def test_newest_first_and_window() -> None:
    calls = [
        _call(arrived="2023-01-01"),
        _call(arrived="2024-03-10", locode="KPRJN"),
        _call(arrived="2024-02-05", locode="RUVYP"),
        _call(arrived="2022-06-01"),
    ]
    index = PortCallIndex(calls)
    assert [c.arrived_at.year for c in index.for_vessel("9161003")] == [2024, 2024, 2023, 2022]
    since = datetime(2024, 2, 5, tzinfo=UTC)
    assert [c.locode for c in index.for_vessel("9161003", since=since)] == ["KPRJN", "RUVYP"]
    # The window's start is inclusive; a naive start is UTC.
    assert len(index.for_vessel("9161003", since=datetime(2024, 2, 5))) == 2
    assert len(index.for_vessel("9161003", since=datetime(2024, 2, 5, 0, 0, 1, tzinfo=UTC))) == 1
    assert index.for_vessel("9161003", since=datetime(2030, 1, 1, tzinfo=UTC)) == ()
    assert len(index.for_vessel("IMO 9161003", since=datetime(2000, 1, 1, tzinfo=UTC))) == 4
    assert index.for_vessel("9358010") == ()
    assert index.for_vessel(None, None) == ()


def test_link_by_mmsi_alone() -> None:
    index = PortCallIndex(
        [
            _call(imo=None, mmsi="273000001", arrived="2024-01-01"),
            _call(imo="9161003", mmsi="273000001", arrived="2024-02-01"),
            _call(imo="9358010", mmsi="273000001", arrived="2024-03-01"),
        ]
    )
    # No IMO given: every call under the MMSI.
    assert len(index.for_vessel(None, "273000001")) == 3
    assert len(index.for_vessel(None, "273 000 001")) == 3
    # An IMO with calls: those calls, whatever the MMSI.
    assert [c.imo for c in index.for_vessel("9161003", "273000001")] == ["9161003"]
    # An IMO without calls: only calls recorded with the MMSI and no IMO at all.
    only = index.for_vessel("9179842", "273000001")
    assert [(c.imo, c.mmsi) for c in only] == [(None, "273000001")]
    assert index.for_vessel("9179842", None) == ()


def test_add_returns_a_new_index() -> None:
    first = PortCallIndex([_call(arrived="2024-01-01")])
    second = first.add([_call(arrived="2024-03-01"), _call(arrived="2024-01-01")])
    assert len(first) == 1 and len(first.for_vessel("9161003")) == 1
    assert len(second) == 2  # the repeated call is one call
    assert [c.arrived_at.month for c in second.for_vessel("9161003")] == [3, 1]
    third = second.add([_call(imo=None, mmsi="273000001")])
    assert third.vessel_count == 2 and second.vessel_count == 1
    assert len(third.for_vessel(None, "273000001")) == 1
