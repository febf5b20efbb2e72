"""The UN Security Council consolidated list: the real file and a hand-written one."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT, shared_path

from service.loaders.errors import ListLoadError
from service.loaders.un_xml import is_un_xml, read_un_xml

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "un"


GENERATED = ' dateGenerated="2025-01-01T00:00:00Z"'


def _write(folder: Path, body: str, generated: str = GENERATED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "consolidated.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><CONSOLIDATED_LIST{generated}>{body}'
        "</CONSOLIDATED_LIST>",
        encoding="utf-8",
    )
    return folder


ENTITY = (
    "<ENTITIES><ENTITY><DATAID>1</DATAID><FIRST_NAME>ONE CO</FIRST_NAME>"
    "<REFERENCE_NUMBER>KPe.1</REFERENCE_NUMBER></ENTITY></ENTITIES>"
)


def test_entities_with_aliases_reference_numbers_and_company_imo() -> None:
    loaded = read_un_xml(FIXTURE)
    assert loaded.vessels == ()
    assert [e.entity_id for e in loaded.entities] == [
        "un-sc:KPe.056",
        "un-sc:KPe.066",
        "un-sc:IRe.900",
    ]
    chonmyong, yujong, example = loaded.entities
    # Written across a line break in the comments, with a trailing space in name and number.
    assert chonmyong.name == "CHONMYONG SHIPPING CO"
    assert chonmyong.imo_company_number == "5571322"
    assert chonmyong.aliases == ("CHON MYONG SHIPPING COMPANY LIMITED",)
    assert chonmyong.listed_on == "2018-03-30"
    assert chonmyong.programs == ("DPRK",)
    assert chonmyong.source_record["DATAID"] == "9000101"
    assert "ship-to-ship transfer" in (chonmyong.remarks or "")
    assert yujong.imo_company_number == "5434358"  # "Company Number IMO 5434358"
    assert yujong.aliases == ()  # an empty ENTITY_ALIAS is no alias
    # "IMO-registered" is not an IMO number; f.k.a. and original-script names are aliases.
    assert example.imo_company_number is None
    assert example.aliases == ("ETC", "EXAMPLE TRADING COMPANY", "شركة المثال")
    assert example.source_record["LAST_DAY_UPDATED"] == ["2012-01-01", "2016-01-16"]


def test_version_is_date_generated() -> None:
    loaded = read_un_xml(FIXTURE)
    assert loaded.version == "2025-06-30T12:00:00.000Z"
    assert loaded.published_at == loaded.version
    assert set(loaded.sha256) == {"consolidated.xml"}


def test_list_id_is_used(tmp_path: Path) -> None:
    (entity,) = read_un_xml(_write(tmp_path, ENTITY), "un").entities
    assert entity.entity_id == "un:KPe.1"


def test_dataid_when_no_reference_number(tmp_path: Path) -> None:
    body = ENTITY.replace("<REFERENCE_NUMBER>KPe.1</REFERENCE_NUMBER>", "<REFERENCE_NUMBER/>")
    (entity,) = read_un_xml(_write(tmp_path, body)).entities
    assert entity.source_id == "1"


def test_only_individuals_raises(tmp_path: Path) -> None:
    body = "<INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS><ENTITIES/>"
    with pytest.raises(ListLoadError, match="1 individuals but no entity"):
        read_un_xml(_write(tmp_path, body))


def test_no_date_generated_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match="no dateGenerated"):
        read_un_xml(_write(tmp_path, ENTITY, generated=""))


def test_duplicate_reference_raises(tmp_path: Path) -> None:
    body = ENTITY.replace("</ENTITIES>", ENTITY[len("<ENTITIES>") :])
    with pytest.raises(ListLoadError, match="appears twice"):
        read_un_xml(_write(tmp_path, body))


def test_malformed_and_foreign_files_raise(tmp_path: Path) -> None:
    folder = _write(tmp_path / "a", ENTITY)
    (folder / "consolidated.xml").write_text("<CONSOLIDATED_LIST><ENTITIES>", encoding="utf-8")
    with pytest.raises(ListLoadError, match="not well-formed"):
        read_un_xml(folder)
    other = tmp_path / "b"
    other.mkdir()
    (other / "consolidated.xml").write_text("<sdnList/>", encoding="utf-8")
    assert not is_un_xml(other)
    with pytest.raises(ListLoadError, match="not the UN's"):
        read_un_xml(other)


def test_real_file() -> None:
    loaded = read_un_xml(shared_path("un"))
    assert loaded.vessels == ()
    assert len(loaded.entities) == 273
    assert loaded.version == "2026-02-27T00:00:09.554Z"
    with_imo = {e.source_id: e.imo_company_number for e in loaded.entities if e.imo_company_number}
    # The 16 ship owners and managers whose comments cite an IMO company number, every one.
    assert len(with_imo) == 16
    assert with_imo["KPe.020"] == "1790183"  # "International Maritime Organization (IMO) Number"
    assert with_imo["KPe.022"] == "5342883"
    assert with_imo["KPe.066"] == "5434358"
    assert all(len(n) == 7 and n.isdigit() for n in with_imo.values())
    omm = next(e for e in loaded.entities if e.source_id == "KPe.020")
    assert omm.name == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert "East Sea Shipping Company" in omm.aliases
