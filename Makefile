# The two commands: `make run` serves on the embedded default, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
LISTS_DIR ?= $(CURDIR)/lists

export HOST PORT WORKERS LISTS_DIR

.PHONY: run test lint typecheck openapi docs docs-check bench bench-test bench-latency bench-bulk eval reliability fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gunicorn --config gunicorn.conf.py 'service:create_app()'

test: $(STAMP) browser
	$(BIN)/ruff check service tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest
	$(MAKE) --no-print-directory docs-check

# Debian's chromium for tests/web/test_browser.py, installed where it is missing and can be
# (root with apt-get). Never fails the build: without it the browser tests skip (fail if CI=true).
.PHONY: browser
browser:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    >/dev/null) || echo "could not install chromium: the browser tests will skip"; \
	else echo "no chromium (apt-get install chromium): the browser tests will skip"; fi

# The benchmarks' own tests (benchmarks/tests/): the measuring tools, not the service, so not
# part of `make test`. ruff lints them with the rest of benchmarks/ in `make test`.
bench-test: $(STAMP) wrk
	$(BIN)/pytest benchmarks/tests

# Debian's wrk, for the benchmarks' test that runs their generated wrk script; as for chromium,
# installed where it can be, and without it that test skips (fails if CI=true).
.PHONY: wrk
wrk:
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's wrk for the benchmark harness test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
	    >/dev/null) || echo "could not install wrk: the wrk script test will skip"; \
	else echo "no wrk (apt-get install wrk): the wrk script test will skip"; fi

openapi: $(STAMP)
	$(BIN)/vessel-screen openapi > openapi.yaml

# The docs site (mkdocs.yml, docs/*.md) into site/. --strict: a broken link or anchor, or a page
# missing from the nav, fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

# What `make test` checks of the docs: the configuration table is the one service/settings.py
# gives, and the site builds with --strict.
docs-check: $(STAMP)
	$(BIN)/python scripts/settings_table.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

eval: $(STAMP)
	$(BIN)/python benchmarks/eval_quality.py

# The performance suite (benchmarks/bench.py); options go in BENCH_ARGS, for instance
# `make bench BENCH_ARGS="--quick --sizes real,10000"`.
bench: $(STAMP) bench-tools
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# wrk (the load generator) and curl for `make bench`: Debian's, installed where they are missing
# and can be (root with apt-get); otherwise stop and say what to install.
.PHONY: bench-tools
bench-tools:
	@if command -v wrk >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's wrk and curl for the benchmarks"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl \
	    >/dev/null) || { echo "could not install wrk and curl with apt-get" >&2; exit 1; }; \
	else echo "make bench needs wrk and curl: install them (Debian: apt-get install wrk curl)" >&2; \
	  exit 1; fi

# Sequential single screening from one Python client, with figures by kind of query.
bench-latency: $(STAMP)
	$(BIN)/python benchmarks/latency.py

bench-bulk: $(STAMP)
	$(BIN)/python benchmarks/bulk.py

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz_long.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
