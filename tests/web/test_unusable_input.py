"""An identifier that could not be used never yields a clear answer, on any face; and a file
answer says why each row matched."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service import create_app
from service.cli import main
from tests.conftest import BUNDLED_LISTS

LADY_R_TYPO = "9161004"  # LADY R is 9161003: one digit wrong, so the check digit fails


def _csv(client: FlaskClient, body: str, query: str = "", **headers: str) -> Any:
    return client.post(
        f"/v1/screen/csv{query}", data=body, content_type="text/csv", headers=headers
    )


def test_a_bad_check_digit_is_review_with_the_reason_and_the_listed_neighbour(
    client: FlaskClient,
) -> None:
    answer = client.post("/v1/screen", json={"imo": LADY_R_TYPO}).get_json()
    assert answer["decision"] == "review" and answer["matches"] == []
    assert "IMO 9161004" in answer["decision_reason"]
    assert [s["imo"] for s in answer["imo_suggestions"]] == ["9161003"]
    assert answer["imo_suggestions"][0]["name"] == "LADY R"
    assert answer["query"]["imo_valid"] is False


def test_a_malformed_mmsi_that_matches_nothing_is_review(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", json={"mmsi": "2734454"}).get_json()
    assert answer["decision"] == "review" and "MMSI 2734454" in answer["decision_reason"]
    assert answer["imo_suggestions"] == []


def test_usable_identifiers_that_match_nothing_are_still_clear(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", json={"imo": "8811182", "name": "NOBODY"}).get_json()
    assert answer["decision"] == "clear" and answer["decision_reason"] is None


def test_flag_recognized_is_null_without_a_flag_and_other_languages_are_read(
    client: FlaskClient,
) -> None:
    none_sent = client.post("/v1/screen", json={"name": "LADY R"}).get_json()["query"]
    assert none_sent["flag"] is None and none_sent["flag_recognized"] is None
    russian = client.post("/v1/screen", json={"name": "LADY R", "flag": "Россия"}).get_json()
    assert russian["query"]["flag"] == "RU" and russian["query"]["flag_recognized"] is True
    assert russian["warnings"] == []


def test_the_explanation_says_what_a_transliterated_name_was_read_as(client: FlaskClient) -> None:
    answer = client.post("/v1/screen", json={"name": "ЛЕДИ Р"}).get_json()
    [top, *_] = answer["matches"]
    assert (top["vessel"]["name"], answer["decision"]) == ("LADY R", "match")
    assert any(
        "read as LEDI R" in n and "consonants, length and word endings agree" in n
        for n in top["explanation"]["notes"]
    )
    # The consonants alone agree (ANGARO for ANGARA: another word ending): only a review.
    answer = client.post("/v1/screen", json={"name": "АНГАРО"}).get_json()
    [top, *_] = answer["matches"]
    assert (top["vessel"]["name"], answer["decision"]) == ("ANGARA", "review")
    assert any(
        "read as ANGARO" in n and "not proof of the same name" in n
        for n in top["explanation"]["notes"]
    )


def test_a_same_name_ship_with_another_imo_is_set_aside_with_the_reason(
    client: FlaskClient,
) -> None:
    answer = client.post("/v1/screen", json={"name": "MARIA", "imo": "8811182"}).get_json()
    assert answer["decision"] == "clear"
    aside = {a["imo"]: a for a in answer["set_aside"]}
    assert (
        "8517839" in aside and "two valid IMO numbers are two ships" in aside["8517839"]["reason"]
    )


def test_whole_body_errors_are_said_in_words(client: FlaskClient) -> None:
    problem = client.post("/v1/screen", json={"reference": "x"}).get_json()
    assert "_schema" not in problem["detail"]
    assert problem["detail"] == "At least one of name, imo, mmsi is required."


def test_csv_rows_carry_the_reason_warnings_and_suggestion(client: FlaskClient) -> None:
    body = f"name,imo,mmsi\n,{LADY_R_TYPO},\n,,2734454\nNeptun,,\n"
    rows = list(csv.DictReader(io.StringIO(_csv(client, body).get_data(as_text=True))))
    assert [r["decision"] for r in rows] == ["review", "review", "match"]
    assert rows[0]["imo_suggestions"] == "9161003" and "check digit" in rows[0]["warnings"]
    assert "Not screened in full" in rows[0]["decision_reason"]
    assert "not 9 digits" in rows[1]["warnings"] and rows[1]["error"] == ""
    # Matched by a former name: the row names the listed name that matched and its kind.
    assert rows[2]["matched_name"] == "NEPTUN" and rows[2]["matched_name_kind"] == "fka"
    assert rows[2]["match_name"] == "MAIA-1"
    assert rows[2]["match_lists"] == "us-ofac-sdn-sample"


def test_ndjson_lines_carry_the_reason_and_warnings(client: FlaskClient) -> None:
    body = f"imo\n{LADY_R_TYPO}\n"
    for query in ("", "?all_matches=true"):
        text = _csv(client, body, query, Accept="application/x-ndjson").get_data(as_text=True)
        [line] = [json.loads(x) for x in text.splitlines()]
        answer = line.get("result", line)
        assert answer["decision"] == "review" and answer["decision_reason"]
        assert answer["warnings"] and answer["imo_suggestions"][0]["imo"] == "9161003"


def test_the_csv_endpoint_takes_the_single_screenings_options(client: FlaskClient) -> None:
    body = "name\nLADY R\n"
    full = list(csv.DictReader(io.StringIO(_csv(client, body, "?limit=1").get_data(as_text=True))))
    assert full[0]["matches"] == "1"
    strict = _csv(client, "name\nLADI R\n", "?threshold=0.99").get_data(as_text=True)
    assert next(csv.DictReader(io.StringIO(strict)))["decision"] == "clear"
    listed = _csv(client, body, "?lists=us-ofac-sdn-sample&port_call_window_days=36500")
    row = next(csv.DictReader(io.StringIO(listed.get_data(as_text=True))))
    # The bundled sample's calls are years old: the widest window brings them in, and the flags.
    assert "sanctioned_jurisdiction" in row["risk_flags"]
    form = client.post(
        "/v1/screen/csv",
        data={"file": (io.BytesIO(body.encode()), "f.csv"), "port_call_window_days": "36500"},
        content_type="multipart/form-data",
    )
    assert "sanctioned_jurisdiction" in form.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?thresold=0.5", "thresold"),
        ("?threshold=2", "threshold"),
        ("?limit=many", "limit"),
        ("?lists=nope", "lists"),
    ],
)
def test_the_csv_endpoint_refuses_unknown_or_bad_parameters(
    client: FlaskClient, query: str, field: str
) -> None:
    response = _csv(client, "name\nLADY R\n", query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_screen_one_answers_as_the_api_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same lists and the same AIS file: the command line and the API give one answer
    (AIS at fixed times here; the bundled sample is rendered at each face's own moment)."""
    from tests.store.test_ais_service import marinecadastre_csv

    folder = tmp_path / "ais"
    folder.mkdir()
    (folder / "day.csv").write_text(marinecadastre_csv(int(time.time())))
    monkeypatch.setenv("AIS_DIR", str(folder))
    monkeypatch.setenv("LISTS_DIR", str(BUNDLED_LISTS))
    client = create_app(ais_dir=str(folder), data_dir=tmp_path / "data").test_client()
    for args, body in (
        (["--imo", LADY_R_TYPO], {"imo": LADY_R_TYPO}),
        (["--name", "Maria", "--flag", "Russia"], {"name": "Maria", "flag": "Russia"}),
        (["--imo", "9161003"], {"imo": "9161003"}),
        (
            ["--name", "LADY R", "--window-days", "36500"],
            {"name": "LADY R", "port_call_window_days": 36500},
        ),
    ):
        assert main(["screen-one", *args]) == 0
        printed = json.loads(capsys.readouterr().out)
        api = client.post("/v1/screen", json=body).get_json()
        for moment in ("screening_id", "screened_at"):
            printed.pop(moment)
            api.pop(moment)
        for answer in (printed, api):
            answer["lists"] = [
                {k: v for k, v in x.items() if k != "loaded_at"} for x in answer["lists"]
            ]
        assert printed == api
    assert {e["kind"] for e in api["matches"][0]["events"]} >= {"ais_gap", "ship_to_ship"}


def test_screen_one_refuses_what_the_api_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen-one"]) == 2
    problem = json.loads(capsys.readouterr().err)
    assert problem["status"] == 422 and "At least one of name, imo, mmsi" in problem["detail"]
    assert main(["screen-one", "--name", "X", "--limit", "0"]) == 2
    assert "limit" in json.loads(capsys.readouterr().err)["errors"]


def test_entries_count_vessels_in_lists_and_their_versions_alike(client: FlaskClient) -> None:
    [served] = client.get("/v1/lists").get_json()["lists"]
    versions = client.get(f"/v1/lists/{served['id']}/versions").get_json()["versions"]
    newest = next(v for v in versions if v["version"] == served["version"])
    assert newest["entries"] == served["entries"] == 15  # the sample's vessels
    assert newest["records"] == 19  # and its four listed owner companies
