"""schemathesis over openapi.yaml, a bounded number of cases: no 500, nothing off the spec."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from service import create_app
from service.auth import KeyRing

REPO = Path(__file__).resolve().parents[2]

DATA = Path(tempfile.mkdtemp(prefix="fuzz-data-"))
# A keyed service, so the fuzzer also checks that wrong or missing keys are refused.
KEY = KeyRing(DATA / "keys.json").create("fuzzer", ("screen", "read", "admin"))[1]
app = create_app(lists_dir=REPO / "lists", data_dir=DATA)
schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")
schema.app = app  # type: ignore[attr-defined]
# benchmarks/fuzz_long.py raises it; `make test` keeps the short run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_its_contract(case: schemathesis.Case) -> None:
    # List ids are whatever the service has loaded; an unknown one is rightly a 422, which
    # the fuzzer cannot know from the document, so generated ids are pointed at a real list.
    # Only a valid `lists` value is replaced, so a deliberately invalid case stays invalid.
    lists = case.body.get("lists") if isinstance(case.body, dict) else None
    valid = isinstance(lists, list) and 1 <= len(lists) <= 50
    if valid and all(isinstance(i, str) and 1 <= len(i) <= 200 for i in lists or ()):
        case.body["lists"] = ["us-ofac-sdn-sample"]
    # A port-call body's, a CSV upload's or an AIS log's grammar (CSV rows, JSON lines, NMEA)
    # is more than the document can say, so a random schema-valid string is rightly refused
    # there; every other check holds.
    excluded = (
        [positive_data_acceptance]
        if case.path in ("/v1/port-calls", "/v1/screen/csv", "/v1/ais")
        else []
    )
    # A batch answers an invalid item in its place (200, with the item's error), by contract.
    if case.path == "/v1/screen/batch":
        excluded.append(negative_data_rejection)
    # Every case carries a valid key of ours, so schemathesis's own check that dropping *its*
    # credentials gets a 401 cannot hold; tests/web/test_access.py covers 401 and 403.
    excluded.append(ignored_auth)
    case.call_and_validate(
        app=app, headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=excluded
    )
