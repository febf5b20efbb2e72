"""What the benchmarks that drive the service over HTTP share: starting gunicorn exactly as
`make run` does, waiting for /readyz, stopping it, reading its processes' memory from /proc,
and running `wrk` with a generated Lua script whose `done` hook prints exact figures as JSON.

Used by bench.py, latency.py, bulk.py, reliability.py, recording_cost.py, generate.py and the
other scripts' headers (`git_commit`); not a benchmark itself.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
REAL_LISTS = SHARED_DATA / "ofac"
BUNDLED_LISTS = ROOT / "lists"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 40.0  # above gunicorn.conf.py's graceful_timeout (30 s)
WRK = shutil.which("wrk") or "/usr/bin/wrk"


# --- The server -------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]
    started: float  # time.perf_counter() at launch
    startup_s: float = 0.0


def free_port() -> int:
    """A port the kernel reports free now; gunicorn binds it a moment later (tiny race, fine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def isolated_env(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """Settings that keep a benchmark's server off the developer's own state: a throw-away
    DATA_DIR (SQLite audit trail, API keys), no Redis rate limit, no keys file from outside.
    DRAIN_SECONDS=0: a benchmark stops its server only when done with it, and draining would
    add its seconds to every stop."""
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "KEYS_FILE": "",
        "DRAIN_SECONDS": "0",
    }


def start_server(
    lists_dir: Path,
    workers: int,
    env: Mapping[str, str] | None = None,
    config: str = "gunicorn.conf.py",
) -> Server:
    """Launch gunicorn exactly as `make run` does: its config file (a benchmark may name one
    that builds on it), HOST/PORT/WORKERS/LISTS_DIR from the environment, plus `env`."""
    port = free_port()
    full_env = os.environ | {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(workers),
        "LISTS_DIR": str(lists_dir),
    }
    full_env |= dict(env or {})
    gunicorn = Path(sys.executable).parent / "gunicorn"
    # gunicorn logs every request to stdout (accesslog = "-"); an unread pipe would fill and stall
    # the server, so its output goes to a temporary file, shown if start-up fails. It lives as
    # long as the server, so stop_server() closes it rather than a `with` block.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(gunicorn), "--config", config, "service:create_app()"],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own session: a Ctrl-C in the terminal reaches only us, and we stop gunicorn
        # ourselves with SIGTERM in a known order.
        start_new_session=True,
    )
    return Server(proc, port, log, started)


def wait_ready(server: Server, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll GET /readyz until it answers 200; raise if gunicorn exits or `timeout_s` pass."""
    deadline = server.started + timeout_s
    last_answer = "no answer yet"
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.proc.returncode} before ready")
        ready, last_answer = _ready(server.port)
        if ready:
            server.startup_s = time.perf_counter() - server.started
            return
        time.sleep(0.05)  # readiness polling interval, not part of any measurement
    raise RuntimeError(f"/readyz did not answer 200 within {timeout_s:.0f} s; last: {last_answer}")


def _ready(port: int) -> tuple[bool, str]:
    """Whether GET /readyz answers 200, and what it answered (for the failure message)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status == 200, f"{response.status} {body.strip()[:300]}"
    except (OSError, http.client.HTTPException) as exc:  # not listening yet, worker booting
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def launch(
    lists_dir: Path,
    workers: int,
    env: Mapping[str, str] | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
    config: str = "gunicorn.conf.py",
) -> Server:
    """Start and wait for /readyz; on failure print gunicorn's log, stop it and raise."""
    server = start_server(lists_dir, workers, env, config)
    try:
        wait_ready(server, ready_timeout_s)
    except (RuntimeError, KeyboardInterrupt):
        print(log_tail(server), file=sys.stderr)
        stop_server(server)
        raise
    return server


def stop_server(server: Server) -> None:
    """SIGTERM the master (graceful: it stops its workers), wait; SIGKILL our group if stuck."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"gunicorn did not stop within {STOP_TIMEOUT_S:.0f} s; killing it", flush=True)
            # The group is the session we created for gunicorn, so this kills only its processes.
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
    server.log.close()


def log_tail(server: Server, lines: int = 30) -> str:
    """The end of gunicorn's output without access-log lines (our own /readyz polling)."""
    server.log.seek(0)
    text = server.log.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if '"GET /readyz HTTP/1.1"' not in line]
    return "\n".join(kept[-lines:])


def get_json(port: int, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
        return json.loads(body)
    finally:
        conn.close()


def post(
    port: int,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes, float]:
    """POST, read the whole (streamed) answer; status, body and seconds."""
    own = conn is None
    connection = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        chunks = []
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
        return response.status, b"".join(chunks), time.perf_counter() - started
    finally:
        if own:
            connection.close()


def percentile_ms(sorted_ns: Sequence[int], pct: float) -> float:
    """Nearest-rank percentile, in milliseconds: a value that was actually observed."""
    if not sorted_ns:
        return float("nan")
    rank = max(1, math.ceil(len(sorted_ns) * pct / 100))
    return sorted_ns[rank - 1] / 1e6


# --- Processes and memory ---------------------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`: /proc/<pid>/task/*/children, else a scan of /proc/*/stat."""
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
        return sorted(children)
    except OSError:  # kernel built without CONFIG_PROC_CHILDREN
        pass
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; ppid is the 2nd field after its ')'.
            after_comm = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(after_comm[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of `pid`, in KiB, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user and system, all threads) the processes `pids` have used so far; a
    process that has ended counts nothing."""
    user, system = cpu_split(pids)
    return user + system


def cpu_split(pids: Sequence[int]) -> tuple[float, float]:
    """(user, system) CPU seconds, all threads, the processes `pids` have used so far; a
    process that has ended counts nothing. System time is the kernel working for them: system
    calls, waking and switching threads, the loopback network."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        try:
            # utime and stime are the 12th and 13th fields after the command name's ')'.
            after_comm = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        user += int(after_comm[11])
        system += int(after_comm[12])
    return user / tick, system / tick


def voluntary_switches(pids: Sequence[int]) -> int:
    """Times the threads of the processes `pids` have gone to sleep so far (on a lock, the GIL,
    a socket, the disk): each is a trip through the kernel's scheduler and back."""
    total = 0
    for pid in pids:
        try:
            threads = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:  # ended while we looked
            continue
        for thread in threads:
            try:
                status = (thread / "status").read_text()
            except OSError:
                continue
            line = next(x for x in status.splitlines() if x.startswith("voluntary_ctxt_switches"))
            total += int(line.split()[1])
    return total


def machine_seconds() -> tuple[float, float]:
    """(idle, all) core seconds since boot, summed over the cores, from /proc/stat. Idle
    includes waiting for I/O: a core with nothing to run either way."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return (fields[3] + fields[4]) / tick, sum(fields) / tick


def pss_kib(pid: int) -> int:
    """Proportional set size: pages shared with other processes (preload_app's copy-on-write
    index) count in part, so the workers' PSS add up to what they really take together."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # the process ended while we looked
        pass
    return 0


class PssSampler(threading.Thread):
    """Samples, every `interval_s`, the PSS of each gunicorn worker alone and with the processes
    it forked (bulk screening's pool), and keeps the largest of each, per worker: PSS has no
    kernel-kept peak the way RSS has VmHWM."""

    def __init__(self, master: int, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.interval_s = interval_s
        self.peak_kib = 0  # worker plus its children, the largest over all workers
        self.worker_peak_kib: dict[int, int] = {}  # worker alone, by pid
        self.stopped = threading.Event()

    def sample(self) -> None:
        for worker in child_pids(self.master):
            own = pss_kib(worker)
            total = own + sum(pss_kib(c) for c in child_pids(worker))
            self.peak_kib = max(self.peak_kib, total)
            self.worker_peak_kib[worker] = max(self.worker_peak_kib.get(worker, 0), own)

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.sample()

    def stop(self) -> float:
        """Stop sampling; the largest worker-plus-children PSS seen, in MB."""
        self.stopped.set()
        self.join()
        return self.peak_kib / 1024


# --- wrk --------------------------------------------------------------------------------------

# (method, path, body or None) of one request a wrk script cycles through.
WrkRequest = tuple[str, str, bytes | None]

_WRK_JSON = "WRK_JSON "

# done() prints wrk's own counters and its latency histogram's percentiles (microseconds, not the
# rounded "1.23ms" of its text report) as one JSON line that run_wrk() reads.
_LUA_TEMPLATE = """\
-- Written by benchmarks/harness.py (wrk_script): cycles through these requests in turn.
local cycle = {
%(requests)s
}
local prepared = {}
local position = 0
local thread_count = 0

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local headers = {["Content-Type"] = "%(content_type)s"}
  for i, r in ipairs(cycle) do
    if r[3] then
      prepared[i] = wrk.format(r[1], r[2], headers, r[3])
    else
      prepared[i] = wrk.format(r[1], r[2])
    end
  end
  -- `wrk ... -- N` starts the cycle at request N (a run can go on where the last one stopped,
  -- with bodies the server has not seen; wrk calls request() once on its first thread to check
  -- the script, so that thread starts one further); each thread starts elsewhere in the cycle,
  -- so two threads do not send the same body at the same moment (and warm each other's caches).
  local start = tonumber(args[1]) or 0
  position = (start + (thread_number or 0) * 7919) %% #prepared
end

function request()
  position = position %% #prepared + 1
  return prepared[position]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, '
    .. '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%.1f, '
    .. '"p90_us": %%.1f, "p99_us": %%.1f, "p999_us": %%.1f, "max_us": %%.1f, '
    .. '"mean_us": %%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def lua_string(text: str) -> str:
    """`text` as a Lua long string: no escaping, at a level whose closing bracket it lacks."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    # A newline right after the opening bracket would be dropped by Lua; JSON bodies have none
    # at the start, but guard anyway.
    lead = "\n" if text.startswith("\n") else ""
    return f"[{eq}[{lead}{text}]{eq}]"


def wrk_script(requests: Sequence[WrkRequest], content_type: str = "application/json") -> str:
    """A self-contained wrk Lua script that cycles through `requests` (usable on its own:
    `wrk -s script.lua http://127.0.0.1:8000`)."""
    if not requests:
        raise ValueError("a wrk script needs at least one request")
    lines = []
    for method, path, body in requests:
        payload = lua_string(body.decode()) if body is not None else "nil"
        lines.append(f"  {{{lua_string(method)}, {lua_string(path)}, {payload}}},")
    return _LUA_TEMPLATE % {
        "requests": "\n".join(lines),
        "content_type": content_type,
        "marker": _WRK_JSON,
    }


def write_wrk_script(requests: Sequence[WrkRequest], path: Path | None = None) -> Path:
    """Write `wrk_script(requests)` to `path` (a temporary file when None); its path."""
    text = wrk_script(requests)
    if path is None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(text)
        return Path(f.name)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    non2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    p50_ms: float = float("nan")
    p90_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    raw: str = ""

    @property
    def errors(self) -> int:
        return self.non2xx + sum(self.socket_errors.values())


def parse_wrk(output: str) -> WrkResult:
    """The figures of the JSON line our scripts' done() prints; raises when there is none."""
    line = next((x for x in output.splitlines() if x.startswith(_WRK_JSON)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no {_WRK_JSON.strip()} line: {output[-500:]!r}")
    data = json.loads(line[len(_WRK_JSON) :])
    seconds = data["duration_us"] / 1e6
    return WrkResult(
        requests=data["requests"],
        seconds=seconds,
        rate=data["requests"] / seconds if seconds else 0.0,
        # wrk counts an answer with status > 399 as a "status" error ("Non-2xx or 3xx").
        non2xx=data["status"],
        socket_errors={k: data[k] for k in ("connect", "read", "write", "timeout") if data[k]},
        p50_ms=data["p50_us"] / 1e3,
        p90_ms=data["p90_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        raw=output,
    )


def run_wrk(
    port: int,
    script: Path,
    threads: int,
    conns: int,
    seconds: int,
    timeout_s: int | None = None,
    start: int = 0,
) -> WrkResult:
    """`wrk -t -c -d` on 127.0.0.1:`port` with `script`; its figures. `timeout_s` is how long
    wrk waits for an answer before it counts a timeout (None: wrk's default, 2 s); `start` is
    where in the script's cycle of requests to begin."""
    command = [WRK, f"-t{threads}", f"-c{conns}", f"-d{seconds}s"]
    if timeout_s is not None:
        command.append(f"--timeout={timeout_s}s")
    command += ["-s", str(script), f"http://127.0.0.1:{port}", "--", str(start)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + (timeout_s or 2) + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return parse_wrk(done.stdout)


# --- What was measured ------------------------------------------------------------------------


def git_commit() -> str:
    """The commit the figures are of, as `git describe --always --dirty` names it (`-dirty`:
    with changes not committed); "?" outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return done.stdout.strip() or "?"
