"""The long fuzz: tests/web/test_fuzz.py with many more examples per operation.

schemathesis generates cases from openapi.yaml and calls an in-process, keyed service; a case
fails on a 500 or an answer off the spec (the excluded checks, and why, are in test_fuzz.py).
This runs that test with FUZZ_EXAMPLES (default 1,000 per operation) and Hypothesis's
statistics, then prints the cases run per operation and the failures.

Usage: .venv/bin/python benchmarks/fuzz_long.py [--examples N]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=1000, help="max examples per operation")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            "-rf",
            "tests/web/test_fuzz.py",
        ],
        cwd=ROOT,
        env=os.environ | {"FUZZ_EXAMPLES": str(args.examples)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    out = proc.stdout + proc.stderr
    print(f"date       {datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"machine    {os.cpu_count()} cores; up to {args.examples} examples per operation")
    print(f"commit     {harness.git_commit()}")
    # Hypothesis statistics: a "<test id>:" line per generated test (schemathesis's ids do not
    # name the operation there, so they are numbered in the order pytest ran them), then per
    # phase "- N passing, M failing, and K invalid test cases".
    total = 0
    runs: list[int] = []
    for line in out.splitlines():
        if re.match(r"^\S*test_api_keeps_its_contract\S*:\s*$", line.strip()):
            runs.append(0)
        elif runs and (m := re.search(r"(\d+) passing, (\d+) failing", line)):
            runs[-1] += int(m[1]) + int(m[2])
    print(f"{'operation (in run order)':<28} {'cases':>7}")
    for number, count in enumerate(runs, 1):
        total += count
        print(f"{number:<28} {count:>7}")
    summary = next(
        (line for line in reversed(out.splitlines()) if re.search(r"passed|failed|error", line)),
        "",
    )
    print(f"total      {total} cases in {elapsed:.0f} s; pytest: {summary.strip()}")
    failures = [line for line in out.splitlines() if line.startswith("FAILED")]
    print(f"failures   {len(failures) or 'none'}")
    for line in failures:
        print(f"  {line}")
    if proc.returncode not in (0, 1):  # 1: a test failed (reported above); others: did not run
        print(out[-3000:], file=sys.stderr)
        return proc.returncode
    if failures:
        print(out[-6000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
