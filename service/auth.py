"""API keys: held only as SHA-256 hashes, compared in constant time, each with a name and scopes.

A key looks like `vsk_<id>_<secret>`: the id finds the record without a scan, the secret is 32
random bytes. Only `sha256(key)` is kept, so a leaked keys file gives no usable key. Keys live in
a JSON file (`KEYS_FILE`), re-read when it changes, so `vessel-screen keys revoke` takes effect
on every worker without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Scope = Literal["screen", "read", "admin"]
SCOPES: tuple[Scope, ...] = ("screen", "read", "admin")
PREFIX = "vsk"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    sha256: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a key's id and name, or nobody in particular when no keys are set."""

    key_id: str | None
    name: str
    scopes: frozenset[str]


OPEN_CALLER = Caller(None, "open", frozenset(SCOPES))


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _parse(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    parts = key.split("_", 2)  # the secret may itself hold "_"
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 8 or len(parts[2]) < 40:
        return None
    return parts[1]


@dataclass
class KeyRing:
    """The keys file, read again whenever its modification time or size changes."""

    path: Path
    _keys: dict[str, ApiKey] = field(default_factory=dict)
    _seen: tuple[int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._keys, self._seen = {}, None
            return
        seen = (st.st_mtime_ns, st.st_size)
        if seen == self._seen:
            return
        with self._lock:
            data = json.loads(self.path.read_text(encoding="utf-8") or '{"keys": []}')
            keys = {}
            for raw in data.get("keys", []):
                raw["scopes"] = tuple(raw.get("scopes", ()))
                key = ApiKey(**raw)
                keys[key.id] = key
            self._keys, self._seen = keys, seen

    def all_keys(self) -> list[ApiKey]:
        self._refresh()
        return list(self._keys.values())

    @property
    def enabled(self) -> bool:
        """Keys are enforced once at least one active key exists."""
        return any(k.active for k in self.all_keys())

    def authenticate(self, presented: str) -> Caller | None:
        """The caller a presented key belongs to, or None for a wrong or revoked key."""
        self._refresh()
        key_id = _parse(presented)
        record = self._keys.get(key_id) if key_id else None
        # Compare against a hash either way, so a wrong id and a wrong secret take equal time.
        expected = record.sha256 if record else _hash("vsk_00000000_" + "x" * 43)
        if not hmac.compare_digest(_hash(presented), expected) or record is None:
            return None
        if not record.active:
            return None
        return Caller(record.id, record.name, frozenset(record.scopes))

    # Management, for the command line (one writer at a time: the file is replaced atomically).
    def create(self, name: str, scopes: tuple[str, ...]) -> tuple[ApiKey, str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            given = ", ".join(unknown) if unknown else "none"
            raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {given}")
        name = name.strip()
        if not name:
            raise ValueError("a key needs a name: who or what calls with it")
        keys = self.all_keys()
        # Names say who holds a key; two active keys of one name could not be told apart in
        # the logs or revoked by name with any confidence.
        if any(k.name == name and k.active for k in keys):
            raise ValueError(
                f"an active key is already named {name!r}; revoke it first or choose another name"
            )
        existing = {k.id for k in keys}
        key_id = secrets.token_hex(4)
        while key_id in existing:
            key_id = secrets.token_hex(4)
        secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(key_id, name, tuple(scopes), _hash(secret), _now())
        self._write([*keys, record])
        return record, secret

    def revoke(self, key_id: str) -> ApiKey:
        keys = self.all_keys()
        for i, k in enumerate(keys):
            if k.id == key_id:
                if k.active:
                    keys[i] = ApiKey(k.id, k.name, k.scopes, k.sha256, k.created_at, _now())
                    self._write(keys)
                return keys[i]
        raise KeyError(key_id)

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        body = {"keys": [asdict(k) | {"scopes": list(k.scopes)} for k in keys]}
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
