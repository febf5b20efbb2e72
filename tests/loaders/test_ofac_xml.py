"""OFAC's classic XML (sdn.xml, consolidated.xml): the real non-SDN file and hand-written ones."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, shared_path

from service.loaders.common import SourceSet
from service.loaders.errors import ListLoadError
from service.loaders.ofac_xml import (
    is_ofac_cons_xml,
    is_ofac_sdn_xml,
    read_ofac_cons_xml,
    read_ofac_sdn_xml,
)
from service.loaders.un_xml import is_un_xml
from service.model import Vessel, VesselName

FIXTURES = REPO_ROOT / "tests" / "fixtures"
SDN_FIXTURE = FIXTURES / "ofac-xml"
NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"


@pytest.fixture(scope="module")
def sdn() -> SourceSet:
    return read_ofac_sdn_xml(SDN_FIXTURE)


def _vessel(loaded: SourceSet, name: str) -> Vessel:
    (vessel,) = [v for v in loaded.vessels if v.name == name]
    return vessel


def _write(folder: Path, name: str, entries: str, *, count: int | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    record_count = "" if count is None else f"<Record_Count>{count}</Record_Count>"
    (folder / name).write_text(
        f'<?xml version="1.0"?>\n<sdnList xmlns="{NS}"><publshInformation>'
        f"<Publish_Date>01/31/2024</Publish_Date>{record_count}</publshInformation>"
        f"{entries}</sdnList>",
        encoding="utf-8",
    )
    return folder


VESSEL = "<sdnEntry><uid>1</uid><lastName>ONE</lastName><sdnType>Vessel</sdnType></sdnEntry>"
ENTITY = "<sdnEntry><uid>2</uid><lastName>TWO LLC</lastName><sdnType>Entity</sdnType></sdnEntry>"
PERSON = (
    "<sdnEntry><uid>3</uid><firstName>A</firstName><lastName>B</lastName>"
    "<sdnType>Individual</sdnType></sdnEntry>"
)


# --- the hand-written sdn.xml ------------------------------------------------------------------


def test_vessel_info_ids_and_linked_owner(sdn: SourceSet) -> None:
    lady_r = _vessel(sdn, "LADY R")
    assert lady_r.entity_id == "us-ofac-sdn:37095"
    assert lady_r.imo == "9161003"
    assert lady_r.flags == ("RU",)
    assert lady_r.vessel_type == "Roll-on Roll-off"
    assert lady_r.gross_registered_tonnage == 7260
    assert lady_r.build_year == 1998
    assert lady_r.programs == ("RUSSIA-EO14024",)
    # No vesselOwner: the linked entity in the remarks is the owner.
    assert lady_r.owner == "TRANSMORFLOT LLC"


def test_every_vessel_field(sdn: SourceSet) -> None:
    star = _vessel(sdn, "SAMPLE STAR")
    # Seven bare digits with no issuing country are the IMO number; with a country they are a
    # national registration.
    assert star.imo == "9116412"
    assert star.source_record["registration_ids"] == ["150443 (Russia)"]
    assert star.mmsi == "667001234"
    assert star.call_sign == "9LAB7"
    assert star.source_record["other_call_signs"] == ["5IM999"]
    # The current flag first, then "Other Vessel Flag"; "None Identified" is no flag at all.
    assert star.flags == ("SL", "TZ")
    assert star.former_flags == ("PA",)
    assert star.tonnage == 300000
    assert star.gross_registered_tonnage == 160000
    assert star.programs == ("IRAN", "SDGT")
    assert star.owner == "EXAMPLE SHIPOWNER INC"
    # A period inside the brackets belongs to the name.
    assert star.source_record["linked_to"] == [
        "EXAMPLE TANKER HOLDINGS S.A.",
        "SECOND EXAMPLE LTD.",
    ]
    assert star.source_record["other_ids"][0]["idType"] == "Secondary sanctions risk:"


def test_akas_keep_their_kind(sdn: SourceSet) -> None:
    star = _vessel(sdn, "SAMPLE STAR")
    assert star.names == (
        VesselName("SAMPLE STAR", "primary"),
        VesselName("EXAMPLE ONE", "fka"),
        VesselName("STAR", "aka"),  # a weak a.k.a. is an a.k.a.
        VesselName("SAMPLE STAR II", "nka"),
    )
    assert star.former_names == ("EXAMPLE ONE",)


def test_entities_with_company_imo_and_no_people_or_aircraft(sdn: SourceSet) -> None:
    assert [v.name for v in sdn.vessels] == ["LADY R", "SAMPLE STAR"]
    (owner,) = sdn.entities
    assert owner.entity_id == "us-ofac-sdn:37049"
    assert owner.name == "TRANSMORFLOT LLC"
    assert owner.imo_company_number == "6016988"
    assert owner.aliases == ("TRANSMORFLOT SHIPPING COMPANY", "MG-FLOT LLC")
    assert owner.kind == "entity"
    assert owner.programs == ("RUSSIA-EO14024",)


def test_version_is_the_publish_date(sdn: SourceSet) -> None:
    assert sdn.version == "2024-02-26"
    assert sdn.published_at == "2024-02-26"
    raw = (SDN_FIXTURE / "sdn.xml").read_bytes()
    assert sdn.sha256 == {"sdn.xml": hashlib.sha256(raw).hexdigest()}


def test_old_namespace_and_entities_only_consolidated() -> None:
    loaded = read_ofac_cons_xml(FIXTURES / "ofac-xml-tempuri", "cons")
    assert loaded.vessels == ()
    (bank,) = loaded.entities
    assert bank.entity_id == "cons:91001"
    assert bank.aliases == ("EXAMPLE BANK OJSC",)
    assert bank.source_record["linked_to"] == ["EXAMPLE HOLDING"]
    assert loaded.version == "2019-12-31"


def test_file_names_in_any_case(tmp_path: Path) -> None:
    _write(tmp_path, "SDN.XML", VESSEL)
    assert is_ofac_sdn_xml(tmp_path)
    assert [v.name for v in read_ofac_sdn_xml(tmp_path).vessels] == ["ONE"]


def test_no_publish_date_falls_back_to_content_hash(tmp_path: Path) -> None:
    (tmp_path / "sdn.xml").write_text(f"<sdnList>{VESSEL}</sdnList>", encoding="utf-8")
    loaded = read_ofac_sdn_xml(tmp_path)
    raw = (tmp_path / "sdn.xml").read_bytes()
    assert loaded.version == hashlib.sha256(raw).hexdigest()[:12]
    assert loaded.published_at is None


# --- telling the two consolidated.xml files apart ----------------------------------------------


def test_ofac_and_un_consolidated_xml_are_told_apart(tmp_path: Path) -> None:
    ofac = _write(tmp_path / "ofac", "consolidated.xml", ENTITY)
    un = tmp_path / "un"
    un.mkdir()
    shutil.copyfile(FIXTURES / "un" / "consolidated.xml", un / "consolidated.xml")
    assert is_ofac_cons_xml(ofac) and not is_un_xml(ofac)
    assert is_un_xml(un) and not is_ofac_cons_xml(un)
    with pytest.raises(ListLoadError, match=r"root element is <CONSOLIDATED_LIST>"):
        read_ofac_cons_xml(un)


# --- refusing bad files ------------------------------------------------------------------------


def test_sdn_xml_without_a_vessel_raises(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.xml", ENTITY + PERSON)
    with pytest.raises(ListLoadError, match="2 entries but no vessel"):
        read_ofac_sdn_xml(tmp_path)


def test_consolidated_without_vessel_or_entity_raises(tmp_path: Path) -> None:
    _write(tmp_path, "consolidated.xml", PERSON)
    with pytest.raises(ListLoadError, match="no vessel or entity"):
        read_ofac_cons_xml(tmp_path)


def test_record_count_mismatch_raises(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.xml", VESSEL + ENTITY, count=3)
    with pytest.raises(ListLoadError, match="Record_Count says 3, the file holds 2"):
        read_ofac_sdn_xml(tmp_path)


def test_truncated_file_raises(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.xml", VESSEL)
    raw = (tmp_path / "sdn.xml").read_bytes()
    (tmp_path / "sdn.xml").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ListLoadError, match="not well-formed XML"):
        read_ofac_sdn_xml(tmp_path)


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    (tmp_path / "sdn.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&x;</lastName><sdnType>Vessel</sdnType>"
        "</sdnEntry></sdnList>",
        encoding="utf-8",
    )
    with pytest.raises(ListLoadError, match="undefined entity"):
        read_ofac_sdn_xml(tmp_path)


def test_bad_uid_and_duplicate_uid_raise(tmp_path: Path) -> None:
    _write(tmp_path / "a", "sdn.xml", VESSEL.replace("<uid>1</uid>", "<uid>x</uid>"))
    with pytest.raises(ListLoadError, match="uid 'x'"):
        read_ofac_sdn_xml(tmp_path / "a")
    _write(tmp_path / "b", "sdn.xml", VESSEL + VESSEL)
    with pytest.raises(ListLoadError, match="appears twice"):
        read_ofac_sdn_xml(tmp_path / "b")


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match=r"has no sdn\.xml"):
        read_ofac_sdn_xml(tmp_path)


# --- the real non-SDN consolidated.xml ---------------------------------------------------------


def test_real_consolidated_xml() -> None:
    folder = shared_path("ofac", "nonsdn")
    loaded = read_ofac_cons_xml(folder)
    # 443 records: 363 entities and 80 individuals, no ship.
    assert loaded.vessels == ()
    assert len(loaded.entities) == 363
    assert loaded.version == "2025-03-28"
    assert len({e.entity_id for e in loaded.entities}) == 363
    assert all(e.entity_id == f"us-ofac-cons:{e.source_id}" for e in loaded.entities)
    kunlun = next(e for e in loaded.entities if e.name == "BANK OF KUNLUN CO LTD")
    assert "KARAMAY CITY COMMERCIAL BANK CO LTD." in kunlun.aliases
    linked = [e for e in loaded.entities if e.source_record["linked_to"]]
    assert len(linked) > 200
    # "(Linked To: PUBLIC JOINT STOCK COMPANY GAZPROM)" after other clauses, with and without
    # a sentence period before it.
    gazprom = ["PUBLIC JOINT STOCK COMPANY GAZPROM"]
    assert sum(1 for e in linked if e.source_record["linked_to"] == gazprom) == 51
