"""A restart on the same list files serves from the snapshot, not from parsing them again; any
change to the files is parsed; a damaged snapshot is ignored."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from flask import Flask

from service import create_app, snapshot
from service.loaders import registry

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "lists" / "ofac-sample"


def start(tmp_path: Path, snapshots: str = "wait") -> Flask:
    return create_app(lists_dir=tmp_path / "lists", data_dir=tmp_path / "data", snapshots=snapshots)


def lady_r(app: Flask) -> str:
    body = app.test_client().post("/v1/screen", json={"name": "LADY R"}).get_json()
    return str(body["decision"])


@pytest.fixture()
def lists(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "lists" / "ofac")
    return tmp_path / "lists"


def refuse_to_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(folder: Path) -> None:
        raise AssertionError("the lists were parsed")

    monkeypatch.setattr("service.serving.load_lists", parse)


def test_a_restart_on_the_same_files_does_not_parse_them(
    lists: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = start(tmp_path)
    first_info = first.extensions["vessel_screen"].index.lists[0]
    refuse_to_parse(monkeypatch)
    again = start(tmp_path)
    state = again.extensions["vessel_screen"]
    assert state.last_error is None
    assert lady_r(again) == "match"
    info = state.index.lists[0]
    assert (info.id, info.version, info.entries) == (
        first_info.id,
        first_info.version,
        first_info.entries,
    )
    assert info.loaded_at > first_info.loaded_at  # loaded now, from the snapshot


def test_a_changed_file_is_parsed_again(lists: Path, tmp_path: Path) -> None:
    start(tmp_path)
    sdn = lists / "ofac" / "sdn.csv"
    data = sdn.read_bytes().rstrip(b"\x1a")
    extra = b'99999001,"NEWLY LISTED","vessel","RUSSIA-EO14024"' + b",-0- " * 8 + b"\r\n"
    sdn.write_bytes(data + extra + b"\x1a")
    again = start(tmp_path)
    body = again.test_client().post("/v1/screen", json={"name": "NEWLY LISTED"}).get_json()
    assert body["decision"] == "match"


def test_the_key_follows_every_file_and_the_manifest(lists: Path, tmp_path: Path) -> None:
    before = snapshot.key_of(lists)
    (lists / "ofac" / "notes.txt").write_text("an unrelated file in the folder")
    after_file = snapshot.key_of(lists)
    (lists / registry.MANIFEST).write_text(
        '{"lists": [{"id": "mine", "path": "ofac", "format": "ofac-csv"}]}'
    )
    after_manifest = snapshot.key_of(lists)
    assert len({before, after_file, after_manifest}) == 3


def test_a_damaged_snapshot_is_ignored(
    lists: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(tmp_path)
    (kept,) = (tmp_path / "data" / snapshot.FOLDER).glob("*.pickle")
    kept.write_bytes(kept.read_bytes()[:1000])
    again = start(tmp_path)
    assert again.extensions["vessel_screen"].last_error is None
    assert lady_r(again) == "match"
    # ... and written whole again, so the next restart has it.
    refuse_to_parse(monkeypatch)
    assert lady_r(start(tmp_path)) == "match"


def test_written_in_the_background_by_default(lists: Path, tmp_path: Path) -> None:
    start(tmp_path, snapshots="background")
    kept = tmp_path / "data" / snapshot.FOLDER / f"{snapshot.key_of(lists)}.pickle"
    deadline = time.monotonic() + 30
    while not kept.exists():  # a forked process writes it, whole, under its final name
        assert time.monotonic() < deadline, "no snapshot written"
        time.sleep(0.01)
    assert snapshot.load(tmp_path / "data", snapshot.key_of(lists)) is not None


def test_off_keeps_none(lists: Path, tmp_path: Path) -> None:
    start(tmp_path, snapshots="off")
    assert not (tmp_path / "data" / snapshot.FOLDER).exists()


def test_a_start_that_parsed_and_kept_the_lists_says_how_many_entries(
    lists: Path, tmp_path: Path
) -> None:
    state = start(tmp_path).extensions["vessel_screen"]
    entries = sum(len(x.vessels) + len(x.entities) for x in state.index.loaded)
    assert entries > 0
    assert state.built_into_snapshot == entries
    # From the snapshot: nothing parsed, nothing built.
    assert start(tmp_path).extensions["vessel_screen"].built_into_snapshot == 0


def test_a_start_that_keeps_no_snapshot_counts_nothing_built_into_one(
    lists: Path, tmp_path: Path
) -> None:
    assert start(tmp_path, snapshots="off").extensions["vessel_screen"].built_into_snapshot == 0
