"""The benchmarks' own tests (`make bench-test`; not part of `make test`).

They check the measuring tools, not the service: that the generated lists are what the service
reads, that the harness's wrk scripts and /proc readers report what happened, and that each
script's arithmetic holds. The scripts import one another by name (`import harness`), as they
do when run from `benchmarks/`; the PostgreSQL fixtures are the product suite's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import pg_admin_url  # noqa: F401 - a fixture, used by name

BENCHMARKS = Path(__file__).resolve().parent.parent
# After the import above: `tests` is the repository's test package, not this folder.
sys.path.insert(0, str(BENCHMARKS))
