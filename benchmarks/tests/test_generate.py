"""The benchmark's generated data is what the service reads.

benchmarks/generate.py writes lists in OFAC's layout; if they stopped loading, or loaded as fewer
vessels, every figure of `make bench` would be about something else. These tests load a small
generated list with the service's own loader and port-call reader.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import generate
import pytest

from service.identifiers import is_valid_imo, mid_country, parse_imo
from service.loaders.registry import load_lists
from service.names import normalize_name
from service.portcalls.call_files import load_port_calls_dir
from service.portcalls.ports import load_bundled_ports
from service.portcalls.risk import load_risk_policy

VESSELS = 200


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> generate.GeneratedList:
    return generate.write_list(tmp_path_factory.mktemp("generated"), VESSELS, seed=3)


def test_list_loads_as_exactly_n_vessels_with_valid_identifiers(
    made: generate.GeneratedList,
) -> None:
    (loaded,) = load_lists(made.lists_dir)
    assert loaded.info.id == f"generated-{VESSELS}"
    assert "GENERATED" in loaded.info.title  # never mistaken for a sanctions list
    vessels = loaded.vessels
    assert len(vessels) == VESSELS == loaded.info.entries
    assert len({v.entity_id for v in vessels}) == VESSELS
    imos = [v.imo for v in vessels if v.imo]
    assert len(imos) >= 0.9 * VESSELS
    assert len(set(imos)) == len(imos)
    assert all(is_valid_imo(imo) for imo in imos)
    # The MMSI's MID is one allocated to the ship's flag, and OFAC's flag names are understood.
    with_mmsi = [v for v in vessels if v.mmsi]
    assert with_mmsi
    assert all(mid_country(v.mmsi) == v.flags[0] for v in with_mmsi)
    assert all(not v.source_record["unrecognized_flags"] for v in vessels)
    assert all(v.flags for v in vessels)
    # Owners are entity rows of their own, linked from the vessels.
    assert loaded.entities
    assert any(v.owner for v in vessels)


def test_aliases_former_names_and_long_remarks_are_read(made: generate.GeneratedList) -> None:
    (loaded,) = load_lists(made.lists_dir)
    kinds = Counter(n.kind for v in loaded.vessels for n in v.names)
    assert kinds["primary"] == VESSELS
    assert kinds["aka"] >= 5
    assert kinds["fka"] >= 20
    # Remarks over OFAC's 1,000-character cell go on in sdn_comments.csv; the loader joins them,
    # so the last former name of such a ship is whole.
    long = [v for v in loaded.vessels if v.source_record["remarks_extended"]]
    assert long
    for vessel in long:
        assert len(vessel.remarks or "") > generate.REMARKS_CELL
        assert vessel.remarks.endswith(".") if vessel.remarks else False
        assert vessel.names[-1].kind in ("fka", "aka")
        assert "'" not in vessel.names[-1].name
    assert any(v.source_record["other_remarks"] for v in loaded.vessels)
    raw = (made.lists_dir / generate.LIST_FOLDER / "sdn.csv").read_bytes()
    assert raw.endswith(b"\r\n\x1a")
    assert b"-0- " in raw


def test_same_seed_same_bytes(made: generate.GeneratedList, tmp_path: Path) -> None:
    again = generate.write_list(tmp_path, VESSELS, seed=3)
    for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"):
        first = (made.lists_dir / generate.LIST_FOLDER / name).read_bytes()
        assert (again.lists_dir / generate.LIST_FOLDER / name).read_bytes() == first
    calls = made.port_calls_dir / generate.CALLS_FILE
    assert (again.port_calls_dir / generate.CALLS_FILE).read_bytes() == calls.read_bytes()


def test_port_calls_load_with_the_service_reader(made: generate.GeneratedList) -> None:
    ports = load_bundled_ports()
    index, files = load_port_calls_dir(made.port_calls_dir, ports)
    (summary,) = files
    assert summary.rejected == ()
    assert summary.accepted == made.calls == len(index)
    (loaded,) = load_lists(made.lists_dir)
    identified = [v for v in loaded.vessels if v.imo or v.mmsi]
    assert all(index.for_vessel(v.imo, v.mmsi) for v in identified)
    policy = load_risk_policy(ports=ports)
    risky = [
        call
        for v in identified
        for call in index.for_vessel(v.imo, v.mmsi)
        if policy.rules_for(call)
    ]
    assert 0 < len(risky) < len(index) / 3


def test_query_mix(made: generate.GeneratedList) -> None:
    listed = generate.listed_vessels(made.lists_dir)
    assert len(listed) == VESSELS
    queries = generate.make_queries(listed, 1000, seed=5)
    assert queries == generate.make_queries(listed, 1000, seed=5)
    kinds = Counter(kind for kind, _ in queries)
    total = sum(w for _, w in generate.QUERY_KINDS)
    for kind, weight in generate.QUERY_KINDS:
        assert kinds[kind] == pytest.approx(1000 * weight / total, abs=2), kind
    listed_keys = {normalize_name(n).key for v in listed for n in v.names}
    listed_imos = {v.imo for v in listed}
    for kind, body in queries:
        if kind == "exact":
            assert normalize_name(body["name"]).key in listed_keys
        elif kind == "unlisted":
            assert normalize_name(body["name"]).key not in listed_keys
        elif kind == "imo":
            assert set(body) == {"imo"}
            imo = parse_imo(body["imo"])
            assert imo is not None and imo.valid
        elif kind == "mmsi":
            assert set(body) == {"mmsi"}
        elif kind == "name+imo+flag":
            assert {"name", "flag"} <= set(body)
            assert body.get("imo") in listed_imos or "mmsi" in body
    assert any(any(ord(c) > 0x400 for c in b["name"]) for k, b in queries if k == "script")


def test_query_files(made: generate.GeneratedList, tmp_path: Path) -> None:
    listed = generate.listed_vessels(made.lists_dir)
    files = generate.write_queries(tmp_path, listed, seed=1, screens=50, csv_rows=120, batches=2)
    lines = files.screen_jsonl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 50
    script = files.screen_lua.read_text(encoding="utf-8")
    assert script.count('"/v1/screen"') == 0  # paths are Lua long strings, not quoted
    assert script.count("[[/v1/screen]]") == 50
    assert files.batch_lua.read_text(encoding="utf-8").count("[[/v1/screen/batch]]") == 2
    rows = files.rows_csv.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 121
    assert rows[0].split(",")[0] == "Vessel Name"
