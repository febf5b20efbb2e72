"""Every match comes back with where the ship has been, and risky calls are marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app

REPO = Path(__file__).resolve().parents[2]
# The bundled sample's calls were reported in February and March 2024.
SINCE_2024 = 3650


def screen(client: FlaskClient, **body: object) -> dict:
    answer = client.post("/v1/screen", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_lady_r_comes_back_with_its_rajin_call_flagged(client: FlaskClient) -> None:
    body = screen(client, name="LADY R", port_call_window_days=SINCE_2024)
    top = body["matches"][0]
    assert (top["vessel"]["imo"], top["decision"]) == ("9161003", "match")
    rajin = [c for c in top["port_calls"] if c["locode"] == "KPRJN"]
    assert rajin and all("sanctioned_jurisdiction" in c["risk"] for c in rajin)
    assert rajin[0]["country"] == "KP" and rajin[0]["source"]
    assert "sanctioned_jurisdiction" in top["risk_flags"]
    detail = next(d for d in top["risk_details"] if d["code"] == "sanctioned_jurisdiction")
    assert "KPRJN" in detail["reason"] or "Rajin" in detail["reason"]
    arrivals = [c["arrived_at"] for c in top["port_calls"]]
    assert arrivals == sorted(arrivals, reverse=True)


def test_the_window_leaves_older_calls_out_but_counts_them(client: FlaskClient) -> None:
    recent = screen(client, name="LADY R", port_call_window_days=30)["matches"][0]
    assert recent["port_calls"] == []
    assert recent["port_calls_before_window"] >= 3
    assert "sanctioned_jurisdiction" not in recent["risk_flags"]
    everything = screen(client, name="LADY R", port_call_window_days=SINCE_2024)["matches"][0]
    assert len(everything["port_calls"]) == recent["port_calls_before_window"]
    assert everything["port_calls_before_window"] == 0


def test_the_vessel_page_shows_the_whole_history(client: FlaskClient) -> None:
    entity = screen(client, imo="9161003")["matches"][0]["entity_id"]
    vessel = client.get(f"/v1/vessels/{entity}").get_json()
    assert {c["locode"] for c in vessel["port_calls"]} >= {"KPRJN", "RUVYP"}
    assert "sanctioned_jurisdiction" in vessel["risk_flags"]


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    """An app of its own, so pushed calls do not leak into other tests."""
    return create_app(lists_dir=REPO / "lists", data_dir=tmp_path)


def test_pushed_calls_are_linked_by_mmsi_alone(fresh: Flask) -> None:
    client = fresh.test_client()
    csv = (
        "imo,mmsi,port,arrived_at,departed_at,source,note,confidence\n"
        ",273382620,Najin,2026-10-01T06:00:00Z,2026-10-03,AIS provider X,,0.9\n"
        "9784893,,Nowhere Port,2026-10-05,,AIS provider X,,\n"
        "9784894,,KPRJN,2026-10-05,,AIS provider X,,\n"
    )
    pushed = client.post("/v1/port-calls", data=csv, content_type="text/csv")
    assert pushed.status_code == 200, pushed.get_data(as_text=True)
    body = pushed.get_json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert [r["line"] for r in body["rejected_rows"]] == [3, 4]
    assert "port" in body["rejected_rows"][0]["reason"].lower()
    # LADY RANIA is listed with MMSI 273382620 in the sample; the call carries no IMO.
    top = screen(client, name="LADY RANIA")["matches"][0]
    assert top["vessel"]["mmsi"] == "273382620"
    assert [c["locode"] for c in top["port_calls"]] == ["KPRJN"]
    assert top["port_calls"][0]["departed_at"].startswith("2026-10-03")


def test_pushed_calls_survive_a_restart_and_reach_every_worker(tmp_path: Path) -> None:
    # Two apps on one data folder are two workers; the second looks for pushes every request.
    first = create_app(lists_dir=REPO / "lists", data_dir=tmp_path)
    second = create_app(lists_dir=REPO / "lists", data_dir=tmp_path, port_calls_poll_seconds=0)
    calls = [
        {
            "imo": "9179842",
            "port": "Rason",
            "arrived_at": "2026-11-01",
            "source": "satellite imagery",
            "note": "pier 1",
        }
    ]
    assert first.test_client().post("/v1/port-calls", json=calls).status_code == 200
    top = screen(second.test_client(), name="ANGARA")["matches"][0]
    assert [(c["locode"], c["note"]) for c in top["port_calls"]] == [("KPRJN", "pier 1")]
    restarted = create_app(lists_dir=REPO / "lists", data_dir=tmp_path)
    assert screen(restarted.test_client(), imo="9179842")["matches"][0]["port_calls"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("[]", "application/json", 422),
        ('{"not": "a list"}', "application/json", 422),
        ("[{", "application/json", 400),
        ('{"imo": "9179842"}\n', "application/x-ndjson", 422),
        ("imo,port\n9179842,Rason\n", "text/csv", 422),
        ("imo,port", "text/plain", 415),
    ],
)
def test_bad_pushes_are_problems(fresh: Flask, body: str, content_type: str, status: int) -> None:
    answer = fresh.test_client().post("/v1/port-calls", data=body, content_type=content_type)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"


def test_a_flag_change_is_flagged_from_the_list_itself(client: FlaskClient) -> None:
    # ADRIAN DARYA 1 (ex GRACE 1) flies Iran's flag, formerly Panama's.
    top = screen(client, name="ADRIAN DARYA 1")["matches"][0]
    assert (top["vessel"]["flags"], top["vessel"]["former_flags"]) == (["IR"], ["PA"])
    assert "flag_change" in top["risk_flags"]
    reason = next(d["reason"] for d in top["risk_details"] if d["code"] == "flag_change")
    assert "PA" in reason or "Panama" in reason
    assert "flag_change" not in screen(client, name="ANGARA")["matches"][0]["risk_flags"]


def test_port_call_files_are_read_again_on_reload(tmp_path: Path) -> None:
    calls_dir = tmp_path / "calls"
    calls_dir.mkdir()
    app = create_app(lists_dir=REPO / "lists", data_dir=tmp_path, port_calls_dir=calls_dir)
    client = app.test_client()
    assert screen(client, imo="9179842")["matches"][0]["port_calls"] == []
    (calls_dir / "new.csv").write_text(
        "imo,mmsi,port,arrived_at,departed_at,source,note,confidence\n"
        "9179842,,Rajin,2026-11-01,,satellite imagery,,\n"
    )
    assert app.extensions["vessel_screen"].reload()
    calls = screen(client, imo="9179842")["matches"][0]["port_calls"]
    assert [c["locode"] for c in calls] == ["KPRJN"]
