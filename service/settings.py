"""Every setting, its environment variable, its default and its meaning, in one place.

`Settings.from_env()` is the only code that reads the environment; everything else is handed a
`Settings`. The README's configuration table is checked against `SETTINGS` by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    meaning: str


SETTINGS: dict[str, Setting] = {
    "host": Setting("HOST", "127.0.0.1", "Address gunicorn binds to."),
    "port": Setting("PORT", "8000", "Port gunicorn binds to."),
    "workers": Setting("WORKERS", "2", "Number of gunicorn worker processes."),
    "lists_dir": Setting(
        "LISTS_DIR",
        str(REPO_ROOT / "lists"),
        "Folder of list files to serve (each list in its own sub-folder, or the official "
        "files directly in it); a `manifest.json` may name, title and source them.",
    ),
    "match_threshold": Setting(
        "MATCH_THRESHOLD", "0.90", "Lowest score whose decision is `match`."
    ),
    "review_threshold": Setting(
        "REVIEW_THRESHOLD",
        "0.80",
        "Lowest score whose decision is `review`; also the default `threshold` of a request.",
    ),
    "default_limit": Setting(
        "DEFAULT_LIMIT", "10", "Matches returned when a request sets no `limit`."
    ),
    "max_body_bytes": Setting(
        "MAX_BODY_BYTES", "1048576", "Largest JSON request body accepted (413 above it)."
    ),
    "log_level": Setting("LOG_LEVEL", "INFO", "Python log level of the service's own logger."),
}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    lists_dir: Path
    match_threshold: float
    review_threshold: float
    default_limit: int
    max_body_bytes: int
    log_level: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every setting from `env` (default: os.environ), then apply `overrides`."""
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            spec = SETTINGS[f.name]
            raw = source.get(spec.env, spec.default)
            values[f.name] = _convert(f.name, str(f.type), raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 < self.review_threshold <= self.match_threshold <= 1:
            raise ValueError(
                "need 0 < REVIEW_THRESHOLD <= MATCH_THRESHOLD <= 1, got "
                f"{self.review_threshold} and {self.match_threshold}"
            )
        if not 1 <= self.default_limit <= 100:
            raise ValueError(f"DEFAULT_LIMIT must be 1..100, got {self.default_limit}")

    def public(self) -> dict[str, str]:
        """The effective configuration as strings, for `vessel-screen config` and logs."""
        return {SETTINGS[f.name].env: str(getattr(self, f.name)) for f in fields(self)}


def _convert(name: str, type_name: str, raw: str) -> Any:
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "Path":
            return Path(raw)
        return raw
    except ValueError as exc:
        raise ValueError(f"{SETTINGS[name].env}={raw!r} is not a valid {type_name}") from exc
