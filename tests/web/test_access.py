"""Only those with a key get in, each to what its scopes allow, at the rate it is allowed."""

from __future__ import annotations

import os
import re
import uuid
from itertools import combinations
from pathlib import Path

import pytest
import redis
from flask import Blueprint, Flask

from service import create_app
from service.auth import SCOPES, KeyRing, Scope
from service.cli import main
from service.web import access
from service.web.openapi import build_spec

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def keyed(tmp_path: Path) -> tuple[Flask, dict[str, str]]:
    ring = KeyRing(tmp_path / "keys.json")
    keys = {
        "screen": ring.create("screener", ("screen",))[1],
        "read": ring.create("reader", ("read",))[1],
        "admin": ring.create("admin", ("admin", "screen", "read"))[1],
    }
    app = create_app(lists_dir=REPO / "lists", data_dir=tmp_path, keys_file=str(ring.path))
    return app, keys


def test_missing_or_wrong_key_is_401(keyed: tuple[Flask, dict[str, str]]) -> None:
    app, _ = keyed
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-API-Key": "vsk_x_y"}):
        answer = client.post("/v1/screen", json={"name": "LADY R"}, headers=headers)
        assert answer.status_code == 401
        assert answer.mimetype == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_scopes_decide_what_a_key_may_do(keyed: tuple[Flask, dict[str, str]]) -> None:
    app, keys = keyed
    client = app.test_client()

    def as_(scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[scope]}"}

    assert (
        client.post("/v1/screen", json={"name": "LADY R"}, headers=as_("screen")).status_code == 200
    )
    assert (
        client.post("/v1/screen", json={"name": "LADY R"}, headers=as_("read")).status_code == 403
    )
    assert client.get("/v1/lists", headers=as_("read")).status_code == 200
    assert client.get("/v1/lists", headers=as_("screen")).status_code == 403
    calls = [{"imo": "9179842", "port": "Rason", "arrived_at": "2026-11-01", "source": "AIS"}]
    assert client.post("/v1/port-calls", json=calls, headers=as_("screen")).status_code == 403
    assert client.post("/v1/port-calls", json=calls, headers=as_("admin")).status_code == 200
    # X-API-Key works as well as the Authorization header.
    assert client.get("/v1/lists", headers={"X-API-Key": keys["read"]}).status_code == 200


def test_the_caller_is_recorded_with_the_screening(keyed: tuple[Flask, dict[str, str]]) -> None:
    app, keys = keyed
    answer = app.test_client().post(
        "/v1/screen", json={"name": "LADY R"}, headers={"X-API-Key": keys["screen"]}
    )
    record = app.extensions["vessel_screen"].store.get_screening(answer.get_json()["screening_id"])
    assert record is not None and record.caller == keys["screen"].split("_")[1]


def test_health_readiness_and_the_contract_need_no_key(keyed: tuple[Flask, dict[str, str]]) -> None:
    client = keyed[0].test_client()
    for path in ("/healthz", "/readyz", "/openapi.yaml", "/docs", "/"):
        assert client.get(path).status_code == 200, path


def test_a_revoked_key_is_refused_at_once(
    keyed: tuple[Flask, dict[str, str]], tmp_path: Path
) -> None:
    app, keys = keyed
    ring = KeyRing(tmp_path / "keys.json")
    key_id = keys["read"].split("_")[1]
    ring.revoke(key_id)
    assert (
        app.test_client().get("/v1/lists", headers={"X-API-Key": keys["read"]}).status_code == 401
    )


def test_serving_beyond_loopback_without_keys_needs_allow_open(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ALLOW_OPEN"):
        create_app(lists_dir=REPO / "lists", data_dir=tmp_path, host="0.0.0.0")
    create_app(lists_dir=REPO / "lists", data_dir=tmp_path, host="0.0.0.0", allow_open=True)


def test_the_rate_limit_is_shared_and_answers_429(tmp_path: Path) -> None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {url}", pytrace=False)
        pytest.skip("Redis is not reachable")
    ring = KeyRing(tmp_path / "keys.json")
    secret = ring.create(f"limited-{uuid.uuid4().hex}", ("read",))[1]
    settings = {"lists_dir": REPO / "lists", "keys_file": str(ring.path), "redis_url": url}
    first = create_app(data_dir=tmp_path / "a", rate_limit_per_minute=3, **settings)
    second = create_app(data_dir=tmp_path / "b", rate_limit_per_minute=3, **settings)
    headers = {"X-API-Key": secret}
    statuses = [
        (first if i % 2 else second).test_client().get("/v1/lists", headers=headers).status_code
        for i in range(5)
    ]
    # Two "workers", one count: the fourth request of the minute is refused by either.
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    refused = first.test_client().get("/v1/lists", headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_keys_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "bank-a", "--scopes", "screen,read"]) == 0
    secret = capsys.readouterr().out.strip()
    assert KeyRing(tmp_path / "keys.json").authenticate(secret) is not None
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "bank-a" in listing and "active" in listing and secret not in listing
    key_id = secret.split("_")[1]
    assert main(["keys", "revoke", key_id]) == 0
    assert KeyRing(tmp_path / "keys.json").authenticate(secret) is None
    assert main(["keys", "revoke", "nope"]) == 2
    assert main(["keys", "create", "x", "--scopes", "everything"]) == 2


def _shape(path: str) -> str:
    """A path with its parameters unnamed: the docs write `{id}` where the code says `list_id`."""
    return re.sub(r"\{\w+\}", "{}", path.split("?")[0])


def _docs_table() -> dict[tuple[str, str], Scope | None]:
    """docs/api.md's endpoint table: (method, path shape) to its scope."""
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    table = text.split("## Endpoints", 1)[1].split("\n\n")[1]
    scopes: dict[tuple[str, str], Scope | None] = {}
    for row in table.splitlines()[2:]:
        endpoints, needed = row.split("|")[1:3]
        scope = needed.strip().strip("`")
        for method, path in re.findall(r"`([A-Z]+) ([^`]+)`", endpoints):
            scopes[method, _shape(path)] = None if scope == "none" else scope  # type: ignore[assignment]
    assert scopes, "no endpoint table in docs/api.md"
    return scopes


def _declared(app: Flask) -> dict[tuple[str, str], Scope | None]:
    return {
        (method, _shape(path)): scope
        for (path, method), scope in access.route_scopes(app).items()
        if not path.startswith("/static/")
    }


def test_every_route_declares_the_scope_the_docs_say(keyed: tuple[Flask, dict[str, str]]) -> None:
    declared = _declared(keyed[0])
    assert declared == _docs_table()
    # The bare app the contract is built from holds the same routes as the served one.
    assert access.declared_routes() == access.route_scopes(keyed[0])


def test_the_contract_declares_the_scope_the_docs_say() -> None:
    table = _docs_table()
    for path, operations in build_spec()["paths"].items():
        for method, op in operations.items():
            needs = re.search(r"Needs the `(\w+)` scope\.", op.get("description", ""))
            if op["security"] == []:
                assert needs is None and "401" not in op["responses"], (method, path)
                scope = None
            else:
                assert needs is not None and "403" in op["responses"], (method, path)
                scope = needs.group(1)
            assert table[method.upper(), _shape(path)] == scope, (method, path)


def test_a_route_without_a_declaration_stops_the_app_being_built(tmp_path: Path) -> None:
    app = Flask("undeclared")
    access.install(app, KeyRing(tmp_path / "keys.json"), None)
    bp = Blueprint("new", __name__)

    @bp.post("/v1/screen/new")
    def new_route() -> str:
        return "screened"

    with pytest.raises(access.UndeclaredRoute, match=r"new\.new_route"):
        app.register_blueprint(bp)


def test_an_undeclared_view_is_refused_not_served(keyed: tuple[Flask, dict[str, str]]) -> None:
    app, _ = keyed
    app.view_functions["health.healthz"] = lambda: "open"
    assert app.test_client().get("/healthz").status_code == 403


def test_a_key_without_the_route_scope_is_403(
    keyed: tuple[Flask, dict[str, str]], tmp_path: Path
) -> None:
    app, _ = keyed
    ring = KeyRing(tmp_path / "keys.json")
    # One key for every set of scopes that leaves one out, tried on every route needing it.
    lacking = {
        scope: [
            ring.create("without-" + scope + "-" + "-".join(others), others)[1]
            for n in range(1, len(SCOPES))
            for others in combinations([s for s in SCOPES if s != scope], n)
        ]
        for scope in SCOPES
    }
    client = app.test_client()
    for (path, method), scope in access.route_scopes(app).items():
        if scope is None:
            continue
        url = re.sub(r"\{\w+\}", "x", path)
        for key in lacking[scope]:
            answer = client.open(url, method=method, headers={"X-API-Key": key}, json={})
            assert answer.status_code == 403, (method, path, key)
            assert f"`{scope}`" in answer.get_json()["detail"]
