"""The port-call files' cache in DATA_DIR: read back only when made from the same files, port
table and code; anything else parses again."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from service.portcalls import cache
from service.portcalls.cache import FILE, load_port_calls_cached
from service.portcalls.call_files import load_port_calls_dir
from service.portcalls.ports import Port, PortTable, load_bundled_ports

HEADER = "imo,mmsi,port,arrived_at,departed_at,source,note,confidence\n"
ROWS = [
    "9161003,,Rajin,2024-03-10,2024-03-12T06:00:00Z,press,docked,0.6",
    ",273000001,Vostochnyy,2024-02-05T10:00:00+10:00,,AIS,,1",
    ",,Rajin,2024-03-10,,press,,",  # rejected: no vessel
    "9161003,,Atlantis,2024-03-11,,press,,",  # rejected: unknown port
    "9358010,273000001,KPRJN,2024-02-12,,press,,",
]


@pytest.fixture
def ports() -> PortTable:
    return load_bundled_ports()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "a.csv").write_text(HEADER + "\n".join(ROWS) + "\n")
    (calls / "b.jsonl").write_text(
        json.dumps({"mmsi": "273000002", "port": "Nakhodka", "arrived_at": "2024-01-01"})
        + "\n"
        + json.dumps({"imo": "9161003", "port": "Nampo", "arrived_at": "2024-01-02", "source": "x"})
        + "\nnot json\n"
    )
    (calls / "c.csv").write_bytes(b"\xff\xfe\x00bad")
    return calls


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the parses `load_port_calls_cached` makes."""
    counted: list[int] = []
    real = cache.read_call_files

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "read_call_files", counting)
    return counted


def _answers(index: object) -> list[object]:
    questions = [
        ("9161003", None),
        (None, "273000001"),
        ("9358010", None),
        ("9179842", "273000001"),
    ]
    return [repr(index.for_vessel(imo, mmsi)) for imo, mmsi in questions]  # type: ignore[attr-defined]


def test_a_warm_load_gives_what_a_parse_gives(
    folder: Path, tmp_path: Path, ports: PortTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = _parses(monkeypatch)
    parsed, parsed_files = load_port_calls_dir(folder, ports)
    cold, cold_files = load_port_calls_cached(folder, ports, tmp_path / "data")
    warm, warm_files = load_port_calls_cached(folder, ports, tmp_path / "data")
    assert len(parses) == 1 and (tmp_path / "data" / FILE).is_file()
    assert parsed_files == cold_files == warm_files
    assert [len(s.rejected) for s in warm_files] == [2, 2, 1]
    assert (len(warm), warm.vessel_count) == (len(parsed), parsed.vessel_count)
    assert _answers(warm) == _answers(cold) == _answers(parsed)
    assert warm.packed is not None
    # Pushed calls merge into an index read back as into one parsed.
    extra = list(parsed.for_vessel("9161003"))[:1]
    assert _answers(warm.add(extra)) == _answers(parsed.add(extra))


def test_a_changed_file_parses_again(
    folder: Path, tmp_path: Path, ports: PortTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = _parses(monkeypatch)
    data = tmp_path / "data"
    load_port_calls_cached(folder, ports, data)
    path = folder / "a.csv"
    stat = path.stat()
    # Same size and modification time, other bytes: the inode and change time still differ.
    path.write_text(HEADER + "\n".join(ROWS).replace("9358010", "9179842") + "\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    index, _ = load_port_calls_cached(folder, ports, data)
    assert len(parses) == 2
    assert index.for_vessel("9179842") and not index.for_vessel("9358010")
    (folder / "d.csv").write_text(HEADER + "9358010,,Rajin,2024-05-01,,p,,\n")
    index, files = load_port_calls_cached(folder, ports, data)
    assert len(parses) == 3 and [f.file for f in files] == ["a.csv", "b.jsonl", "c.csv", "d.csv"]
    assert index.for_vessel("9358010")
    load_port_calls_cached(folder, ports, data)
    assert len(parses) == 3


def test_another_port_table_parses_again(
    folder: Path, tmp_path: Path, ports: PortTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = _parses(monkeypatch)
    data = tmp_path / "data"
    load_port_calls_cached(folder, ports, data)
    other = PortTable([*ports, Port("GRATL", "Atlantis", country="GR")])
    index, files = load_port_calls_cached(folder, other, data)
    assert len(parses) == 2
    assert [len(f.rejected) for f in files] == [1, 2, 1]
    assert [c.locode for c in index.for_vessel("9161003")][:1] == ["GRATL"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # cut short
        lambda b: b[:-200] + bytes(200),  # the end zeroed
        lambda b: b[:5000] + bytes([b[5000] ^ 1]) + b[5001:],  # one bit flipped
        lambda b: b"",
        lambda b: b"not a cache at all",
    ],
)
def test_a_damaged_cache_parses_again(
    folder: Path,
    tmp_path: Path,
    ports: PortTable,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    damage,  # type: ignore[no-untyped-def]
) -> None:
    parses = _parses(monkeypatch)
    data = tmp_path / "data"
    parsed, parsed_files = load_port_calls_cached(folder, ports, data)
    kept = data / FILE
    kept.write_bytes(damage(kept.read_bytes()))
    with caplog.at_level(logging.WARNING):
        index, files = load_port_calls_cached(folder, ports, data)
    assert len(parses) == 2 and files == parsed_files and _answers(index) == _answers(parsed)
    assert "not usable" in caplog.text
    load_port_calls_cached(folder, ports, data)  # written again, whole
    assert len(parses) == 2


def test_no_cache_written_where_a_file_could_not_be_opened(
    folder: Path, tmp_path: Path, ports: PortTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root opens any file")
    (folder / "a.csv").chmod(0)
    load_port_calls_cached(folder, ports, tmp_path / "data")
    assert not (tmp_path / "data" / FILE).exists()


def test_an_unwritable_data_dir_is_no_error(folder: Path, tmp_path: Path, ports: PortTable) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    index, files = load_port_calls_cached(folder, ports, blocked)
    assert len(files) == 3 and index.for_vessel("9161003")


def test_no_files_no_cache(tmp_path: Path, ports: PortTable) -> None:
    index, files = load_port_calls_cached(tmp_path / "missing", ports, tmp_path / "data")
    assert len(index) == 0 and files == []
