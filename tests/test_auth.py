"""API keys are kept as hashes, checked in constant time, scoped, and revocable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.auth import KeyRing


def test_a_created_key_authenticates_with_its_scopes(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    assert not ring.enabled
    record, secret = ring.create("compliance-system", ("screen", "read"))
    assert ring.enabled
    caller = ring.authenticate(secret)
    assert caller is not None
    assert (caller.key_id, caller.name) == (record.id, "compliance-system")
    assert caller.scopes == {"screen", "read"}


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    _, secret = ring.create("x", ("screen",))
    text = (tmp_path / "keys.json").read_text()
    assert secret not in text
    assert secret.split("_", 2)[2] not in text
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "presented",
    ["", "nonsense", "vsk_00000000_" + "a" * 43, "Bearer vsk_x", "vsk_deadbeef_short"],
)
def test_wrong_keys_are_refused(tmp_path: Path, presented: str) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    ring.create("x", ("screen",))
    assert ring.authenticate(presented) is None


def test_a_right_id_with_a_wrong_secret_is_refused(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    _, secret = ring.create("x", ("screen",))
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert ring.authenticate(forged) is None


def test_revoking_takes_effect_for_another_reader_of_the_file(tmp_path: Path) -> None:
    writer = KeyRing(tmp_path / "keys.json")
    record, secret = writer.create("x", ("admin",))
    reader = KeyRing(tmp_path / "keys.json")  # another worker
    assert reader.authenticate(secret) is not None
    writer.revoke(record.id)
    assert reader.authenticate(secret) is None
    assert not reader.enabled


def test_unknown_scopes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scopes"):
        KeyRing(tmp_path / "keys.json").create("x", ("everything",))


def test_the_file_format_is_plain_json(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys.json")
    record, _ = ring.create("x", ("read",))
    data = json.loads((tmp_path / "keys.json").read_text())
    assert data["keys"][0]["id"] == record.id
    assert data["keys"][0]["scopes"] == ["read"]
    assert len(data["keys"][0]["sha256"]) == 64


def test_every_generated_key_authenticates(tmp_path: Path) -> None:
    # Secrets are URL-safe base64 and often hold "_", the separator of the key's parts.
    ring = KeyRing(tmp_path / "keys.json")
    secrets = [ring.create(f"k{i}", ("read",))[1] for i in range(40)]
    assert any(s.count("_") > 2 for s in secrets)
    assert all(ring.authenticate(s) is not None for s in secrets)
