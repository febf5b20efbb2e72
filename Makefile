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

.PHONY: run test lint typecheck openapi bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gunicorn --config gunicorn.conf.py 'service:create_app()'

test: $(STAMP)
	$(BIN)/ruff check service tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

openapi: $(STAMP)
	$(BIN)/vessel-screen openapi > openapi.yaml

eval: $(STAMP)
	$(BIN)/python benchmarks/eval_quality.py

bench: $(STAMP)
	$(BIN)/python benchmarks/latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
