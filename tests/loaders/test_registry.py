"""Loading a folder of list files, by manifest or by official file names."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BUNDLED_LISTS, shared_path

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
        ('{"lists": [{"id": "x", "path": "/no/such", "format": "ofac-csv"}]}', "/no/such"),
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


# --- several formats ---------------------------------------------------------------------------

FIXTURES = BUNDLED_LISTS.parent / "tests" / "fixtures"
# Each format and a fixture folder holding it (and nothing another format reads).
FORMAT_FIXTURES = {
    "ofac-csv": SAMPLE,
    "ofac-xml": FIXTURES / "ofac-xml",
    "ofac-cons-xml": FIXTURES / "ofac-xml-tempuri",
    "un-xml": FIXTURES / "un",
    "eu-ojeu": FIXTURES / "eu-ojeu",
    "eu-fsf": FIXTURES / "eu-fsf",
    "uk-sanctions-list": FIXTURES / "uk-sanctions-list",
    "uk-ofsi": FIXTURES / "uk-ofsi",
    "ftm": FIXTURES / "ftm",
    "watchlist": FIXTURES / "watchlist",
}


def _copy(source: Path, to: Path) -> Path:
    shutil.copytree(source, to)
    return to


@pytest.mark.parametrize(("format_name", "folder"), sorted(FORMAT_FIXTURES.items()))
def test_each_format_is_found_by_its_files_alone(format_name: str, folder: Path) -> None:
    (entry,) = discover_lists(folder)
    assert entry.format == format_name
    assert entry.id == FORMATS[format_name].default_id
    assert FORMATS[format_name].source is None or FORMATS[format_name].source.startswith("https://")
    (loaded,) = load_lists(folder)
    assert loaded.info.format == format_name
    assert loaded.info.entries == len(loaded.vessels)
    assert loaded.vessels or loaded.entities
    assert all(e.list_id == loaded.info.id for e in loaded.entities)


def test_every_format_has_a_fixture() -> None:
    assert set(FORMATS) - set(FORMAT_FIXTURES) == {"ofac-cons-csv"}  # tested on the real files


def test_real_ofac_and_eu_folders_together_by_manifest(tmp_path: Path) -> None:
    """The issue's acceptance case: both lists, the EU one with its 750 vessel rows, and LADY R
    (IMO 9161003) in each."""
    ofac = shared_path("ofac")
    ojeu = shared_path("eu", "ojeu")
    manifest = tmp_path / "lists"
    manifest.mkdir()
    # One path absolute, one relative to the manifest's folder: both are allowed.
    _manifest(
        manifest,
        {"id": "us-ofac-sdn", "path": str(ofac), "format": "ofac-csv"},
        {"id": "eu-ojeu", "path": os.path.relpath(ojeu, manifest), "format": "eu-ojeu"},
    )
    us, eu = load_lists(manifest)
    assert (us.info.id, eu.info.id) == ("us-ofac-sdn", "eu-ojeu")
    assert us.info.entries == 851
    assert eu.info.entries == 750
    assert eu.info.format == "eu-ojeu"
    assert eu.info.source is not None
    for loaded in (us, eu):
        (lady_r,) = [v for v in loaded.vessels if v.imo == "9161003"]
        assert lady_r.name.upper() == "LADY R"
    # Owners can be screened: the owner company with its IMO company number on both lists.
    for loaded in (us, eu):
        assert any(e.imo_company_number == "6016988" for e in loaded.entities)
    all_ids = [v.entity_id for v in us.vessels + eu.vessels]
    assert len(all_ids) == len(set(all_ids))


def test_sub_folders_of_different_formats(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "ofac")
    _copy(FIXTURES / "eu-ojeu", tmp_path / "eu")
    _copy(FIXTURES / "un", tmp_path / "un")
    loaded = load_lists(tmp_path)
    assert [(x.info.id, x.info.format) for x in loaded] == [
        ("eu-ojeu", "eu-ojeu"),
        ("us-ofac-sdn", "ofac-csv"),
        ("un-sc", "un-xml"),
    ]
    un = loaded[2]
    # A list of owners and no ship is a list.
    assert un.info.entries == 0
    assert len(un.entities) == 3


def test_one_list_in_two_formats_is_loaded_once(tmp_path: Path) -> None:
    folder = _copy_sample(tmp_path / "ofac")
    shutil.copyfile(FIXTURES / "ofac-xml" / "sdn.xml", folder / "sdn.xml")
    (entry,) = discover_lists(folder)
    assert (entry.id, entry.format) == ("us-ofac-sdn", "ofac-csv")


def test_same_list_in_two_sub_folders_in_different_formats(tmp_path: Path) -> None:
    _copy_sample(tmp_path / "csv")
    _copy(FIXTURES / "ofac-xml", tmp_path / "xml")
    entries = discover_lists(tmp_path)
    assert [(e.id, e.format) for e in entries] == [
        ("us-ofac-sdn-csv", "ofac-csv"),
        ("us-ofac-sdn-xml", "ofac-xml"),
    ]


def test_real_ofac_folders() -> None:
    # The SDN folder holds its files itself: its nonsdn/ and 2021-07/ sub-folders are archives.
    assert [(e.id, e.format) for e in discover_lists(shared_path("ofac"))] == [
        ("us-ofac-sdn", "ofac-csv")
    ]
    # The non-SDN folder holds the list twice (CSV set and consolidated.xml): read once.
    (cons,) = load_lists(shared_path("ofac", "nonsdn"))
    assert (cons.info.id, cons.info.format) == ("us-ofac-cons", "ofac-cons-csv")
    assert cons.info.entries == 0
    assert len(cons.entities) == 363


def test_manifest_chooses_the_other_format(tmp_path: Path) -> None:
    _manifest(
        tmp_path,
        {"id": "cons-xml", "path": str(shared_path("ofac", "nonsdn")), "format": "ofac-cons-xml"},
        {"id": "un", "path": str(shared_path("un")), "format": "un-xml"},
    )
    cons, un = load_lists(tmp_path)
    assert cons.info.version == "2025-03-28"
    assert cons.info.published_at == "2025-03-28"
    assert un.info.version == "2026-02-27T00:00:09.554Z"
    assert all(e.entity_id.startswith("un:") for e in un.entities)


def test_list_with_nothing_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.loaders import registry
    from service.loaders.common import SourceSet

    def empty(path: Path, list_id: str) -> SourceSet:
        return SourceSet(vessels=(), version="v")

    fake = registry.Format(empty, lambda p: True, ("x",), "empty", "Empty")
    monkeypatch.setitem(registry.FORMATS, "empty", fake)
    _manifest(tmp_path, {"id": "e", "path": ".", "format": "empty"})
    with pytest.raises(ListLoadError, match="holds no vessel and no entity"):
        load_lists(tmp_path)


def test_bundled_sample_carries_its_owner_entities() -> None:
    (loaded,) = load_lists(BUNDLED_LISTS)
    assert "TRANSMORFLOT LLC" in {e.name for e in loaded.entities}


def test_every_format_is_documented_in_lists_readme() -> None:
    readme = (BUNDLED_LISTS / "README.md").read_text(encoding="utf-8")
    for name, spec in FORMATS.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert f"`{spec.default_id}`" in row, f"{name} has no row with its default id"
        if spec.source:
            assert spec.source.split("?")[0] in readme, f"{name}'s download address"


def test_lists_dir_of_links_to_the_real_folders(tmp_path: Path) -> None:
    """LISTS_DIR may be a folder whose sub-folders (here links) hold different formats."""
    (tmp_path / "ofac").symlink_to(shared_path("ofac"), target_is_directory=True)
    (tmp_path / "eu").symlink_to(shared_path("eu", "ojeu"), target_is_directory=True)
    eu, us = load_lists(tmp_path)
    assert (eu.info.id, eu.info.entries) == ("eu-ojeu", 750)
    assert (us.info.id, us.info.entries) == ("us-ofac-sdn", 851)
