"""Every setting, its environment variable, its default and its meaning, in one place.

`Settings.from_env()` is the only code that reads the environment; everything else is handed a
`Settings`. The README's configuration table is checked against `SETTINGS` by a test.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from service import placement
from service.ais.params import AisParams

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    meaning: str
    # How the README shows the default where it is a path inside the repo.
    shown: str | None = None

    @property
    def documented_default(self) -> str:
        return self.shown or self.default


SETTINGS: dict[str, Setting] = {
    "host": Setting("HOST", "127.0.0.1", "Address gunicorn binds to."),
    "port": Setting("PORT", "8000", "Port gunicorn binds to."),
    "workers": Setting("WORKERS", "2", "Number of gunicorn worker processes."),
    "threads": Setting(
        "THREADS",
        "16",
        "Threads per gunicorn worker (gthread): requests one worker answers at once. A thread "
        "waiting for its record to reach the disk or the database lets another one screen.",
    ),
    "pin_workers": Setting(
        "PIN_WORKERS",
        "off",
        "Opt-in host tuning: keep each gunicorn worker (and its threads) on one core. `off` "
        "leaves them to the kernel; `auto` pins when every core the service may run on gets a "
        "worker (WORKERS at least those cores: a machine, VM or cpuset container of its own), "
        "`on` always (workers spread over the allowed cores).",
    ),
    "lists_dir": Setting(
        "LISTS_DIR",
        str(REPO_ROOT / "lists"),
        "Folder of list files to serve (each list in its own sub-folder, or the official "
        "files directly in it); a `manifest.json` may name, title and source them.",
        shown="lists/",
    ),
    "ports_dir": Setting(
        "PORTS_DIR",
        str(REPO_ROOT / "ports"),
        "Folder of port reference files (UN/LOCODE code list CSVs, the World Port Index "
        "`UpdatedPub150.csv`, the project's `ports.csv`), searched recursively; the bundled "
        "port table is always merged in.",
        shown="ports/",
    ),
    "port_calls_dir": Setting(
        "PORT_CALLS_DIR",
        str(REPO_ROOT / "ports" / "calls"),
        "Folder of port-call files (`*.csv`, `*.jsonl`) loaded at start and on reload.",
        shown="ports/calls/",
    ),
    "ais_dir": Setting(
        "AIS_DIR",
        str(REPO_ROOT / "ais"),
        "Folder of raw AIS read at start and on reload: NMEA logs (`*.nmea`, `*.txt`), "
        "MarineCadastre or Danish Maritime Authority position CSVs (`*.csv`), gzip or plain "
        "(`*.gz`), each ingested into the store once; a `sample/voyages.json` plan is rendered "
        "with times relative to the load (the bundled sample) and never stored. Empty: none.",
        shown="ais/",
    ),
    "ais_gap_hours": Setting(
        "AIS_GAP_HOURS",
        "12",
        "Silence at sea at least this long is an `ais_gap` (Global Fishing Watch's AIS-disabling "
        "threshold); both ends must lie AIS_GAP_PORT_DISTANCE_NM beyond every port area.",
    ),
    "ais_gap_port_distance_nm": Setting(
        "AIS_GAP_PORT_DISTANCE_NM",
        "10",
        "How far beyond every port area both ends of a gap must be, so that a ship going quiet "
        "at a berth or in the approaches is not called dark.",
    ),
    "ais_port_stop_hours": Setting(
        "AIS_PORT_STOP_HOURS",
        "2",
        "Shortest stop (under 1 kn, or at anchor or moored) inside a port area that is a call.",
    ),
    "ais_port_radius_km": Setting(
        "AIS_PORT_RADIUS_KM",
        "6",
        "Radius of a port area when the World Port Index gives no harbour size (very small "
        "3 km, small 5, medium 8, large 12).",
    ),
    "ais_meeting_distance_m": Setting(
        "AIS_MEETING_DISTANCE_M",
        "500",
        "Two ships at most this far apart (at under 2 kn median, outside port areas) are "
        "alongside each other (Global Fishing Watch's encounter distance).",
    ),
    "ais_meeting_hours": Setting(
        "AIS_MEETING_HOURS",
        "2",
        "Shortest time alongside that is a `ship_to_ship` meeting (Global Fishing Watch's 2 h).",
    ),
    "ais_jump_speed_kn": Setting(
        "AIS_JUMP_SPEED_KN",
        "50",
        "Consecutive positions implying more than this speed (over more than 2 nm) are a "
        "`position_jump`: no merchant ship makes 50 knots.",
    ),
    "data_dir": Setting(
        "DATA_DIR",
        str(REPO_ROOT / "data"),
        "Folder for the service's own data: the embedded SQLite store (when DATABASE_URL is "
        "empty) and port calls pushed with `POST /v1/port-calls`.",
        shown="data/",
    ),
    "risk_policy_file": Setting(
        "RISK_POLICY_FILE",
        str(REPO_ROOT / "service" / "data" / "sanctioned_ports.json"),
        "Sanctioned jurisdictions and named ports (JSON, each entry with its reason and source).",
        shown="service/data/sanctioned_ports.json",
    ),
    "port_call_window_days": Setting(
        "PORT_CALL_WINDOW_DAYS",
        "730",
        "Look-back window of the port calls attached to a match (a request may set its own).",
    ),
    "port_calls_poll_seconds": Setting(
        "PORT_CALLS_POLL_SECONDS",
        "1.0",
        "How often a worker looks in the store for port calls pushed to another worker.",
    ),
    "record_gap_days": Setting(
        "RECORD_GAP_DAYS",
        "30",
        "Days between consecutive port calls above which a vessel gets the `record_gap` flag.",
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
    "typo_min_letters": Setting(
        "TYPO_MIN_LETTERS",
        "5",
        "Shortest name (in letters) in which one wrong, missing, extra or swapped letter can "
        "be a `match` (when the flag agrees; see TYPO_ALONE_MIN_LETTERS); shorter, it is "
        "`review`.",
    ),
    "typo_alone_min_letters": Setting(
        "TYPO_ALONE_MIN_LETTERS",
        "8",
        "Shortest name (in letters) in which one wrong letter is a `match` with nothing else "
        "agreeing (no flag sent, or another flag).",
    ),
    "max_body_bytes": Setting(
        "MAX_BODY_BYTES", "1048576", "Largest JSON request body accepted (413 above it)."
    ),
    "max_batch": Setting(
        "MAX_BATCH", "1000", "Most queries in one `POST /v1/screen/batch` (422 above it)."
    ),
    "csv_max_bytes": Setting(
        "CSV_MAX_BYTES",
        "52428800",
        "Largest CSV file screened by `POST /v1/screen/csv` and `vessel-screen screen` (413).",
    ),
    "csv_max_rows": Setting(
        "CSV_MAX_ROWS", "1000000", "Most data rows in one CSV file screened in bulk (413)."
    ),
    "bulk_processes": Setting(
        "BULK_PROCESSES",
        "0",
        "Worker processes that screen a large CSV file's chunks in parallel (0: one per core; "
        "1: screen in the serving process only).",
    ),
    "log_level": Setting("LOG_LEVEL", "INFO", "Python log level of the service's own logger."),
    "log_queries": Setting(
        "LOG_QUERIES",
        "false",
        "Put what was asked (the request path and a JSON body: names, IMO numbers ...) in each "
        "request's log line; off, a line says only which route answered, to whom and how.",
    ),
    "drain_seconds": Setting(
        "DRAIN_SECONDS",
        "5",
        "On SIGTERM, seconds a gunicorn worker keeps serving while /readyz answers 503 "
        "(draining), so a load balancer stops sending before the worker stops accepting.",
    ),
    "database_url": Setting(
        "DATABASE_URL",
        "",
        "PostgreSQL connection URL (`postgresql://user:password@host:5432/db`) of the store; "
        "empty keeps the embedded SQLite store in `DATA_DIR`.",
        shown="(empty: SQLite)",
    ),
    "db_pool_min": Setting("DB_POOL_MIN", "1", "PostgreSQL connections each worker keeps open."),
    "db_pool_max": Setting("DB_POOL_MAX", "4", "Most PostgreSQL connections each worker opens."),
    "db_timeout_seconds": Setting(
        "DB_TIMEOUT_SECONDS",
        "5",
        "Longest wait for a store connection or statement before the request fails (503).",
    ),
    "sqlite_synchronous": Setting(
        "SQLITE_SYNCHRONOUS",
        "FULL",
        "The embedded store's durability: `FULL` flushes every screening's record to disk "
        "before its answer is sent (a power cut loses nothing answered); `NORMAL` leaves it "
        "in the write-ahead log, which outlives a killed process but not a crash of the "
        "machine, for a quicker answer.",
    ),
    "restart_after_build": Setting(
        "RESTART_AFTER_BUILD",
        "100000",
        "Under gunicorn, a master that has just parsed and indexed lists of at least this many "
        "entries (vessels and companies) and written their snapshot starts again from that "
        "snapshot before it forks the workers, as a warm start would: the heap the build left "
        "behind, freed but scattered, would otherwise be where every worker's allocations land. "
        "0: never.",
    ),
    "snapshots": Setting(
        "SNAPSHOTS",
        "background",
        "Keep the parsed lists and their index in `DATA_DIR/snapshots/` so that a restart on the "
        "same files skips parsing, and serve the index from that file, mapped: the workers share "
        "its arrays in the page cache. `background` and `wait` (the same: the file is written "
        "before serving, a copy of the index's arrays) or `off` (the index in each process's "
        "memory).",
    ),
    "max_list_shrink": Setting(
        "MAX_LIST_SHRINK",
        "0.5",
        "A new version of a list with fewer than (1 - this) times the entries of the one served "
        "is refused as a likely broken download; 1 allows any shrink.",
    ),
    "refresh_interval_minutes": Setting(
        "REFRESH_INTERVAL_MINUTES",
        "0",
        "Minutes between scheduled downloads of the lists whose manifest entry has `urls` (one "
        "worker does it); 0 turns the schedule off (`POST /v1/lists/refresh` still works).",
    ),
    "refresh_timeout_seconds": Setting(
        "REFRESH_TIMEOUT_SECONDS",
        "60",
        "Longest wait for a list download to connect or send more bytes before it fails.",
    ),
    "keys_file": Setting(
        "KEYS_FILE",
        "",
        "API keys file (hashes only; `vessel-screen keys create|list|revoke`); empty means "
        "`DATA_DIR/api-keys.json`. With no active key the service is open.",
        shown="(empty: DATA_DIR/api-keys.json)",
    ),
    "allow_open": Setting(
        "ALLOW_OPEN",
        "false",
        "Serve without API keys on an address other than loopback (refused at start otherwise).",
    ),
    "redis_url": Setting(
        "REDIS_URL",
        "",
        "Redis holding the rate-limit counters shared by every worker and instance "
        "(`redis://127.0.0.1:6379/0`); empty: no rate limit.",
        shown="(empty: no rate limit)",
    ),
    "rate_limit_per_minute": Setting(
        "RATE_LIMIT_PER_MINUTE",
        "6000",
        "Requests a minute per API key (per client address when open); 429 with Retry-After "
        "above it; 0 turns the limit off.",
    ),
}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    threads: int
    pin_workers: str
    lists_dir: Path
    ports_dir: Path
    port_calls_dir: Path
    ais_dir: str
    ais_gap_hours: float
    ais_gap_port_distance_nm: float
    ais_port_stop_hours: float
    ais_port_radius_km: float
    ais_meeting_distance_m: float
    ais_meeting_hours: float
    ais_jump_speed_kn: float
    data_dir: Path
    risk_policy_file: Path
    port_call_window_days: int
    port_calls_poll_seconds: float
    record_gap_days: int
    match_threshold: float
    review_threshold: float
    default_limit: int
    typo_min_letters: int
    typo_alone_min_letters: int
    max_body_bytes: int
    max_batch: int
    csv_max_bytes: int
    csv_max_rows: int
    bulk_processes: int
    log_level: str
    log_queries: bool
    drain_seconds: float
    database_url: str
    db_pool_min: int
    db_pool_max: int
    db_timeout_seconds: float
    sqlite_synchronous: str
    restart_after_build: int
    snapshots: str
    max_list_shrink: float
    refresh_interval_minutes: float
    refresh_timeout_seconds: float
    keys_file: str
    allow_open: bool
    redis_url: str
    rate_limit_per_minute: int

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
        if not 0 <= self.port_call_window_days <= 36500:
            raise ValueError(
                f"PORT_CALL_WINDOW_DAYS must be 0..36500, got {self.port_call_window_days}"
            )
        if self.record_gap_days < 1:
            raise ValueError(f"RECORD_GAP_DAYS must be at least 1, got {self.record_gap_days}")
        if not 1 <= self.typo_min_letters <= self.typo_alone_min_letters:
            raise ValueError(
                "need 1 <= TYPO_MIN_LETTERS <= TYPO_ALONE_MIN_LETTERS, got "
                f"{self.typo_min_letters} and {self.typo_alone_min_letters}"
            )
        if not 1 <= self.default_limit <= 100:
            raise ValueError(f"DEFAULT_LIMIT must be 1..100, got {self.default_limit}")
        for env, value in (
            ("MAX_BATCH", self.max_batch),
            ("CSV_MAX_BYTES", self.csv_max_bytes),
            ("CSV_MAX_ROWS", self.csv_max_rows),
        ):
            if value < 1:
                raise ValueError(f"{env} must be at least 1, got {value}")
        if self.sqlite_synchronous not in ("FULL", "NORMAL"):
            raise ValueError(
                f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, got {self.sqlite_synchronous!r}"
            )
        if self.snapshots not in ("background", "wait", "off"):
            raise ValueError(f"SNAPSHOTS must be background, wait or off, got {self.snapshots!r}")
        if not 0 <= self.drain_seconds <= 300:
            raise ValueError(f"DRAIN_SECONDS must be 0..300, got {self.drain_seconds}")
        if self.bulk_processes < 0:
            raise ValueError(f"BULK_PROCESSES must be 0 or more, got {self.bulk_processes}")
        if not 0 <= self.db_pool_min <= self.db_pool_max or self.db_pool_max < 1:
            raise ValueError(
                "need 0 <= DB_POOL_MIN <= DB_POOL_MAX and DB_POOL_MAX >= 1, got "
                f"{self.db_pool_min} and {self.db_pool_max}"
            )
        if self.restart_after_build < 0:
            raise ValueError(
                f"RESTART_AFTER_BUILD must be 0 or more, got {self.restart_after_build}"
            )
        if not 0 <= self.max_list_shrink <= 1:
            raise ValueError(f"MAX_LIST_SHRINK must be 0..1, got {self.max_list_shrink}")
        if self.refresh_interval_minutes < 0:
            raise ValueError(
                f"REFRESH_INTERVAL_MINUTES must be 0 or more, got {self.refresh_interval_minutes}"
            )
        if not self.refresh_timeout_seconds > 0:
            raise ValueError(
                f"REFRESH_TIMEOUT_SECONDS must be above 0, got {self.refresh_timeout_seconds}"
            )
        for env, number in (
            ("AIS_GAP_HOURS", self.ais_gap_hours),
            ("AIS_GAP_PORT_DISTANCE_NM", self.ais_gap_port_distance_nm + 1),
            ("AIS_PORT_STOP_HOURS", self.ais_port_stop_hours),
            ("AIS_PORT_RADIUS_KM", self.ais_port_radius_km),
            ("AIS_MEETING_DISTANCE_M", self.ais_meeting_distance_m),
            ("AIS_MEETING_HOURS", self.ais_meeting_hours),
            ("AIS_JUMP_SPEED_KN", self.ais_jump_speed_kn),
        ):
            if not number > 0:
                raise ValueError(f"{env} must be above 0 (the distance 0 or more), got {number}")
        if self.threads < 1:
            raise ValueError(f"THREADS must be 1 or more, got {self.threads}")
        if self.pin_workers not in placement.MODES:
            raise ValueError(f"PIN_WORKERS must be auto, on or off, got {self.pin_workers!r}")
        if self.rate_limit_per_minute < 0:
            raise ValueError(
                f"RATE_LIMIT_PER_MINUTE must be 0 or more, got {self.rate_limit_per_minute}"
            )
        if not self.db_timeout_seconds > 0:
            raise ValueError(f"DB_TIMEOUT_SECONDS must be above 0, got {self.db_timeout_seconds}")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must be a postgresql:// URL (or empty for SQLite)")

    @property
    def ais_params(self) -> AisParams:
        """The event thresholds: these settings over `AisParams`' other defaults."""
        return replace(
            AisParams(),
            gap_min_hours=self.ais_gap_hours,
            gap_min_port_distance_nm=self.ais_gap_port_distance_nm,
            port_min_stop_hours=self.ais_port_stop_hours,
            port_radius_km_unknown=self.ais_port_radius_km,
            encounter_max_distance_m=self.ais_meeting_distance_m,
            encounter_min_hours=self.ais_meeting_hours,
            jump_max_speed_kn=self.ais_jump_speed_kn,
        )

    @property
    def keys_path(self) -> Path:
        return Path(self.keys_file) if self.keys_file else self.data_dir / "api-keys.json"

    def public(self) -> dict[str, str]:
        """The effective configuration as strings, for `vessel-screen config` and logs.

        The password in DATABASE_URL is masked: this output ends up in logs and terminals.
        """
        shown = {SETTINGS[f.name].env: str(getattr(self, f.name)) for f in fields(self)}
        shown["DATABASE_URL"] = mask_password(self.database_url)
        shown["KEYS_FILE"] = str(self.keys_path)
        shown["REDIS_URL"] = mask_password(self.redis_url)
        return shown


def mask_password(url: str) -> str:
    """`url` with the password of its user-info part replaced by `***`.

    Also masks a `password=` query parameter, which libpq accepts as well.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{hostport}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _convert(name: str, type_name: str, raw: str) -> Any:
    try:
        if type_name == "bool":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
                raise ValueError(raw)
            return lowered in ("true", "1", "yes", "on")
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "Path":
            return Path(raw)
        return raw
    except ValueError as exc:
        raise ValueError(f"{SETTINGS[name].env}={raw!r} is not a valid {type_name}") from exc
