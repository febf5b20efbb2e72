"""FollowTheMoney JSON lines (OpenSanctions' entities.ftm.json), on a hand-written file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from service.loaders.common import SourceSet
from service.loaders.errors import ListLoadError
from service.loaders.ftm import is_ftm, read_ftm
from service.model import Vessel, VesselName

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "ftm"


@pytest.fixture(scope="module")
def loaded() -> SourceSet:
    return read_ftm(FIXTURE)


def _vessel(loaded: SourceSet, source_id: str) -> Vessel:
    (vessel,) = [v for v in loaded.vessels if v.source_id == source_id]
    return vessel


def _write(folder: Path, *records: object, name: str = "entities.ftm.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def test_owner_id_resolved_to_its_name(loaded: SourceSet) -> None:
    lady_r = _vessel(loaded, "ofac-37095")
    assert lady_r.entity_id == "opensanctions:ofac-37095"
    assert lady_r.imo == "9161003"
    assert lady_r.flags == ("RU",)
    assert lady_r.owner == "TRANSMORFLOT LLC"
    assert lady_r.build_year == 1998
    assert lady_r.gross_registered_tonnage == 7260
    assert lady_r.programs == ("RUSSIA-EO14024",)


def test_every_vessel_property(loaded: SourceSet) -> None:
    star = _vessel(loaded, "test-vessel-1")
    assert star.names == (
        VesselName("SAMPLE STAR", "primary"),
        VesselName("SAMPLE STAR ONE", "aka"),
        VesselName("STAR", "aka"),
        VesselName("SS", "aka"),  # weakAlias
        VesselName("EXAMPLE ONE", "fka"),  # previousName
        VesselName("EXAMPLE TWO", "fka"),
    )
    assert star.imo == "9000008"
    assert star.mmsi == "667001234"
    assert star.call_sign == "9LAB8"
    assert star.flags == ("SL",)
    assert star.former_flags == ("PA", "LR")
    assert star.source_record["unrecognized_flags"] == ["Atlantis"]
    assert star.vessel_type == "Crude Oil Tanker"
    assert star.build_year == 2001
    assert star.tonnage == 300000
    # The owner comes through an Ownership link; the operator through the operator property.
    assert star.owner == "EXAMPLE SHIPOWNER INC"
    assert star.operator == "EXAMPLE OPERATOR LTD"
    # Programs and the earliest listing date from the Sanction entities.
    assert star.programs == ("TEST-PROGRAM",)
    assert star.listed_on == "2022-01-05"
    assert star.remarks == "Test entry."


def test_unresolved_owner_stays_in_the_record(loaded: SourceSet) -> None:
    orphan = _vessel(loaded, "test-vessel-3")
    assert orphan.owner is None
    assert orphan.source_record["unresolved_owner_ids"] == ["not-in-file"]


def test_only_targets_are_listed(loaded: SourceSet) -> None:
    assert {v.source_id for v in loaded.vessels} == {"ofac-37095", "test-vessel-1", "test-vessel-3"}
    # The owner (target false) names a ship's owner but is not itself listed; the person is left
    # out.
    entities = {e.source_id: e for e in loaded.entities}
    assert set(entities) == {"ofac-37049", "test-operator"}
    assert entities["ofac-37049"].kind == "company"
    assert entities["ofac-37049"].imo_company_number == "6016988"
    assert entities["ofac-37049"].aliases == ("TRANSMORFLOT SHIPPING COMPANY", "MG-FLOT LLC")
    assert entities["test-operator"].kind == "entity"


def test_version_is_content_hash(loaded: SourceSet) -> None:
    assert len(loaded.version) == 12
    assert loaded.published_at is None
    assert set(loaded.sha256) == {"entities.ftm.json"}


def test_several_files_are_one_list(tmp_path: Path) -> None:
    _write(tmp_path, {"id": "v", "schema": "Vessel", "properties": {"name": ["V"], "owner": ["o"]}})
    _write(
        tmp_path,
        {"id": "o", "schema": "Company", "properties": {"name": ["O LLC"]}},
        name="more.ftm.json",
    )
    assert is_ftm(tmp_path)
    loaded = read_ftm(tmp_path)
    assert loaded.vessels[0].owner == "O LLC"
    assert len(loaded.entities) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 1: not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema": "Vessel"}', "no string 'id'"),
        ('{"id": "x", "schema": "Vessel", "properties": {"name": "X"}}', "string lists"),
        ('{"id": "x", "schema": "Vessel", "properties": {"name": ["X", 7]}}', "string lists"),
        ('{"id": "x", "schema": "Vessel", "properties": {"name": [["X"]]}}', "string lists"),
        ('{"id": "x", "schema": "Vessel", "properties": {"name": ["X"], "a": {}}}', "string lists"),
        ('{"id": "x", "schema": "Vessel", "properties": ["name"]}', "string lists"),
    ],
)
def test_malformed_lines_raise(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "entities.ftm.json").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ListLoadError, match=message):
        read_ftm(tmp_path)


def test_duplicate_id_raises(tmp_path: Path) -> None:
    record = {"id": "v", "schema": "Vessel", "properties": {"name": ["V"]}}
    _write(tmp_path, record, record)
    with pytest.raises(ListLoadError, match="line 2: entity id 'v' appears twice"):
        read_ftm(tmp_path)


def test_nothing_listed_raises(tmp_path: Path) -> None:
    _write(tmp_path, {"id": "p", "schema": "Person", "properties": {"name": ["A B"]}})
    with pytest.raises(ListLoadError, match="no listed vessel or company"):
        read_ftm(tmp_path)


def test_nameless_vessel_raises(tmp_path: Path) -> None:
    _write(tmp_path, {"id": "v", "schema": "Vessel", "properties": {"imoNumber": ["9161003"]}})
    with pytest.raises(ListLoadError, match="vessel v has no name"):
        read_ftm(tmp_path)
