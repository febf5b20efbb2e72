"""Bulk screening's core: the matcher's batch path, reading CSV files, writing the answer."""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import yaml
from flask import Flask
from marshmallow import ValidationError

from service import bulk, bulk_read, bulk_write
from service.bulk_read import CsvProblem, Limits, RowError, open_csv
from service.bulk_write import Output
from service.index import ScreeningIndex, build_index
from service.loaders.registry import load_lists
from service.matcher import Policy, Query, screen, screen_many
from service.model import ListInfo, LoadedList, Vessel
from service.problems import validation_detail
from service.screening import Outcome, Request
from service.serving import Serving
from service.web import render
from service.web.schemas import ScreenRequestSchema
from tests.conftest import BUNDLED_LISTS

POLICY = Policy()
DEFAULT_LIMITS = Limits()
CSV = Output()


def typo(rng: random.Random, name: str) -> str:
    letters = list(name)
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(len(letters))
        kind = rng.random()
        if kind < 0.4:
            letters[i] = rng.choice("ABCDEFGHIKLMNOPRSTUVWY")
        elif kind < 0.7 and len(letters) > 2:
            del letters[i]
        else:
            letters.insert(i, rng.choice("AEIOURNST"))
    return "".join(letters)


def queries_about(index: ScreeningIndex, seed: int) -> list[Query]:
    """Every listed name as written and misspelt, with identifiers, flags and odd thresholds."""
    rng = random.Random(seed)
    out: list[Query] = []
    for entry in index.names:
        vessel = index.vessels[entry.vessel]
        out.append(Query(name=entry.listed))
        out.append(Query(name=typo(rng, entry.listed)))
        out.append(Query(name=typo(rng, entry.listed).lower(), flag=rng.choice(["RU", "PA", None])))
        out.append(Query(name=typo(rng, entry.listed), imo=vessel.imo, threshold=0.5))
        out.append(Query(name=entry.listed, mmsi=vessel.mmsi, call_sign=vessel.call_sign, limit=2))
    out += [
        Query(name="A", threshold=0.0),  # a cutoff under 1: the exact float64 path
        Query(name="SEA", threshold=0.1),
        Query(name="MARIA", threshold=0.15),
        Query(imo="9161003"),
        Query(mmsi="273382620"),
        Query(name="NOBODY AT ALL"),
        Query(name="!!!", imo="IMO 1234567"),
    ]
    return out


def assert_same_as_one_by_one(queries: list[Query], index: ScreeningIndex) -> None:
    many = screen_many(queries, index, POLICY)
    assert len(many) == len(queries)
    for query, got in zip(queries, many, strict=True):
        assert got == screen(query, index, POLICY), query


@pytest.fixture(scope="module")
def sample_index() -> ScreeningIndex:
    return build_index(load_lists(BUNDLED_LISTS))


@pytest.fixture(scope="module")
def ofac(ofac_dir: Path) -> ScreeningIndex:
    return build_index(load_lists(ofac_dir))


# --- The matcher's batch path gives screen()'s answers -------------------------------------------


def test_screen_many_is_screen_on_the_sample(sample_index: ScreeningIndex) -> None:
    assert_same_as_one_by_one(queries_about(sample_index, seed=1), sample_index)


def test_screen_many_is_screen_on_every_ofac_name_with_typos(ofac: ScreeningIndex) -> None:
    queries = queries_about(ofac, seed=2)
    assert len(queries) > 5000
    assert_same_as_one_by_one(queries, ofac)


def crowded_index(size: int) -> ScreeningIndex:
    """Many names a few letters apart, so that a query has hundreds of fuzzy hits."""
    rng = random.Random(3)
    vessels = [
        Vessel(
            entity_id=f"crowd:{i}",
            list_id="crowd",
            source_id=str(i),
            name="".join(rng.choice("ABRT") for _ in range(rng.randint(4, 7))),
        )
        for i in range(size)
    ]
    info = ListInfo("crowd", "crowded names", "1", datetime.now(UTC), size)
    return build_index([LoadedList(info, tuple(vessels))])


def test_batch_retrieval_finds_what_one_query_finds() -> None:
    index = crowded_index(3000)
    rng = random.Random(4)
    keys = ["".join(rng.choice("ABRT") for _ in range(rng.randint(3, 8))) for _ in range(300)]
    for bar in (0.8, 0.6, 0.3):
        batch = index.name_index.within_many(keys, bar, workers=2)
        assert [sorted(b) for b in batch] == [sorted(index.name_index.within(k, bar)) for k in keys]
        assert max(len(b) for b in batch) > 100  # crowded: many hits to keep apart


def test_screen_many_is_screen_on_a_crowded_list() -> None:
    index = crowded_index(3000)
    rng = random.Random(5)
    queries = [
        Query(name="".join(rng.choice("ABRT") for _ in range(rng.randint(3, 8))), threshold=t)
        for t in (None, 0.6)
        for _ in range(150)
    ]
    assert_same_as_one_by_one(queries, index)


def test_identical_queries_share_matches_but_keep_their_own_echo(
    sample_index: ScreeningIndex,
) -> None:
    a, b = screen_many([Query(name="LADY R"), Query(name="m/v lady-r")], sample_index, POLICY)
    assert a.matches == b.matches
    assert (a.query.name, b.query.name) == ("LADY R", "m/v lady-r")


# --- Reading CSV ---------------------------------------------------------------------------------


def opened(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bulk_read.CsvSource:
    stream = io.BytesIO(data)
    return open_csv(stream, limits, bulk_read.count_line_breaks(stream))


def records(data: bytes) -> list[tuple[int, list[str] | RowError]]:
    return list(opened(data).records())


def problem(data: bytes, limits: Limits = DEFAULT_LIMITS) -> CsvProblem:
    with pytest.raises(CsvProblem) as caught:
        opened(data, limits)
    return caught.value


def test_header_synonyms_any_case_and_other_columns_passed_through() -> None:
    data = b"Vessel Name,IMO number,MMSI,CallSign,Flag State,Ref,Notes\nLADY R,9161003,,,RU,x1,hi\n"
    source = opened(data)
    assert source.columns == {
        "name": 0,
        "imo": 1,
        "mmsi": 2,
        "call_sign": 3,
        "flag": 4,
        "reference": 5,
    }
    assert source.header[-1] == "Notes"
    assert records(data) == [(1, ["LADY R", "9161003", "", "", "RU", "x1", "hi"])]


@pytest.mark.parametrize("header", ["ship_name", "SHIP NAME", "imo_no", "IMO No.", "name"])
def test_more_synonyms(header: str) -> None:
    assert opened(f"{header}\nx\n".encode()).columns


def test_utf8_bom_semicolons_and_quoted_newlines() -> None:
    data = codecs.BOM_UTF8 + 'name;imo;note\n"ЛЕДИ Р";9161003;"two\nlines; here"\n'.encode()
    source = opened(data)
    assert (source.delimiter, source.encoding) == (";", "utf-8-sig")
    assert source.header == ["name", "imo", "note"]
    assert records(data) == [(1, ["ЛЕДИ Р", "9161003", "two\nlines; here"])]


def test_tab_separated() -> None:
    assert opened(b"name\timo\nLADY R\t9161003\n").delimiter == "\t"


def test_windows_1252_file() -> None:
    data = "name,flag\nSÃO PAULO,Brasil\nCAFÉ ‘SOL’,€\n".encode("cp1252")
    assert opened(data).encoding == "windows-1252"
    assert [cells for _, cells in records(data)] == [
        ["SÃO PAULO", "Brasil"],
        ["CAFÉ ‘SOL’", "€"],
    ]


def test_a_stray_windows_1252_line_after_the_first_block_of_a_utf8_file_is_read() -> None:
    utf8 = "name\n" + "ÉLAN\n" * (bulk_read.SNIFF_BYTES // 5)
    data = utf8.encode() + "CAFÉ\n".encode("cp1252") + b"\x81X\n"
    assert opened(data).encoding == "utf-8"
    got = [cells for _, cells in records(data)]
    assert got[0] == ["ÉLAN"] and got[-2:] == [["CAFÉ"], ["\x81X"]]


def test_rows_keep_their_order_and_numbers_blank_rows_skipped() -> None:
    data = b"name\nA\n\n ,\nB\nC\n"
    assert [(n, cells) for n, cells in records(data)] == [(1, ["A"]), (2, ["B"]), (3, ["C"])]


def test_a_csv_error_costs_only_its_row() -> None:
    big = "x" * (csv.field_size_limit() + 1)
    data = f"name\nA\n{big}\nB\n".encode()
    got = records(data)
    assert got[0] == (1, ["A"])
    assert isinstance(got[1][1], RowError)
    assert got[2] == (3, ["B"])


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"", 422, "empty"),
        (b" \r\n\r\n", 422, "empty"),
        (codecs.BOM_UTF8, 422, "empty"),
        (b"name\x00,imo\n", 415, "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", 415, "binary"),
        ("name\nX\n".encode("utf-16"), 415, "UTF-16"),
        (bytes(range(1, 32)) * 20 + b"\n", 415, "binary"),
        (b"LADY R,9161003,RU\nMAIA,9358010,RU\n", 422, "looks like data"),
        (b"colour,size\nred,3\n", 422, "No column gives"),
        (b"name,Vessel Name\nA,B\n", 422, "both give"),
        (b"name\rA\rB\r", 422, "carriage return"),
        (b"a" * (bulk_read.SNIFF_BYTES + 10), 422, "no line break"),
    ],
)
def test_files_that_cannot_be_screened(data: bytes, status: int, words: str) -> None:
    found = problem(data)
    assert found.status == status
    assert words in found.detail
    assert found.errors


def test_over_the_size_limit_while_spooling() -> None:
    with pytest.raises(CsvProblem) as caught:
        bulk_read.spool(io.BytesIO(b"name\n" + b"A\n" * 100), Limits(max_bytes=50))
    assert caught.value.status == 413
    assert "CSV_MAX_BYTES" in caught.value.detail


def test_spool_counts_line_breaks_and_rewinds() -> None:
    spooled, breaks = bulk_read.spool(io.BytesIO(b"name\nA\nB\n"), Limits())
    assert (spooled.read(), breaks) == (b"name\nA\nB\n", 3)


def test_over_the_row_limit_is_known_before_any_output() -> None:
    found = problem(b"name\nA\nB\nC\n", Limits(max_rows=2))
    assert found.status == 413 and "CSV_MAX_ROWS" in found.detail
    # Quoted line breaks are not rows: three lines, but only two rows.
    assert len(list(opened(b'name\n"A\nA"\nB\n', Limits(max_rows=2)).records())) == 2


def test_over_the_row_limit_found_mid_stream_ends_with_an_error_row() -> None:
    stream = io.BytesIO(b"name\nA\nB\nC\nD\n")
    source = open_csv(stream, Limits(max_rows=2))  # line count unknown: no check up front
    got = list(source.records())
    assert [n for n, _ in got] == [1, 2, 3]
    last = got[-1][1]
    assert isinstance(last, RowError) and "CSV_MAX_ROWS" in last.detail


# --- Rows to requests ----------------------------------------------------------------------------


def test_rows_become_requests_as_post_v1_screen_would() -> None:
    source = opened(b"name,imo,mmsi,flag,reference\nLADY R,9161003,,RU,c-1\n,,273382620,,\n")
    rows = [
        bulk.row_request(cells, source) for _, cells in source.records() if isinstance(cells, list)
    ]
    assert rows[0] == Request(Query(name="LADY R", imo="9161003", flag="RU"), "c-1")
    assert rows[1] == Request(Query(mmsi="273382620"), None)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (b",,RU,c-1", "_schema"),
        (b"   ,,RU,c-1", "_schema"),
        (b"A" * 201 + b",,RU,c-1", "name"),
        (b"A,,RU," + b"r" * 201, "reference"),
        (b"A,,RU", "row"),
        (b"A,,RU,c-1,extra", "row"),
    ],
)
def test_a_row_that_cannot_be_screened_says_why(line: bytes, field: str) -> None:
    source = opened(b"name,imo,flag,reference\n" + line + b"\n")
    ((_, cells),) = source.records()
    assert isinstance(cells, list)
    error = bulk.row_request(cells, source)
    assert isinstance(error, RowError)
    assert field in error.errors
    assert error.problem()["status"] == 422


@pytest.mark.parametrize(
    "values",
    [
        {"name": "", "flag": "RU"},
        {"name": " \u3000", "imo": "\u00a0", "flag": "RU"},
        {"name": "A" * 201},
        {"imo": "9" * 201, "mmsi": "2" * 201},
        {"name": "A", "flag": "F" * 201},
        {"name": "A", "call_sign": "c" * 201, "reference": "r" * 201},
        {"name": "A" * 200, "reference": "r" * 200},
    ],
)
def test_a_row_is_held_to_the_rules_a_json_body_is(values: dict[str, str]) -> None:
    """Where a request breaks one kind of rule, its CSV row and its JSON body are refused with
    the same errors (both are checked by `request_rules`)."""
    columns = list(values)
    source = opened((",".join(columns) + "\n" + ",".join(values.values()) + "\n").encode())
    ((_, cells),) = source.records()
    assert isinstance(cells, list)
    row = bulk.row_request(cells, source)
    try:
        ScreenRequestSchema().load(values)
    except ValidationError as error:
        assert isinstance(row, RowError)
        assert row.errors == error.messages
        assert row.problem()["detail"] == validation_detail(error.messages_dict)
    else:
        assert isinstance(row, Request)


# --- Writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starters_are_escaped(cell: str) -> None:
    assert bulk_write.escape_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "LADY R", "9161003", "a=b", " =1"])
def test_other_cells_are_left_alone(cell: str) -> None:
    assert bulk_write.escape_formula(cell) == cell


def serving_of(app: Flask) -> Serving:
    state: Serving = app.extensions["vessel_screen"]
    return state


def answer(app: Flask, data: bytes, output: Output = CSV, processes: int = 1) -> bytes:
    state = serving_of(app)
    assert state.index is not None
    source = opened(data)
    return b"".join(bulk.screen_file(source, state.context(state.index), output, processes))


def parsed(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


# The answer's columns after the input's, in the order docs/bulk.md lists them.
DOCUMENTED_COLUMNS = [
    "decision",
    "decision_reason",
    "matches",
    "match_entity_id",
    "match_list",
    "match_lists",
    "match_name",
    "matched_name",
    "matched_name_kind",
    "match_imo",
    "match_flag",
    "match_score",
    "match_decision",
    "match_notes",
    "risk_flags",
    "warnings",
    "imo_suggestions",
    "set_aside",
    "error",
]


def test_csv_answer_columns_and_escaping(sample_app: Flask) -> None:
    data = b"=cmd|' /C calc'!A0,name,IMO\n-1,LADY R,9161003\n@x,NOBODY AT ALL,\n"
    text = answer(sample_app, data)
    header = text.decode().splitlines()[0].split(",")
    assert header[:4] == ["row", "'=cmd|' /C calc'!A0", "name", "IMO"]
    assert header[4:] == DOCUMENTED_COLUMNS
    first, second = parsed(text)
    assert first["row"] == "1" and first["'=cmd|' /C calc'!A0"] == "'-1"
    assert (first["decision"], first["matches"], first["match_imo"]) == ("match", "1", "9161003")
    assert first["match_name"] == "LADY R" and first["match_score"] == "1.0"
    assert first["match_list"] == "us-ofac-sdn-sample" and first["match_flag"] == "RU"
    assert second["decision"] == "clear" and second["match_entity_id"] == ""


def test_an_input_column_named_like_an_answer_column_is_renamed(sample_app: Flask) -> None:
    text = answer(sample_app, b"name,decision\nLADY R,approved\n")
    row = parsed(text)[0]
    assert (row["input_decision"], row["decision"]) == ("approved", "match")


def test_row_errors_are_answered_in_place(sample_app: Flask) -> None:
    text = answer(sample_app, b"name,flag\nLADY R,RU\n,RU\nMAIA-1\nNOBODY,PA\n")
    rows = parsed(text)
    assert [r["row"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0]["decision"] == "match" and rows[0]["error"] == ""
    assert rows[1]["decision"] == "" and "name, imo, mmsi" in rows[1]["error"]
    assert "1 cells" in rows[2]["error"] or "has 1 cells" in rows[2]["error"]
    assert rows[3]["decision"] == "clear"


def test_all_matches_gives_a_line_per_match(sample_app: Flask) -> None:
    text = answer(sample_app, b"name\nMARIA\nNOBODY AT ALL\n", Output(all_matches=True))
    rows = parsed(text)
    assert [(r["row"], r["match_rank"]) for r in rows] == [("1", "1"), ("1", "2"), ("2", "")]
    assert rows[0]["match_imo"] == "8517839" and rows[1]["match_imo"] == "9617923"


def test_ndjson_lines_carry_the_whole_answer(sample_app: Flask) -> None:
    text = answer(
        sample_app, b"name,ref\nLADY R,a\n,b\n", Output(ndjson=True, render=render.screening)
    )
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["row"] == 1 and first["input"] == {"name": "LADY R", "ref": "a"}
    assert first["result"]["decision"] == "match" and first["result"]["reference"] == "a"
    assert first["result"]["matches"][0]["vessel"]["imo"] == "9161003"
    assert second["error"]["status"] == 422 and "_schema" in second["error"]["errors"]


def test_ndjson_all_matches(sample_app: Flask) -> None:
    text = answer(
        sample_app,
        b"name\nMARIA\nNOBODY\n",
        Output(ndjson=True, all_matches=True, render=render.screening),
    )
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(x["row"], x["match_rank"]) for x in lines] == [(1, 1), (1, 2), (2, None)]
    assert lines[0]["match"]["entity_id"] and lines[2]["match"] is None


def big_file(rows: int) -> bytes:
    rng = random.Random(6)
    names = ["LADY R", "MAIA-1", "MARIA", "ANGARA", "NOBODY", "SEA STAR", "ЛЕДИ Р", "", "SABITI"]
    lines = ["name,flag,notes"]
    for i in range(rows):
        name = rng.choice(names)
        cell = typo(rng, name) if name and i % 7 else ""
        lines.append(f"{cell},{rng.choice(['RU', ''])},n{i}")
    return ("\n".join(lines) + "\n").encode()


def test_worker_processes_give_the_same_bytes_in_the_same_order(sample_app: Flask) -> None:
    data = big_file(2 * bulk.CHUNK_ROWS + 500)
    alone = answer(sample_app, data, processes=1)
    parallel = answer(sample_app, data, processes=2)
    assert parallel == alone
    rows = parsed(parallel)
    assert [int(r["row"]) for r in rows] == list(range(1, 2 * bulk.CHUNK_ROWS + 501))
    assert [r["notes"] for r in rows] == [f"n{i}" for i in range(2 * bulk.CHUNK_ROWS + 500)]


def test_progress_is_told_every_row(sample_app: Flask) -> None:
    state = serving_of(app=sample_app)
    assert state.index is not None
    seen: list[int] = []
    decided: dict[str, int] = {}

    def progress(rows: int, counts: dict[str, int]) -> None:
        seen.append(rows)
        for key, value in counts.items():
            decided[key] = decided.get(key, 0) + value

    source = opened(big_file(2 * bulk.CHUNK_ROWS + 10))
    for _ in bulk.screen_file(source, state.context(state.index), Output(), 2, progress):
        pass
    assert sum(seen) == 2 * bulk.CHUNK_ROWS + 10
    # Every row is counted once under its decision, whichever process screened it.
    assert sum(decided.values()) == 2 * bulk.CHUNK_ROWS + 10


# --- The answer's JSON: every documented field ---------------------------------------------------

# The fields of the `POST /v1/screen` answer as docs/api.md lists them and openapi.yaml publishes
# them. Single, batch, NDJSON and audited answers are all orjson on `render.screening`, with no
# marshmallow dump on the way: a field render leaves out is missing from every one of them.
ANSWER_FIELDS = {
    "screening_id",
    "screened_at",
    "reference",
    "query",
    "lists",
    "decision",
    "matches",
    "party_matches",
    "risk_flags",
    "warnings",
    "decision_reason",
    "set_aside",
    "imo_suggestions",
}
QUERY_FIELDS = {
    "name",
    "name_normalized",
    "imo",
    "imo_valid",
    "mmsi",
    "mmsi_valid",
    "mmsi_flag",
    "call_sign",
    "flag",
    "flag_recognized",
}
LIST_REF_FIELDS = {"id", "version", "loaded_at", "entries"}
MATCH_FIELDS = {
    "entity_id",
    "list",
    "score",
    "decision",
    "matched_name",
    "vessel",
    "lists",
    "listings",
    "explanation",
    "port_calls",
    "port_calls_before_window",
    "risk_flags",
    "risk_details",
    "events",
}
VESSEL_FIELDS = {
    "name",
    "aliases",
    "former_names",
    "imo",
    "mmsi",
    "call_sign",
    "flags",
    "former_flags",
    "vessel_type",
    "build_year",
    "tonnage",
    "gross_registered_tonnage",
    "owner",
    "programs",
    "listed_on",
}
LISTING_FIELDS = {"entity_id", "list", "name", "programs", "listed_on", "score"}
EXPLANATION_FIELDS = {"name", "imo", "mmsi", "call_sign", "flag", "matched_name_kind", "notes"}
PORT_CALL_FIELDS = {
    "port",
    "locode",
    "country",
    "arrived_at",
    "departed_at",
    "source",
    "note",
    "confidence",
    "risk",
}
RISK_DETAIL_FIELDS = {"code", "reason"}
EVENT_FIELDS = {"kind", "mmsi", "start", "end", "hours", "lat", "lon", "evidence", "source"}
PARTY_MATCH_FIELDS = {
    "role",
    "query_name",
    "entity_id",
    "list",
    "name",
    "matched_name",
    "kind",
    "imo_company_number",
    "programs",
    "score",
    "decision",
}
SET_ASIDE_FIELDS = {"entity_id", "list", "name", "imo", "name_score", "reason"}
IMO_SUGGESTION_FIELDS = {"imo", "entity_id", "list", "name"}
# A time as the answer writes it (ISO 8601 in UTC, as marshmallow's DateTime and the examples in
# docs/getting-started.md have it).
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00")


def published_schema(name: str) -> jsonschema.protocols.Validator:
    spec = yaml.safe_load((BUNDLED_LISTS.parent / "openapi.yaml").read_text(encoding="utf-8"))
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def json_answer(outcome: Outcome, index: ScreeningIndex) -> dict[str, Any]:
    """The answer as it goes out: orjson's bytes of `render.screening`, read back."""
    body: dict[str, Any] = orjson.loads(orjson.dumps(render.screening(outcome, index)))
    return body


def assert_documented_fields(body: dict[str, Any]) -> None:
    """Every object of the answer has exactly its documented fields, times and ids as written."""
    assert set(body) == ANSWER_FIELDS
    assert set(body["query"]) == QUERY_FIELDS
    assert str(uuid.UUID(body["screening_id"])) == body["screening_id"]
    assert TIME.fullmatch(body["screened_at"]), body["screened_at"]
    for ref in body["lists"]:
        assert set(ref) == LIST_REF_FIELDS and TIME.fullmatch(ref["loaded_at"])
    for match in body["matches"]:
        assert set(match) == MATCH_FIELDS
        assert set(match["vessel"]) == VESSEL_FIELDS
        assert set(match["explanation"]) == EXPLANATION_FIELDS
        assert match["listings"] and all(set(x) == LISTING_FIELDS for x in match["listings"])
        for call in match["port_calls"]:
            assert set(call) == PORT_CALL_FIELDS and TIME.fullmatch(call["arrived_at"])
            assert call["departed_at"] is None or TIME.fullmatch(call["departed_at"])
        assert all(set(x) == RISK_DETAIL_FIELDS for x in match["risk_details"])
        assert all(set(x) == EVENT_FIELDS for x in match["events"])
    assert all(set(x) == PARTY_MATCH_FIELDS for x in body["party_matches"])
    assert all(set(x) == SET_ASIDE_FIELDS for x in body["set_aside"])
    assert all(set(x) == IMO_SUGGESTION_FIELDS for x in body["imo_suggestions"])


@pytest.mark.parametrize("on", ["sample", "ofac"])
def test_answer_json_has_every_documented_field(
    sample_app: Flask, request: pytest.FixtureRequest, on: str
) -> None:
    """On the sample (with its port calls) and on the real SDN files (skips without them)."""
    state = serving_of(sample_app)
    index: ScreeningIndex | None = (
        state.index if on == "sample" else request.getfixturevalue("ofac")
    )
    assert index is not None
    window = 3650 if on == "sample" else None
    queries = queries_about(index, seed=7)[:3000]
    queries += [Query(imo="9161004"), Query(name="MARIA", imo="9198783")]  # suggested, set aside
    requests = [Request(q, f"ref-{i}", window) for i, q in enumerate(queries)]
    # A few with owners too: POST /v1/screen renders party matches the same way.
    requests += [
        Request(q, None, window, {"owner": entity.name, "operator": entity.name.lower()})
        for q, entity in zip(queries, index.entities[:200], strict=False)
    ]
    bodies = [json_answer(o, index) for o in bulk.screen_requests(requests, state.context(index))]
    published = published_schema(
        "ScreenResponse"
    )  # types, enums and nulls as openapi.yaml has them
    for body in bodies:
        assert_documented_fields(body)
        published.validate(body)
    # Each kind of object was there to be checked.
    for key in ("matches", "party_matches", "set_aside", "imo_suggestions"):
        assert any(body[key] for body in bodies), key
    if on == "sample":
        assert any(m["port_calls"] and m["risk_details"] for b in bodies for m in b["matches"])


def test_the_answer_for_lady_r_field_by_field(sample_app: Flask) -> None:
    state = serving_of(sample_app)
    assert state.index is not None
    query = Query(name="Lady R", imo="IMO 9161003", flag="Russia")
    request = Request(query, "ref-1", 3650, {"owner": "TRANSMORFLOT LLC"})
    (outcome,) = bulk.screen_requests([request], state.context(state.index))
    body = json_answer(outcome, state.index)
    (listed,) = state.index.lists
    assert body["reference"] == "ref-1"
    assert body["query"] == {
        "name": "Lady R",
        "name_normalized": "LADY R",
        "imo": "9161003",
        "imo_valid": True,
        "mmsi": None,
        "mmsi_valid": None,
        "mmsi_flag": None,
        "call_sign": None,
        "flag": "RU",
        "flag_recognized": True,
    }
    (ref,) = body["lists"]
    assert (ref["id"], ref["version"], ref["entries"]) == ("us-ofac-sdn-sample", listed.version, 15)
    assert body["decision"] == "match"
    (match,) = body["matches"]
    assert {k: match[k] for k in ("entity_id", "list", "score", "decision", "matched_name")} == {
        "entity_id": "us-ofac-sdn-sample:37095",
        "list": "us-ofac-sdn-sample",
        "score": 1.0,
        "decision": "match",
        "matched_name": "LADY R",
    }
    assert match["vessel"] == {
        "name": "LADY R",
        "aliases": [],
        "former_names": [],
        "imo": "9161003",
        "mmsi": None,
        "call_sign": None,
        "flags": ["RU"],
        "former_flags": [],
        "vessel_type": "Roll-on Roll-off",
        "build_year": None,
        "tonnage": None,
        "gross_registered_tonnage": 7260,
        "owner": "TRANSMORFLOT LLC",
        "programs": ["RUSSIA-EO14024"],
        "listed_on": None,
    }
    assert match["lists"] == ["us-ofac-sdn-sample"]
    assert match["listings"] == [
        {
            "entity_id": "us-ofac-sdn-sample:37095",
            "list": "us-ofac-sdn-sample",
            "name": "LADY R",
            "programs": ["RUSSIA-EO14024"],
            "listed_on": None,
            "score": 1.0,
        }
    ]
    assert match["explanation"] == {
        "name": 1.0,
        "imo": "exact",
        "mmsi": "absent",
        "call_sign": "absent",
        "flag": "match",
        "matched_name_kind": "primary",
        "notes": ["IMO 9161003 is the listed ship's own IMO number; it is decisive"],
    }
    # The sample's dated calls (ports/), newest first.
    assert [(c["locode"], c["arrived_at"], c["risk"]) for c in match["port_calls"]] == [
        ("KPRJN", "2024-03-10T00:00:00+00:00", ["sanctioned_jurisdiction"]),
        ("RUVYP", "2024-02-05T00:00:00+00:00", ["sanctions_risk_port"]),
        ("KPRJN", "2024-02-04T00:00:00+00:00", ["sanctioned_jurisdiction"]),
    ]
    assert match["port_calls_before_window"] == 0
    assert match["risk_flags"] == ["sanctioned_jurisdiction", "sanctions_risk_port", "record_gap"]
    assert [d["code"] for d in match["risk_details"]] == match["risk_flags"]
    assert match["events"] == []
    assert body["party_matches"] == [
        {
            "role": "owner",
            "query_name": "TRANSMORFLOT LLC",
            "entity_id": "us-ofac-sdn-sample:37049",
            "list": "us-ofac-sdn-sample",
            "name": "TRANSMORFLOT LLC",
            "matched_name": "TRANSMORFLOT LLC",
            "kind": "entity",
            "imo_company_number": None,
            "programs": ["RUSSIA-EO14024"],
            "score": 1.0,
            "decision": "match",
        }
    ]
    assert body["risk_flags"] == ["owner_listed"]
    assert (body["warnings"], body["decision_reason"]) == ([], None)
    assert (body["set_aside"], body["imo_suggestions"]) == ([], [])
