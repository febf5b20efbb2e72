"""Only those with a key get in, each to what its scopes allow, at the rate it is allowed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis
from flask import Flask

from service import create_app
from service.auth import KeyRing
from service.cli import main

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
