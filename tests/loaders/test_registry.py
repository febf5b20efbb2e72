"""Loading a folder of list files, by manifest or by official file names."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BUNDLED_LISTS

from service.loaders.errors import ListLoadError
from service.loaders.ofac_csv import FILE_NAMES, ofac_csv_version
from service.loaders.registry import (
    FORMATS,
    discover_lists,
    file_hashes,
    load_lists,
    read_manifest,
)

SAMPLE = BUNDLED_LISTS / "ofac-sample"


def _copy_sample(to: Path) -> Path:
    to.mkdir(parents=True)
    for name in FILE_NAMES:
        shutil.copyfile(SAMPLE / name, to / name)
    return to


def _manifest(folder: Path, *entries: dict[str, object]) -> None:
    (folder / "manifest.json").write_text(json.dumps({"lists": list(entries)}), encoding="utf-8")


def test_bundled_lists_load_by_manifest() -> None:
    (loaded,) = load_lists(BUNDLED_LISTS)
    info = loaded.info
    assert info.id == "us-ofac-sdn-sample"
    assert "SAMPLE" in info.title
    assert info.format == "ofac-csv"
    assert info.source is not None and info.source.startswith("https://")
    assert info.entries == len(loaded.vessels) >= 7
    assert info.version == ofac_csv_version(SAMPLE)
    assert info.sha256 == file_hashes(SAMPLE / name for name in FILE_NAMES)
    assert info.loaded_at.tzinfo is UTC
    assert all(v.list_id == "us-ofac-sdn-sample" for v in loaded.vessels)
    assert all(v.entity_id.startswith("us-ofac-sdn-sample:") for v in loaded.vessels)


def test_real_folder_loads_without_manifest(ofac_dir: Path) -> None:
    before = datetime.now(UTC)
    # The folder holds the files itself, so its archived sub-folder (2021-07) is not a list.
    (loaded,) = load_lists(ofac_dir)
    assert loaded.info.id == "us-ofac-sdn"
    assert loaded.info.entries == 851
    assert len(loaded.info.version) == 12
    assert int(loaded.info.version, 16) >= 0
    assert loaded.info.published_at is None
    assert loaded.info.loaded_at >= before
    whole = hashlib.sha256((ofac_dir / "sdn.csv").read_bytes()).hexdigest()
    assert loaded.info.sha256["sdn.csv"] == whole


def test_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match=r"nothing to load .*sdn\.csv"):
        load_lists(tmp_path)


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match="does not exist"):
        load_lists(tmp_path / "nope")


def test_one_sub_folder_takes_the_default_id(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "ofac")
    (tmp_path / "notes").mkdir()
    (loaded,) = load_lists(tmp_path)
    assert loaded.info.id == "us-ofac-sdn"


def test_several_sub_folders_get_their_names_in_the_id(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "2024-05")
    _copy_sample(tmp_path / "Old Copy")
    _copy_sample(tmp_path / ".hidden")
    entries = discover_lists(tmp_path)
    assert [e.id for e in entries] == ["us-ofac-sdn-2024-05", "us-ofac-sdn-old-copy"]
    assert [len(x.vessels) for x in load_lists(tmp_path)] == [15, 15]


def test_manifest_defaults_title_and_source(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "a")
    _manifest(tmp_path, {"id": "mine", "path": "a", "format": "ofac-csv"})
    (entry,) = read_manifest(tmp_path)
    assert entry.title == FORMATS["ofac-csv"].title
    assert entry.source == FORMATS["ofac-csv"].source
    assert entry.path == tmp_path / "a"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid UTF-8 JSON"),
        ('{"lists": []}', "non-empty"),
        ('[{"id": "x"}]', "non-empty"),
        ('{"lists": [{"id": "x", "path": "a"}]}', "'format'"),
        ('{"lists": [{"id": "x", "path": "a", "format": "xml"}]}', "unknown format 'xml'"),
        ('{"lists": [{"id": "X Y", "path": "a", "format": "ofac-csv"}]}', "id 'X Y'"),
        ('{"lists": [{"id": "x", "path": "a", "format": "ofac-csv", "titel": "t"}]}', "titel"),
        ('{"lists": [{"id": "x", "path": "/a", "format": "ofac-csv"}]}', "must be relative"),
        (
            '{"lists": [{"id": "x", "path": "a", "format": "ofac-csv"},'
            ' {"id": "x", "path": "a", "format": "ofac-csv"}]}',
            "appears twice",
        ),
    ],
)
def test_bad_manifest_raises(tmp_path: Path, document: str, message: str) -> None:
    _copy_sample(tmp_path / "a")
    (tmp_path / "manifest.json").write_text(document, encoding="utf-8")
    with pytest.raises(ListLoadError, match=message):
        load_lists(tmp_path)


def test_one_broken_list_fails_the_whole_load(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "good")
    (tmp_path / "bad").mkdir()
    _manifest(
        tmp_path,
        {"id": "good", "path": "good", "format": "ofac-csv"},
        {"id": "bad", "path": "bad", "format": "ofac-csv"},
    )
    with pytest.raises(ListLoadError, match=r"no sdn\.csv"):
        load_lists(tmp_path)


def test_file_hashes(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"abc")
    assert file_hashes([tmp_path / "a.csv"]) == {
        "a.csv": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    }
    with pytest.raises(ListLoadError, match="cannot read"):
        file_hashes([tmp_path / "missing.csv"])
