"""Raw AIS through the whole service, on both stores: a MarineCadastre file in AIS_DIR, posted
NMEA, and what a screening of the listed ship then shows."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from service import create_app
from service.ais.nmea import tag_block
from tests.ais.scenarios import Track
from tests.conftest import BUNDLED_LISTS

from .helpers import Backend

LADY_R = 273445480  # a Russian MMSI (MID 273) for the listed LADY R, IMO 9161003
PARTNER = 445123456  # a North Korean MMSI (MID 445): the ship LADY R meets at sea
ORDINARY = 636012345  # a Liberian ship sailing past, which must raise nothing
VOSTOCHNY = (42.75, 133.08)
RAJIN = (42.23, 130.30)
AT_SEA = (41.6, 132.2)  # Sea of Japan, far from any port


def _voyages(now: int) -> list[tuple[Track, str, str, str]]:
    start = now - 20 * 86400
    lady = Track(LADY_R, start, *VOSTOCHNY, interval_s=600)
    lady.stay(10).sail_to(*AT_SEA, knots=11).stay(4, status=0, sog=0.3)
    lady.silence(30).sail_to(RAJIN[0] + 0.2, RAJIN[1] + 0.5, knots=10, report=False)
    lady.sail_to(*RAJIN, knots=8).stay(12)
    partner = Track(PARTNER, lady.rows[0][0], AT_SEA[0] + 0.1, AT_SEA[1], interval_s=600)
    arrive = next(r[0] for r in lady.rows if abs(r[1] - AT_SEA[0]) < 1e-6)
    partner.silence((arrive - partner.t) / 3600).sail_to(AT_SEA[0] + 0.002, AT_SEA[1], knots=6)
    partner.stay(4, status=0, sog=0.3).sail_to(41.0, 131.0, knots=9)
    ordinary = Track(ORDINARY, start, 40.5, 134.5, interval_s=600)
    ordinary.sail_to(40.5, 129.5, knots=12)
    return [
        (lady, "LADY R", "IMO9161003", "UBCS7"),
        (partner, "CHOL SAN", "", "HMXY"),
        (ordinary, "ATLANTIC TRADER", "IMO9000003", "D5AB2"),
    ]


def marinecadastre_csv(now: int) -> str:
    lines = [
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass"
    ]
    for track, name, imo, call_sign in _voyages(now):
        for t, lat, lon, sog, cog, status in track.rows:
            when = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            lines.append(
                f"{track.mmsi},{when},{lat:.5f},{lon:.5f},{sog:.1f},{cog:.1f},511,{name},{imo},"
                f"{call_sign},70,{status},120,20,7.5,70,A"
            )
    return "\n".join(lines) + "\n"


def _app(backend: Backend, ais_dir: Path) -> Flask:
    return create_app(replace(backend.settings, lists_dir=BUNDLED_LISTS, ais_dir=str(ais_dir)))


def _lady_r(app: Flask) -> dict[str, object]:
    answer = app.test_client().post("/v1/screen", json={"imo": "9161003"}).get_json()
    [match] = [m for m in answer["matches"] if m["vessel"]["imo"] == "9161003"]
    return dict(match)


def test_a_marinecadastre_file_in_ais_dir_shows_calls_gap_and_meeting(
    backend: Backend, tmp_path: Path
) -> None:
    now = int(time.time())
    folder = tmp_path / "ais"
    folder.mkdir()
    (folder / "AIS_sample_day.csv").write_text(marinecadastre_csv(now))
    app = _app(backend, folder)
    match = _lady_r(app)
    calls = {c["locode"]: c for c in match["port_calls"]}  # type: ignore[attr-defined]
    assert {"KPRJN", "RUVYP"} <= set(calls)
    assert calls["KPRJN"]["source"].startswith("ais:AIS_sample_day.csv")
    assert "sanctioned_jurisdiction" in calls["KPRJN"]["risk"]
    flags = set(match["risk_flags"])  # type: ignore[arg-type]
    assert {"sanctioned_jurisdiction", "ais_gap", "ship_to_ship"} <= flags
    events = match["events"]
    kinds = {e["kind"] for e in events}  # type: ignore[attr-defined]
    assert {"port_call", "ais_gap", "ship_to_ship"} <= kinds
    [meeting] = [e for e in events if e["kind"] == "ship_to_ship"]  # type: ignore[attr-defined]
    assert meeting["evidence"]["other_mmsi"] == str(PARTNER)
    assert meeting["evidence"]["other_name"] == "CHOL SAN"
    [gap] = [e for e in events if e["kind"] == "ais_gap"]  # type: ignore[attr-defined]
    assert gap["hours"] >= 30

    # A ship that only sailed by raises none of the behaviour flags.
    from service.ais.behaviour import EVENT_FLAGS

    behaviour = app.extensions["vessel_screen"].ais.behaviour
    assert not [e for e in behaviour.derived.for_mmsi(ORDINARY) if e.kind in EVENT_FLAGS]

    # The same file at the next start is not stored again, and the events stay.
    again = _app(backend, folder)
    assert backend.open().ais_sources() == ["AIS_sample_day.csv"]
    assert {"ais_gap", "ship_to_ship"} <= set(_lady_r(again)["risk_flags"])  # type: ignore[arg-type]

    # The vessel detail counts the track, and the track endpoint draws it.
    client = app.test_client()
    entity = match["entity_id"]
    detail = client.get(f"/v1/vessels/{entity}").get_json()
    assert detail["track"]["points"] > 100 and detail["track"]["mmsis"] == [str(LADY_R)]
    track = client.get(f"/v1/vessels/{entity}/track?limit=50").get_json()
    assert len(track["points"]) == 50 and track["downsampled"] and track["total"] > 50
    assert [p["t"] for p in track["points"]] == sorted(p["t"] for p in track["points"])
    assert {e["kind"] for e in track["events"]} >= {"ais_gap", "ship_to_ship"}
    assert client.get(f"/v1/vessels/{entity}/track?limit=0").status_code == 422


def test_posted_nmea_is_counted_stored_once_and_reported_by_line(
    backend: Backend, tmp_path: Path
) -> None:
    app = _app(backend, tmp_path / "none")
    client = app.test_client()
    from pyais.encode import encode_dict

    now = int(time.time())
    lines = []
    for k in range(6):
        [sentence] = encode_dict(
            {"msg_type": 1, "mmsi": LADY_R, "lat": 42.23, "lon": 130.3, "speed": 0.0},
            radio_channel="A",
        )
        lines.append(tag_block(now - 3600 * k) + sentence)
    lines.insert(2, "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*FF")  # bad checksum
    body = ("\n".join(lines) + "\n").encode()
    first = client.post("/v1/ais?source=rx1", data=body, content_type="text/plain")
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert answer["format"] == "nmea" and answer["positions"] == 6 and answer["rejected"] == 1
    assert answer["first_rejections"][0]["line"] == 3
    again = client.post("/v1/ais?source=rx1", data=body, content_type="text/plain")
    assert again.status_code == 200 and again.get_json()["stored"] is False
    assert backend.open().ais_positions().mmsi.tolist().count(LADY_R) == 6

    untimed = client.post("/v1/ais", data=b"!AIVDM,1,1,,B,,0*25\n", content_type="text/plain")
    assert untimed.status_code == 422 and untimed.get_json()["title"] == "Not AIS"
    wrong = client.post("/v1/ais", data=b"a,b\n1,2\n", content_type="application/json")
    assert wrong.status_code == 415


def test_an_ingest_cut_off_midway_leaves_nothing_and_is_never_read(
    backend: Backend, tmp_path: Path
) -> None:
    """Chunks are written as the file is read; one that fails half way is removed whole, and
    until its last chunk is in, an ingest is not read back."""
    from service.ais.model import Positions

    store = backend.open()
    store.migrate()
    first = Positions.from_columns(mmsi=[LADY_R] * 3, t=[1, 2, 3], lat=[42.0] * 3, lon=[130.0] * 3)
    seen: list[int] = []

    def broken() -> object:
        yield first, []
        seen.append(len(store.ais_positions()))  # the first chunk is written, not yet counted
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="disk"):
        store.save_ais("cut.csv", "ab" * 32, broken(), datetime.now(UTC))  # type: ignore[arg-type]
    assert seen == [0]
    assert len(store.ais_positions()) == 0 and store.ais_generation() == 0
    assert store.ais_known("ab" * 32) is None
    # Tried again, it is stored whole.
    done = store.save_ais("cut.csv", "ab" * 32, iter([(first, [])]), datetime.now(UTC))
    assert done.new and done.positions == 3 and store.ais_generation() == 1
    assert store.ais_positions().t.tolist() == [1, 2, 3]
