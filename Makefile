# Minga — the two commands are `make demo` and `make test`; everything else is a building block.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := minga.settings

.PHONY: install demo serve test test-sqlite test-postgres lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## venv and Python dependencies only

demo: install  ## migrate, generate the demo collective if absent, serve on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/minga demo --size small --if-absent
	$(BIN)/minga serve --host 127.0.0.1 --port 8000

system-deps:  ## Debian packages the tests need (chromium for browser tests, postgresql for the PG run)
	@bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check minga tests bench
	$(BIN)/ruff format --check minga tests bench
	$(BIN)/mypy minga

test-sqlite: install
	$(BIN)/python -m pytest -q

test-postgres: install system-deps
	MINGA_TEST_DATABASE=postgres $(BIN)/python -m pytest -q -m "not e2e"

test: install system-deps lint test-sqlite test-postgres  ## the whole suite, on SQLite and PostgreSQL

bench: install  ## every benchmark; one JSON line per figure
	$(BIN)/minga bench all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
