"""`vessel-screen screen FILE.csv`: the CSV endpoint's code on a file, with exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from service.cli import _Progress, main
from tests.conftest import BUNDLED_LISTS

FLEET = "Vessel Name;IMO;Notes\nLADY R;;=1+2\nNOBODY AT ALL;;x\n;;empty\nMAIA-1;9358010;y\n"


@pytest.fixture()
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(FLEET, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def offline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bundled sample lists, and no data folder of the repo's touched."""
    monkeypatch.setenv("LISTS_DIR", str(BUNDLED_LISTS))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_screens_a_file_to_stdout(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(fleet)]) == 0
    out = rows(capsys.readouterr().out)
    assert [r["row"] for r in out] == ["1", "2", "3", "4"]
    assert [r["decision"] for r in out] == ["match", "clear", "", "match"]
    assert out[0]["Notes"] == "'=1+2"
    assert "name, imo, mmsi" in out[2]["error"]
    assert out[3]["match_imo"] == "9358010"


def test_writes_the_same_bytes_as_the_api(
    fleet: Path, tmp_path: Path, sample_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIS_DIR", "")  # as `sample_app` is set up: no AIS on either side
    out = tmp_path / "out.csv"
    assert main(["screen", str(fleet), "-o", str(out), "--lists", str(BUNDLED_LISTS)]) == 0
    answer = sample_app.test_client().post(
        "/v1/screen/csv", data=fleet.read_bytes(), content_type="text/csv"
    )
    assert out.read_bytes() == answer.get_data()


def test_ndjson_and_all_matches(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(fleet), "--ndjson"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["row"] for line in lines] == [1, 2, 3, 4]
    assert lines[0]["result"]["decision"] == "match" and "error" in lines[2]
    assert main(["screen", str(fleet), "--all-matches"]) == 0
    assert "match_rank" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"colour,size\nred,3\n", "No column gives a vessel's name, IMO or MMSI"),
        (b"\x00\x01binary", "binary"),
    ],
)
def test_a_bad_file_exits_2_with_the_api_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sample_app: Flask,
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["screen", str(path)]) == 2
    err = capsys.readouterr().err
    api = sample_app.test_client().post("/v1/screen/csv", data=content, content_type="text/csv")
    detail = api.get_json()["detail"]
    assert message in detail and detail in err


def test_limits_apply_as_in_the_api(
    fleet: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSV_MAX_ROWS", "2")
    assert main(["screen", str(fleet)]) == 2
    assert "more than 2 rows (CSV_MAX_ROWS)" in capsys.readouterr().err
    monkeypatch.setenv("CSV_MAX_ROWS", "10")
    monkeypatch.setenv("CSV_MAX_BYTES", "10")
    assert main(["screen", str(fleet)]) == 2
    assert "CSV_MAX_BYTES" in capsys.readouterr().err


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_lists_that_do_not_load_exit_1(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["screen", str(fleet), "--lists", str(tmp_path / "no-lists")]) == 1
    assert "lists not loaded" in capsys.readouterr().err


def test_the_installed_command(fleet: Path, tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "vessel-screen"
    done = subprocess.run(
        [str(command), "screen", str(fleet)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [r["decision"] for r in rows(done.stdout)] == ["match", "clear", "", "match"]
    # No progress bar when stderr is not a terminal: only the closing summary.
    assert done.stderr == "screened 4 rows in 0:00: 2 match, 0 review, 1 clear, 1 error\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("colour\nred\n")
    done = subprocess.run(
        [str(command), "screen", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "No column gives" in done.stderr and done.stdout == ""


def test_progress_shows_rows_rate_and_time_left_and_ends_with_a_summary() -> None:
    tty = io.StringIO()
    progress = _Progress(line_breaks=1001, out=tty)
    progress.drawn = 0.0  # draw on the next call, whatever the clock says
    progress(250, {"match": 3, "clear": 247})
    line = tty.getvalue()
    assert "250/1,000 rows" in line and "rows/s" in line and "left" in line
    progress(750, {"clear": 740, "review": 8, "error": 2})
    progress.finish(complete=True)
    text = tty.getvalue()
    assert "1,000/1,000 rows" in text
    last = text.rstrip("\n").split("\n")[-1]
    assert last.startswith("screened 1,000 rows in ")
    assert last.endswith("3 match, 8 review, 987 clear, 2 error") and text.endswith("\n")


def test_a_stopped_run_still_ends_its_line_and_says_so() -> None:
    tty = io.StringIO()
    progress = _Progress(line_breaks=101, out=tty)
    progress(40, {"clear": 40})
    progress.finish(complete=False)
    assert tty.getvalue().endswith(
        "stopped after 40 rows in 0:00: 0 match, 0 review, 40 clear, 0 error\n"
    )


def test_the_other_commands_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen-one", "--name", "LADY R"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "match"
    assert main(["config"]) == 0
    assert "CSV_MAX_ROWS=1000000" in capsys.readouterr().out


def test_config_shows_the_keys_file_in_use(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KEYS_FILE", raising=False)
    assert main(["config"]) == 0
    assert f"KEYS_FILE={tmp_path / 'api-keys.json'}" in capsys.readouterr().out.splitlines()


def test_keys_create_refuses_a_second_active_key_of_one_name_and_names_bad_scopes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "compliance-system"]) == 0
    capsys.readouterr()
    assert main(["keys", "create", "compliance-system"]) == 2
    assert "already named 'compliance-system'" in capsys.readouterr().err
    assert main(["keys", "create", "other", "--scopes", "screen,sudo"]) == 2
    err = capsys.readouterr().err
    assert "got sudo" in err and "(" not in err.split("got")[1]


def test_ais_ingest_reads_each_file_into_the_store_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.store.test_ais_service import marinecadastre_csv

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    day = tmp_path / "AIS_day.csv"
    day.write_text(marinecadastre_csv(1_760_000_000))
    not_ais = tmp_path / "notes.txt"
    not_ais.write_text("hello\n")
    assert main(["ais", "ingest", str(day), str(not_ais)]) == 2
    captured = capsys.readouterr()
    assert "csv:marinecadastre" in captured.out and " positions, " in captured.out
    assert "notes.txt" in captured.err and "not AIS" in captured.err
    assert main(["ais", "ingest", str(day)]) == 0
    assert "already stored" in capsys.readouterr().out
