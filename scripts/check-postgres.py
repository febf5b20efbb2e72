"""Is there a PostgreSQL server for the store tests? Exit 0 when one answers.

The store tests connect to 127.0.0.1:5432 as `postgres` (else as the current user), or to
`VS_TEST_POSTGRES_URL` when set. When none answers this prints why and exits 1 under CI
(`CI=true`), where the PostgreSQL tests must run; elsewhere it warns and exits 0, and those
tests are skipped.

    .venv/bin/python scripts/check-postgres.py
"""

from __future__ import annotations

import getpass
import os
import sys

import psycopg


def candidates() -> list[str]:
    override = os.environ.get("VS_TEST_POSTGRES_URL")
    if override:
        return [override]
    users = dict.fromkeys(("postgres", getpass.getuser()))
    return [f"postgresql://{user}@127.0.0.1:5432/postgres" for user in users]


def main() -> int:
    problems = []
    for url in candidates():
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                version = conn.execute("SHOW server_version").fetchone()
            print(f"PostgreSQL {version[0] if version else '?'} answers at {url}")
            return 0
        except psycopg.Error as exc:
            problems.append(f"  {url}: {str(exc).strip()}")
    print("no PostgreSQL server for the store tests:", *problems, sep="\n", file=sys.stderr)
    if os.environ.get("CI", "").lower() == "true":
        print("CI=true: the PostgreSQL store must be tested; failing.", file=sys.stderr)
        return 1
    print("the PostgreSQL store tests will be skipped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
