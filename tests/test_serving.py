"""A bad list file never replaces a good one: the served version stays and the error shows."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from service import create_app

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "lists" / "ofac-sample"


def _truncate(sdn: Path) -> None:
    data = sdn.read_bytes()
    sdn.write_bytes(data[: len(data) // 2])  # cut mid-row: an unclosed quote or short row


def _empty(sdn: Path) -> None:
    sdn.write_bytes(b"")


def _garble(sdn: Path) -> None:
    sdn.write_bytes(bytes(range(256)) * 40)


def _wrong_encoding(sdn: Path) -> None:
    sdn.write_bytes(sdn.read_bytes().rstrip(b"\x1a").decode("cp1252").encode("utf-16"))


def _shrink_by_90_percent(sdn: Path) -> None:
    lines = sdn.read_bytes().rstrip(b"\x1a").split(b"\r\n")
    vessels = [line for line in lines if b'"vessel"' in line]
    sdn.write_bytes(b"\r\n".join(vessels[:1]) + b"\r\n\x1a")


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    shutil.copytree(SAMPLE, tmp_path / "lists" / "ofac")
    return create_app(lists_dir=tmp_path / "lists", data_dir=tmp_path / "data")


@pytest.mark.parametrize(
    "damage", [_truncate, _empty, _garble, _wrong_encoding, _shrink_by_90_percent]
)
def test_a_bad_file_leaves_the_served_version(
    app: Flask, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    state = app.extensions["vessel_screen"]
    served = state.index
    damage(tmp_path / "lists" / "ofac" / "sdn.csv")
    assert state.reload() is False
    assert state.index is served
    assert state.last_error
    client = app.test_client()
    assert client.post("/v1/screen", json={"name": "LADY R"}).get_json()["decision"] == "match"
    ready = client.get("/readyz")
    assert ready.status_code == 200  # still serving the good version
    assert any("failed" in reason for reason in ready.get_json()["reasons"])
    assert client.get("/v1/lists").get_json()["lists"][0]["last_error"]
    # The failure is kept in the store's record of loads.
    assert state.store.list_versions("*")[0].error


def test_the_shrink_guard_names_the_setting(app: Flask, tmp_path: Path) -> None:
    state = app.extensions["vessel_screen"]
    _shrink_by_90_percent(tmp_path / "lists" / "ofac" / "sdn.csv")
    state.reload()
    assert "MAX_LIST_SHRINK" in (state.last_error or "")


def test_a_good_new_version_replaces_the_old_and_clears_the_error(
    app: Flask, tmp_path: Path
) -> None:
    state = app.extensions["vessel_screen"]
    sdn = tmp_path / "lists" / "ofac" / "sdn.csv"
    good = sdn.read_bytes()
    _empty(sdn)
    assert not state.reload()
    sdn.write_bytes(good)
    assert state.reload()
    assert state.last_error is None


def test_the_shrink_guard_holds_across_a_restart(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "lists" / "ofac")
    create_app(lists_dir=tmp_path / "lists", data_dir=tmp_path / "data")
    _shrink_by_90_percent(tmp_path / "lists" / "ofac" / "sdn.csv")
    restarted = create_app(lists_dir=tmp_path / "lists", data_dir=tmp_path / "data")
    state = restarted.extensions["vessel_screen"]
    assert "MAX_LIST_SHRINK" in (state.last_error or "")
    # Nothing good in the files, so the last version the store published is served.
    assert state.index is not None and state.index.lists[0].entries == 15
    client = restarted.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.post("/v1/screen", json={"name": "LADY R"}).get_json()["decision"] == "match"
