"""The EU Financial Sanctions File (XML 1.1), on hand-written exports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from service.loaders.errors import ListLoadError
from service.loaders.eu_fsf import NAMESPACE, is_eu_fsf, read_eu_fsf

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "eu-fsf"
NEWEST = "20260501-FULL-1_1.xml"


def _write(folder: Path, body: str, name: str = "export.xml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><export xmlns="{NAMESPACE}" '
        f'generationDate="2026-01-01T00:00:00.000+01:00">{body}</export>',
        encoding="utf-8",
    )
    return folder


def test_enterprises_with_imo_company_numbers_and_no_persons() -> None:
    loaded = read_eu_fsf(FIXTURE)
    assert loaded.vessels == ()
    mg_flot, omm = loaded.entities
    assert mg_flot.entity_id == "eu-fsf:900101"
    assert mg_flot.name == "MG-Flot LLC"
    assert mg_flot.aliases == ("TransMorFlot", "ООО МГ-ФЛОТ")
    assert mg_flot.imo_company_number == "6016988"
    assert mg_flot.programs == ("UKR",)
    assert mg_flot.listed_on == "2024-02-23"
    assert mg_flot.source_record["euReferenceNumber"] == "EU.9001.01"
    # The strong name is the listed name, a weak one an alias; the designation date wins over
    # the dates of the regulations cited.
    assert omm.name == "EXAMPLE MARITIME MANAGEMENT COMPANY, LIMITED"
    assert omm.aliases == ("Example Maritime Management",)
    assert omm.listed_on == "2016-03-02"
    assert omm.remarks == "Test remark: registered owner of a tanker."
    assert omm.source_record["unitedNationId"] == "KPe.900"


def test_newest_export_in_the_folder_is_loaded() -> None:
    loaded = read_eu_fsf(FIXTURE)
    assert loaded.version == "2026-05-01T17:08:20.123+02:00"
    assert loaded.published_at == loaded.version
    assert set(loaded.sha256) == {NEWEST}


def test_earliest_regulation_date_without_designation_date(tmp_path: Path) -> None:
    body = (
        '<sanctionEntity logicalId="1"><subjectType code="enterprise"/>'
        '<regulation programme="RUS" entryIntoForceDate="2023-02-25"/>'
        '<regulation programme="UKR" publicationDate="2022-02-23"/>'
        '<nameAlias wholeName="ONE LLC" strong="true"/></sanctionEntity>'
    )
    (entity,) = read_eu_fsf(_write(tmp_path, body), "fsf").entities
    assert entity.listed_on == "2022-02-23"
    assert entity.programs == ("RUS", "UKR")
    assert entity.entity_id == "fsf:1"


def test_detection_needs_the_fsf_namespace(tmp_path: Path) -> None:
    (tmp_path / "export.xml").write_text("<export generationDate='x'/>", encoding="utf-8")
    (tmp_path / "other.xml").write_text("<sdnList/>", encoding="utf-8")
    assert not is_eu_fsf(tmp_path)
    shutil.copyfile(FIXTURE / NEWEST, tmp_path / "fsf.XML")
    assert is_eu_fsf(tmp_path)


def test_persons_only_raises(tmp_path: Path) -> None:
    body = (
        '<sanctionEntity logicalId="1"><subjectType code="person"/>'
        '<nameAlias wholeName="A B" strong="true"/></sanctionEntity>'
    )
    with pytest.raises(ListLoadError, match="1 persons but no enterprise"):
        read_eu_fsf(_write(tmp_path, body))


def test_nameless_enterprise_raises(tmp_path: Path) -> None:
    body = '<sanctionEntity logicalId="7"><subjectType code="enterprise"/></sanctionEntity>'
    with pytest.raises(ListLoadError, match="enterprise 7 has no name"):
        read_eu_fsf(_write(tmp_path, body))


def test_broken_xml_raises(tmp_path: Path) -> None:
    _write(tmp_path, "")
    text = (tmp_path / "export.xml").read_text(encoding="utf-8")
    (tmp_path / "export.xml").write_text(text.replace("</export>", "<sanctionEntity>"))
    # The root was readable, so the folder is an FSF one; the parse then fails as a whole.
    with pytest.raises(ListLoadError, match="not well-formed XML"):
        read_eu_fsf(tmp_path)


def test_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match="no EU FSF export"):
        read_eu_fsf(tmp_path)
