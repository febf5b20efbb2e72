"""The performance suite (`make bench`): the service as `make run` serves it, driven by wrk, at
each list size, with the figures of issue 9 in one table.

For each list size (`--sizes`, default real,10000,50000,100000):
- "real": OFAC's SDN files in ../shared/data/ofac and the EU annexes in ../shared/data/eu/ojeu,
  through a temporary manifest.json; skipped with a note where ../shared/data is absent;
- N: a generated list of N vessels with port calls (benchmarks/generate.py), cached in
  benchmarks/.cache so a rerun does not write it again.
Queries come from the same generator: a mix of exact, misspelt and other-script names,
IMO-only, MMSI-only, name+IMO+flag and unlisted names (see generate.py).

Each of `--runs` runs (default 3) starts gunicorn afresh exactly as `make run` does
(gunicorn.conf.py, WORKERS, HOST=127.0.0.1, a free PORT, LISTS_DIR, a throw-away DATA_DIR) and
measures, in this order:
- start-up: from spawn to the first GET /readyz 200;
- POST /v1/screen: wrk -t1 -c1 and wrk -t2 -c16 (p50, p99, screens/s), after a warm-up;
- the floor, in the same run: wrk -t2 -c16 on GET /healthz, and screens/s over it;
- POST /v1/screen/batch with 1,000 queries a body: wrk -c1 and -c2 (queries/s);
- POST /v1/screen/csv: a text/csv body of --csv-rows rows sent by curl (rows/s);
- peak memory per worker: VmHWM from /proc/<pid>/status, and the peak of PSS from
  /proc/<pid>/smaps_rollup sampled through the run (preload_app shares the index between the
  workers, which RSS counts in full in each; PSS splits it).
Every figure in the table is the median over the runs; ratios are taken within a run. It prints
a markdown table, the targets met or missed (by how much), and the machine; --json writes it
all, every run included. Exit status 0 when every size ran (targets are reported, not
enforced), 1 when one could not.

Usage: .venv/bin/python benchmarks/bench.py [--sizes real,10000,50000,100000] [--runs R]
       [--seconds S] [--quick] [--json PATH] (see --help)
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import http.client
import inspect
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate
import harness
from harness import ROOT, SHARED_DATA, PssSampler, WrkResult, run_wrk, write_wrk_script

from service import snapshot
from service.settings import Settings

CACHE = Path(__file__).resolve().parent / ".cache"
REAL_SOURCES = (
    ("us-ofac-sdn", "ofac-csv", SHARED_DATA / "ofac"),
    ("eu-ojeu", "eu-ojeu", SHARED_DATA / "eu" / "ojeu"),
)
DEFAULT_SIZES = "real,10000,50000,100000"
WRK_TIMEOUT_S = 30  # an answer slower than this counts as a wrk timeout error
SANITY_PER_KIND = 20


@dataclass(frozen=True)
class Options:
    runs: int
    seconds: int  # per wrk figure
    warmup: int  # seconds of wrk before the figures of a run
    csv_rows: int
    screens: int  # distinct POST /v1/screen bodies in the cycle
    workers: int
    seed: int
    calls_per_vessel: float
    ready_timeout: float
    cache: Path
    owners: int = 0  # listed owner and manager companies added to each generated list


@dataclass
class Dataset:
    label: str  # "real" or the generated size
    lists_dir: Path
    port_calls_dir: Path | None  # None: the setting's default, as `make run` has it
    vessels: int
    queries: generate.QueryFiles
    notes: list[str] = field(default_factory=list)


# --- Data -----------------------------------------------------------------------------------


def source_digest() -> str:
    """Generated files depend on the generator and on how harness.py writes wrk scripts: a
    change to either is a new cache entry rather than a stale one (other changes to harness.py
    are not, so the cache outlives them)."""
    digest = hashlib.sha256(Path(generate.__file__ or "").read_bytes())
    for part in (harness.lua_string, harness.wrk_script, harness.write_wrk_script):
        digest.update(inspect.getsource(part).encode())
    digest.update(harness._LUA_TEMPLATE.encode())
    return digest.hexdigest()[:10]


def prepare_real(work: Path, opts: Options) -> Dataset | None:
    """The real lists through a manifest with absolute paths; None when none is present."""
    present = [(i, f, p) for i, f, p in REAL_SOURCES if p.is_dir()]
    if not present:
        return None
    lists_dir = work / "real-lists"
    lists_dir.mkdir(parents=True)
    entries = [{"id": i, "path": str(p.resolve()), "format": f} for i, f, p in present]
    (lists_dir / "manifest.json").write_text(json.dumps({"lists": entries}, indent=2) + "\n")
    listed = generate.listed_vessels(lists_dir)
    queries = generate.write_queries(
        work / "real-queries", listed, opts.seed, opts.screens, opts.csv_rows
    )
    notes = [f"{p} absent: served without {i}" for i, _, p in REAL_SOURCES if not p.is_dir()]
    return Dataset("real", lists_dir, None, len(listed), queries, notes)


def size_label(size: int, owners: int) -> str:
    """A generated list's label in the table: its vessels, and `+N` owner companies."""
    return f"{size}+{owners}" if owners else str(size)


def prepare_generated(size: int, opts: Options) -> Dataset:
    """A generated list of `size` vessels and its queries, from the cache when there."""
    stem = f"list-{size}-seed{opts.seed}-calls{opts.calls_per_vessel:g}"
    if opts.owners:
        stem += f"-owners{opts.owners}"
    folder = opts.cache / f"{stem}-{source_digest()}"
    notes: list[str] = []
    if not (folder / ".complete").is_file():
        for stale in opts.cache.glob(f"{stem}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        print(f"generating {size:,} vessels into {folder} ...", flush=True)
        building = folder.with_name(folder.name + ".partial")
        shutil.rmtree(building, ignore_errors=True)
        made = generate.write_list(building, size, opts.seed, opts.calls_per_vessel, opts.owners)
        summary = {
            "vessels": made.vessels,
            "owners": made.owners,
            "calls": made.calls,
            "companies": made.companies,
        }
        (building / "summary.json").write_text(json.dumps(summary) + "\n")
        (building / ".complete").touch()
        building.rename(folder)  # a run cut short leaves a .partial, never a half cache entry
    summary = json.loads((folder / "summary.json").read_text())
    notes.append(f"{summary['owners']:,} owner entities, {summary['calls']:,} port calls")
    if summary.get("companies"):
        notes.append(
            f"{summary['companies']:,} owner and manager companies in a list of their own "
            "(FollowTheMoney JSON lines)"
        )
    query_dir = folder / f"queries-{opts.screens}-{opts.csv_rows}"
    files = generate.QueryFiles(
        query_dir / "screen.lua",
        query_dir / "screen.jsonl",
        query_dir / "batch.lua",
        query_dir / "rows.csv",
        opts.csv_rows,
    )
    if not (query_dir / ".complete").is_file():
        print(f"writing queries for {size:,} vessels ...", flush=True)
        listed = generate.listed_vessels(folder / "lists")
        files = generate.write_queries(query_dir, listed, opts.seed, opts.screens, opts.csv_rows)
        (query_dir / ".complete").touch()
    return Dataset(
        size_label(size, opts.owners),
        folder / "lists",
        folder / generate.CALLS_FOLDER,
        summary["vessels"],
        files,
        notes,
    )


# --- One run --------------------------------------------------------------------------------


def sanity(port: int, screen_jsonl: Path) -> dict[str, dict[str, int]]:
    """Decisions for the first few queries of each kind: shows that the mix finds what it
    should (exact names match, unlisted names mostly clear). Also warms the workers up."""
    by_kind: dict[str, list[bytes]] = {}
    with screen_jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            bodies = by_kind.setdefault(item["kind"], [])
            if len(bodies) < SANITY_PER_KIND:
                bodies.append(json.dumps(item["body"], ensure_ascii=False).encode())
    counts: dict[str, dict[str, int]] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for kind, bodies in by_kind.items():
            tally: Counter[str] = Counter()
            for body in bodies:
                status, answer, _ = harness.post(
                    port, "/v1/screen", body, {"Content-Type": "application/json"}, conn
                )
                tally[json.loads(answer)["decision"] if status == 200 else f"HTTP {status}"] += 1
            counts[kind] = dict(tally)
    finally:
        conn.close()
    return counts


def post_csv(port: int, rows_csv: Path, out: Path) -> tuple[float, str | None]:
    """curl sends the file as one text/csv body; seconds end to end, and what was wrong if
    the answer is not 200 with one line per row."""
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "--max-time",
            "900",
            "--data-binary",
            f"@{rows_csv}",
            "-H",
            "Content-Type: text/csv",
            # No "Expect: 100-continue" round trip for a large body: callers' libraries (Python's
            # requests, Java's HttpClient) do not send it either.
            "-H",
            "Expect:",
            "-o",
            str(out),
            "-w",
            "%{http_code} %{time_total}",
            f"http://127.0.0.1:{port}/v1/screen/csv",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return math.nan, f"curl exited with {done.returncode}: {done.stderr.strip()}"
    status, seconds = done.stdout.split()
    problem = None
    if status != "200":
        problem = f"HTTP {status}"
    else:
        rows = sum(chunk.count(b"\n") for chunk in _chunks(out)) - 1  # minus the header
        expected = sum(chunk.count(b"\n") for chunk in _chunks(rows_csv)) - 1
        if rows != expected:
            problem = f"{rows} rows answered for {expected}"
    out.unlink(missing_ok=True)
    return float(seconds), problem


def _chunks(path: Path) -> Any:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def wait_for_snapshot(data_dir: Path, limit_s: float) -> float | None:
    """Seconds until the snapshot a cold start writes in the background (service/snapshot.py)
    is whole: a pickle and no temporary file. None when none is whole within `limit_s`."""
    folder = data_dir / snapshot.FOLDER
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        if any(folder.glob("*.pickle")) and not any(folder.glob("*.tmp")):
            return time.perf_counter() - started
        time.sleep(0.1)
    return None


def measure_run(ds: Dataset, opts: Options, with_sanity: bool) -> dict[str, Any]:
    """One fresh server, every figure once; then a restart on its DATA_DIR for a warm start."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
    env = harness.isolated_env(data_dir)
    if ds.port_calls_dir is not None:
        env["PORT_CALLS_DIR"] = str(ds.port_calls_dir)
    snapshots = Settings.from_env(os.environ | env).snapshots != "off"
    healthz = write_wrk_script([("GET", "/healthz", None)], data_dir / "healthz.lua")
    figures: dict[str, Any] = {}
    errors: dict[str, str] = {}
    server: harness.Server | None = None
    sampler: PssSampler | None = None
    try:
        server = harness.launch(ds.lists_dir, opts.workers, env, opts.ready_timeout)
        port = server.port
        figures["ready_s"] = server.startup_s
        if snapshots:
            # The snapshot is pickled by a forked process after ready; measured alongside it,
            # the first figures would share the two cores with it.
            figures["snapshot_s"] = wait_for_snapshot(data_dir, 60 + 2 * server.startup_s)
            if figures["snapshot_s"] is None:
                errors["snapshot"] = "no snapshot written after the cold start"
        sampler = PssSampler(server.proc.pid, interval_s=0.2)
        sampler.start()
        lists = harness.get_json(port, "/v1/lists")["lists"]
        figures["served_vessels"] = sum(int(item.get("entries", 0)) for item in lists)
        if with_sanity:
            figures["sanity"] = sanity(port, ds.queries.screen_jsonl)

        sent = Counter[Path]()  # requests sent so far from each script

        def wrk(name: str, script: Path, threads: int, conns: int, seconds: int) -> WrkResult:
            # Each figure goes on where the last one stopped in the script's cycle, so it sends
            # bodies this server has not seen yet (until the cycle of --screens comes round).
            result = run_wrk(port, script, threads, conns, seconds, WRK_TIMEOUT_S, sent[script])
            sent[script] += result.requests
            if result.errors:
                errors[name] = (
                    f"{result.non2xx} non-2xx, socket {result.socket_errors or 'none'} "
                    f"of {result.requests}"
                )
            return result

        wrk("warm-up", ds.queries.screen_lua, 2, 16, opts.warmup)
        c1 = wrk("screen c1", ds.queries.screen_lua, 1, 1, opts.seconds)
        c16 = wrk("screen c16", ds.queries.screen_lua, 2, 16, opts.seconds)
        floor = wrk("healthz c16", healthz, 2, 16, opts.seconds)
        batch1 = wrk("batch c1", ds.queries.batch_lua, 1, 1, opts.seconds)
        batch2 = wrk("batch c2", ds.queries.batch_lua, 2, 2, opts.seconds)
        csv_s, problem = post_csv(port, ds.queries.rows_csv, data_dir / "answer.csv")
        if problem:
            errors["csv"] = problem
        figures |= {
            "c1_p50_ms": c1.p50_ms,
            "c1_p99_ms": c1.p99_ms,
            "c1_rps": c1.rate,
            "c16_p50_ms": c16.p50_ms,
            "c16_p99_ms": c16.p99_ms,
            "c16_rps": c16.rate,
            "healthz_rps": floor.rate,
            "screen_vs_healthz": c16.rate / floor.rate if floor.rate else math.nan,
            "batch_c1_qps": batch1.rate * generate.BATCH_SIZE,
            "batch_c1_p50_ms": batch1.p50_ms,
            "batch_c1_requests": batch1.requests,
            "batch_c2_qps": batch2.rate * generate.BATCH_SIZE,
            "csv_s": csv_s,
            "csv_rows_per_s": ds.queries.rows / csv_s if csv_s else math.nan,
        }
        sampler.sample()  # the state at the end, whatever the interval missed
        workers = harness.child_pids(server.proc.pid)
        figures["rss_mb"] = max(
            (harness.memory_kib(pid).get("VmHWM", 0) / 1024 for pid in workers), default=math.nan
        )
        figures["master_rss_mb"] = harness.memory_kib(server.proc.pid).get("VmHWM", 0) / 1024
    finally:
        if sampler is not None:
            figures["pss_pool_mb"] = sampler.stop()
            figures["pss_mb"] = max(sampler.worker_peak_kib.values(), default=0) / 1024
        if server is not None:
            harness.stop_server(server)
        if figures.get("snapshot_s") is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    if figures.get("snapshot_s") is not None:
        # A restart on the same files and DATA_DIR: what a deploy or a scale-out pays.
        try:
            server = harness.launch(ds.lists_dir, opts.workers, env, opts.ready_timeout)
            figures["ready_warm_s"] = server.startup_s
            workers = harness.child_pids(server.proc.pid)
            figures["rss_warm_mb"] = max(
                (harness.memory_kib(pid).get("VmHWM", 0) / 1024 for pid in workers),
                default=math.nan,
            )
            harness.stop_server(server)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    figures["errors"] = errors
    return figures


# --- Figures, targets, table ----------------------------------------------------------------

# Keys of the per-run figures that are numbers, medianed across runs.
NUMERIC = (
    "ready_s", "ready_warm_s", "snapshot_s", "rss_warm_mb", "c1_p50_ms", "c1_p99_ms", "c1_rps",
    "c16_p50_ms", "c16_p99_ms", "c16_rps", "healthz_rps", "screen_vs_healthz", "batch_c1_qps",
    "batch_c1_p50_ms", "batch_c2_qps", "csv_s", "csv_rows_per_s", "rss_mb", "pss_mb",
    "pss_pool_mb", "master_rss_mb",
)  # fmt: skip


def median(values: Sequence[float | None]) -> float:
    """Median of the values that are numbers; NaN when there is none."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(kept) if kept else math.nan


def medians(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    return {key: median([run.get(key) for run in runs]) for key in NUMERIC}


@dataclass(frozen=True)
class Target:
    figure: str
    limit: float
    at_most: bool  # the figure must be <= limit (else >= limit)
    applies: str  # "real", a generated size ("100000"), or "all"
    text: str
    unit: str


TARGETS = (
    Target("c1_p50_ms", 1.0, True, "real", "c1 p50", "ms"),
    Target("c1_p99_ms", 5.0, True, "real", "c1 p99", "ms"),
    Target("c16_rps", 3000, False, "real", "c16 screens/s", "/s"),
    Target("c16_p99_ms", 15.0, True, "real", "c16 p99", "ms"),
    Target("screen_vs_healthz", 0.5, False, "real", "screens/s over /healthz", "x"),
    Target("ready_s", 2.0, True, "real", "ready, cold start", "s"),
    Target("ready_warm_s", 2.0, True, "real", "ready, warm restart", "s"),
    Target("c1_p50_ms", 3.0, True, "100000", "c1 p50", "ms"),
    Target("pss_mb", 400, True, "100000", "peak PSS per worker", "MB"),
    Target("rss_mb", 400, True, "100000", "peak RSS per worker", "MB"),
    Target("ready_s", 10.0, True, "100000", "ready, cold start", "s"),
    Target("ready_warm_s", 10.0, True, "100000", "ready, warm restart", "s"),
    # 100,000 vessels and 1,000,000 owner and manager companies (--sizes 100000 --owners 1000000).
    Target("pss_mb", 400, True, "100000+1000000", "peak PSS per worker", "MB"),
    Target("rss_mb", 400, True, "100000+1000000", "peak RSS per worker", "MB"),
    Target("ready_s", 10.0, True, "100000+1000000", "ready, cold start", "s"),
    Target("ready_warm_s", 3.0, True, "100000+1000000", "ready, warm restart", "s"),
    Target("c1_p50_ms", 3.0, True, "100000+1000000", "c1 p50", "ms"),
    Target("c16_rps", 1500, False, "100000+1000000", "c16 screens/s", "/s"),
    Target("csv_rows_per_s", 5_000, False, "100000+1000000", "CSV rows/s", "/s"),
    # 100,000 rows in at most 10 s, as a rate so that a --csv-rows run is comparable.
    Target("csv_rows_per_s", 10_000, False, "all", "CSV rows/s", "/s"),
    Target("batch_c1_qps", 10_000, False, "all", "batch queries/s (c1)", "/s"),
)


def _number(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "n/a"
    if unit in ("/s", "MB") or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 or unit == "x" else f"{value:.3f}"


def _quantity(value: float, unit: str) -> str:
    """A number with its unit: 1.32 ms, 607/s, 0.22x."""
    joined = unit in ("/s", "x")
    return f"{_number(value, unit)}{'' if joined else ' '}{unit}"


def verdict(value: float, target: Target) -> str:
    """'met', or 'MISSED by <amount> (<percent>)', or 'not measured'."""
    if math.isnan(value):
        return "not measured"
    ok = value <= target.limit if target.at_most else value >= target.limit
    if ok:
        return "met"
    gap = abs(value - target.limit)
    return f"MISSED by {_quantity(gap, target.unit)} ({gap / target.limit:.0%})"


def evaluate(label: str, figures: dict[str, float]) -> list[dict[str, Any]]:
    found = []
    for t in TARGETS:
        if t.applies in ("all", label):
            value = figures.get(t.figure, math.nan)
            found.append(
                {
                    "figure": t.figure,
                    "text": t.text,
                    "value": value,
                    "limit": t.limit,
                    "at_most": t.at_most,
                    "verdict": verdict(value, t),
                    "line": f"{t.text} {_quantity(value, t.unit)} "
                    f"(target {'≤' if t.at_most else '≥'} {_quantity(t.limit, t.unit)}): "
                    f"{verdict(value, t)}",
                }
            )
    return found


COLUMNS = (
    ("list", None),
    ("vessels", None),
    ("workers", None),
    ("ready s cold / warm", ("ready_s", "ready_warm_s")),
    ("c1 p50 / p99 ms", ("c1_p50_ms", "c1_p99_ms")),
    ("c16 p50 / p99 ms", ("c16_p50_ms", "c16_p99_ms")),
    ("c16 screens/s", ("c16_rps",)),
    ("/healthz c16 req/s", ("healthz_rps",)),
    ("screens ÷ healthz", ("screen_vs_healthz",)),
    ("batch q/s c1 / c2", ("batch_c1_qps", "batch_c2_qps")),
    ("CSV rows/s", ("csv_rows_per_s",)),
    ("CSV s", ("csv_s",)),
    ("peak RSS / PSS MB per worker", ("rss_mb", "pss_mb")),
    ("errors", None),
)
_UNITS = {
    "c16_rps": "/s",
    "healthz_rps": "/s",
    "batch_c1_qps": "/s",
    "batch_c2_qps": "/s",
    "csv_rows_per_s": "/s",
    "rss_mb": "MB",
    "pss_mb": "MB",
    "screen_vs_healthz": "x",
}


def table(results: Sequence[dict[str, Any]], workers: int) -> str:
    """A markdown table: one row per list size, the medians over its runs."""
    lines = [
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for result in results:
        cells = []
        for name, keys in COLUMNS:
            if name == "list":
                cells.append(result["label"])
            elif name == "vessels":
                cells.append(f"{result['vessels']:,}")
            elif name == "workers":
                cells.append(str(workers))
            elif name == "errors":
                cells.append(str(result.get("error_count", 0)) if "median" in result else "-")
            elif "median" not in result:
                cells.append("-")
            else:
                assert keys is not None
                m = result["median"]
                cells.append(" / ".join(_number(m[k], _UNITS.get(k, "")) for k in keys))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- Machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command(*args: str) -> str:
    """What the command prints (wrk -v prints to stderr), or "" when it fails."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    except OSError:
        return ""
    # wrk -v exits 1 after printing its version.
    text = (done.stdout or done.stderr).strip()
    return text if done.returncode == 0 or args[-1] == "-v" else ""


def gunicorn_conf() -> dict[str, Any]:
    """The literal top-level settings of gunicorn.conf.py, read without running it (running it
    would set up its metrics folder in this process, and the servers we start would inherit
    that)."""
    found: dict[str, Any] = {}
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                # A value computed from the settings is no literal, and is left out.
                with contextlib.suppress(ValueError):
                    found[target.id] = ast.literal_eval(node.value)
    return found


def machine_facts() -> dict[str, Any]:
    conf = gunicorn_conf()
    commit = _command("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_command("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "wrk": _command(harness.WRK, "-v").splitlines()[0] if shutil.which(harness.WRK) else "",
        "commit": f"{commit}{' with uncommitted changes' if dirty else ''}",
        "gunicorn": f"{conf.get('worker_class')}, {Settings.from_env().threads} threads a "
        f"worker (THREADS), preload_app={conf.get('preload_app')}",
        "load_average_start": os.getloadavg(),
    }


# --- Main -----------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[str]:
    """ "real,10000,50k" -> ["real", "10000", "50000"]."""
    sizes = []
    for item in (s.strip().lower() for s in text.split(",")):
        if not item:
            continue
        if item == "real":
            sizes.append(item)
            continue
        number = int(item[:-1]) * 1000 if item.endswith("k") else int(item)
        if number < 1:
            raise ValueError(f"a list size must be at least 1, got {item}")
        sizes.append(str(number))
    if not sizes:
        raise ValueError("no list size given")
    return sizes


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Options, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"'real' and/or vessel counts ({DEFAULT_SIZES})"
    )
    parser.add_argument("--runs", type=int, help="runs per size, each figure their median (3)")
    parser.add_argument("--seconds", type=int, help="duration of each wrk figure (10)")
    parser.add_argument("--warmup", type=int, help="seconds of wrk before a run's figures (3)")
    parser.add_argument("--csv-rows", type=int, help="rows of the CSV upload (100000)")
    parser.add_argument("--screens", type=int, help="distinct POST /v1/screen bodies (20000)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 run of 2 s figures, 10,000 CSV rows, 2,000 screen bodies "
        "(options given explicitly still win)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn WORKERS (2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (1)")
    parser.add_argument(
        "--calls-per-vessel", type=float, default=2.5, help="mean port calls a vessel (2.5)"
    )
    parser.add_argument(
        "--ready-timeout", type=float, default=300, help="most seconds to wait for /readyz (300)"
    )
    parser.add_argument(
        "--cache", type=Path, default=CACHE, help="generated data cache (benchmarks/.cache)"
    )
    parser.add_argument(
        "--owners",
        type=int,
        default=0,
        help="add this many listed owner and manager companies to each generated list (0)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    quick = args.quick

    def pick(value: int | None, normal: int, smoke: int) -> int:
        return value if value is not None else smoke if quick else normal

    opts = Options(
        runs=pick(args.runs, 3, 1),
        seconds=pick(args.seconds, 10, 2),
        warmup=pick(args.warmup, 3, 1),
        csv_rows=pick(args.csv_rows, 100_000, 10_000),
        screens=pick(args.screens, 20_000, 2_000),
        workers=args.workers,
        seed=args.seed,
        calls_per_vessel=args.calls_per_vessel,
        ready_timeout=args.ready_timeout,
        cache=args.cache,
        owners=args.owners,
    )
    if opts.owners < 0:
        parser.error("--owners must be >= 0")
    if min(opts.runs, opts.seconds, opts.warmup, opts.csv_rows, opts.screens, opts.workers) < 1:
        parser.error(
            "--runs, --seconds, --warmup, --csv-rows, --screens and --workers must be >= 1"
        )
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        parser.error(f"--sizes: {exc}")
    return args, opts, sizes


def check_tools() -> str | None:
    """What is missing to run the suite, in words; None when nothing is."""
    missing = [tool for tool in (harness.WRK, "curl") if shutil.which(tool) is None]
    if missing:
        return (
            f"make bench needs {' and '.join(Path(m).name for m in missing)}: on Debian "
            "`apt-get install wrk curl` (`make bench` installs them itself when run as root)"
        )
    return None


def run_size(label: str, work: Path, opts: Options) -> dict[str, Any]:
    result: dict[str, Any] = {"label": label, "vessels": 0, "notes": []}
    if label == "real":
        ds = prepare_real(work, opts)
        if ds is None:
            result["notes"].append(f"skipped: {SHARED_DATA} holds none of the real lists")
            result["skipped"] = True
            return result
    else:
        ds = prepare_generated(int(label), opts)
    label = ds.label
    result |= {
        "label": label,
        "vessels": ds.vessels,
        "lists_dir": str(ds.lists_dir),
        "notes": ds.notes,
    }
    runs: list[dict[str, Any]] = []
    for number in range(1, opts.runs + 1):
        print(f"[{label}] run {number}/{opts.runs}: starting gunicorn ...", flush=True)
        try:
            figures = measure_run(ds, opts, with_sanity=number == 1)
        except RuntimeError as exc:
            result["failed"] = f"run {number}: {exc}"
            print(f"[{label}] run {number} failed: {exc}", file=sys.stderr, flush=True)
            break
        runs.append(figures)
        print(
            f"[{label}] run {number}: ready {figures['ready_s']:.2f} s (warm "
            f"{figures.get('ready_warm_s', math.nan):.2f} s), c1 p50 "
            f"{figures['c1_p50_ms']:.2f} ms, c16 {figures['c16_rps']:,.0f}/s, batch "
            f"{figures['batch_c1_qps']:,.0f} q/s, CSV {figures['csv_s']:.1f} s, RSS "
            f"{figures['rss_mb']:.0f} MB, errors {figures['errors'] or 'none'}",
            flush=True,
        )
    result["runs"] = runs
    if runs:
        result["median"] = medians(runs)
        result["error_count"] = sum(len(run["errors"]) for run in runs)
        result["targets"] = evaluate(label, result["median"])
        if runs[0].get("sanity"):
            result["sanity"] = runs[0]["sanity"]
    return result


def print_report(results: list[dict[str, Any]], machine: dict[str, Any], opts: Options) -> None:
    print()
    print(
        f"{machine['date']}; {machine['cpu_count']} cores (os.cpu_count()), "
        f"{machine['cpu_model']}; {machine['system']}; Python {machine['python']}; "
        f"{machine['wrk']}; commit {machine['commit']}"
    )
    start, end = machine["load_average_start"], machine["load_average_end"]
    print(
        f"load average {start[0]:.2f} {start[1]:.2f} {start[2]:.2f} at the start, "
        f"{end[0]:.2f} {end[1]:.2f} {end[2]:.2f} at the end"
    )
    print(
        f"gunicorn.conf.py ({machine['gunicorn']}), WORKERS={opts.workers}; medians of "
        f"{opts.runs} run(s), each a fresh server; wrk figures {opts.seconds} s each; "
        f"CSV {opts.csv_rows:,} rows; {opts.screens:,} distinct screen bodies"
    )
    print()
    print(table([r for r in results if not r.get("skipped")], opts.workers))
    print()
    for result in results:
        label = result["label"]
        for note in result.get("notes", []):
            print(f"{label}: {note}")
        if result.get("failed"):
            print(f"{label}: FAILED {result['failed']}")
        for run_number, run in enumerate(result.get("runs", []), 1):
            for name, problem in run["errors"].items():
                print(f"{label}: run {run_number} {name}: {problem}")
            if run["batch_c1_requests"] < 10:
                # wrk counts only the requests answered within --seconds: with a few slow ones,
                # the rate is coarse (one more or less is a large part of it).
                print(
                    f"{label}: run {run_number} batch c1: only {run['batch_c1_requests']} "
                    f"requests in {opts.seconds} s, p50 {run['batch_c1_p50_ms']:.0f} ms each: "
                    "a coarse figure"
                )
        if result.get("sanity"):
            parts = []
            for kind, tally in result["sanity"].items():
                flagged = sum(n for d, n in tally.items() if d in ("match", "review"))
                parts.append(f"{kind} {flagged}/{sum(tally.values())}")
            print(f"{label}: queries answered match or review, by kind: {', '.join(parts)}")
    print()
    print("targets (medians):")
    for result in results:
        for target in result.get("targets", []):
            print(f"  {result['label']}: {target['line']}")


def _plain(value: Any) -> Any:
    """`value` as strict JSON can hold it: NaN (a figure not measured) becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def main(argv: list[str] | None = None) -> int:
    args, opts, sizes = parse_args(argv)
    if problem := check_tools():
        print(problem, file=sys.stderr)
        return 2
    machine = machine_facts()
    results: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        for label in sizes:
            results.append(run_size(label, work, opts))
    except KeyboardInterrupt:
        print("\ninterrupted: the figures so far", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    machine["load_average_end"] = os.getloadavg()
    print_report(results, machine, opts)
    if args.json:
        document = {
            "machine": machine,
            "options": asdict(opts),
            "sizes": results,
        }
        args.json.write_text(json.dumps(_plain(document), indent=2) + "\n")
        print(f"\nJSON written to {args.json}")
    return 1 if any(r.get("failed") for r in results) or len(results) < len(sizes) else 0


if __name__ == "__main__":
    sys.exit(main())
