"""Several lists at once: one match per ship naming every list, and listed owners flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_path
from flask import Flask

from service import create_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("lists")
    manifest = {
        "lists": [
            {"id": "us-ofac-sdn", "path": str(shared_path("ofac")), "format": "ofac-csv"},
            {"id": "eu-ojeu", "path": str(shared_path("eu", "ojeu")), "format": "eu-ojeu"},
        ]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return create_app(lists_dir=folder, data_dir=tmp_path_factory.mktemp("data"))


def test_both_lists_are_served_with_their_entries(both: Flask) -> None:
    lists = both.test_client().get("/v1/lists").get_json()["lists"]
    assert {(entry["id"], entry["entries"]) for entry in lists} == {
        ("us-ofac-sdn", 851),
        ("eu-ojeu", 750),
    }


def test_lady_r_is_one_match_naming_both_lists(both: Flask) -> None:
    body = both.test_client().post("/v1/screen", json={"name": "LADY R"}).get_json()
    lady_r = [m for m in body["matches"] if m["vessel"]["imo"] == "9161003"]
    assert len(lady_r) == 1
    assert sorted(lady_r[0]["lists"]) == ["eu-ojeu", "us-ofac-sdn"]
    programs = {p for listing in lady_r[0]["listings"] for p in listing["programs"]}
    assert "RUSSIA-EO14024" in programs
    assert any("XLII" in p for p in programs)


def test_an_unlisted_ship_owned_by_a_listed_company_is_flagged(both: Flask) -> None:
    client = both.test_client()
    body = client.post(
        "/v1/screen", json={"name": "NEW BUILD 1", "owner": "Transmorflot Ltd"}
    ).get_json()
    assert body["matches"] == []
    assert body["decision"] == "match"
    assert body["risk_flags"] == ["owner_listed"]
    names = {p["name"] for p in body["party_matches"]}
    assert "TRANSMORFLOT LLC" in names
    assert all(p["role"] == "owner" for p in body["party_matches"])


def test_manager_and_operator_are_screened_too(client) -> None:  # type: ignore[no-untyped-def]
    body = client.post(
        "/v1/screen",
        json={"name": "NEW BUILD 1", "manager": "M Leasing LLC", "operator": "Ocean Fresh Ltd"},
    ).get_json()
    assert body["risk_flags"] == ["manager_listed"]
    assert [p["role"] for p in body["party_matches"]] == ["manager"]


def test_an_unrelated_owner_raises_nothing(client) -> None:  # type: ignore[no-untyped-def]
    body = client.post(
        "/v1/screen", json={"name": "NEW BUILD 1", "owner": "Maersk Line A/S"}
    ).get_json()
    assert (body["decision"], body["risk_flags"], body["party_matches"]) == ("clear", [], [])
