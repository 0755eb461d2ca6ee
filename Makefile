# Minga — the two commands are `make demo` and `make test`; everything else is a building block.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest's own exit codes pass through: 1 = tests failed, 5 = no test collected; make fails on both.
PYTEST := $(BIN)/python -m pytest -q --durations=15
# bench/ joins once it holds Python files (mypy refuses a folder without any).
LINT_PATHS := minga tests $(if $(wildcard bench/*.py bench/*/*.py),bench)
export DJANGO_SETTINGS_MODULE := minga.settings
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Steps run one after another even under `make -j`: each prints its own report.
.NOTPARALLEL:
.PHONY: help install demo serve test test-sqlite test-postgres test-e2e lint format bench system-deps clean

help:  ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

# The stamp is newer than pyproject.toml once its dependencies are installed: a second `make install`
# does nothing, and editing pyproject.toml reinstalls.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## the venv and the Python dependencies (again only when pyproject.toml changed)

demo: install  ## migrate, generate the demo collective if absent, serve on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/minga demo --size small --if-absent
	$(BIN)/minga serve --host 127.0.0.1 --port 8000

serve: install  ## serve the existing database on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/minga serve --host 127.0.0.1 --port 8000

system-deps:  ## Debian packages the tests need, installed only when missing (chromium, postgresql)
	@bash scripts/system-deps.sh

lint: install  ## ruff (rules and formatting) and mypy (strict)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy $(LINT_PATHS)

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

test-sqlite: install  ## the whole suite on SQLite, browser walk-throughs included
	$(PYTEST)

test-postgres: install  ## the suite on a throwaway PostgreSQL cluster (browser walk-throughs left to SQLite)
	MINGA_TEST_DATABASE=postgres $(PYTEST) -m "not e2e"

test-e2e: install  ## only the Playwright walk-throughs (screenshots in a temporary folder)
	$(PYTEST) -m e2e

# Every step runs even after one fails, so one run reports everything; the build fails if any did.
test: system-deps install  ## everything CI checks: lint, the suite on SQLite, the suite on PostgreSQL
	@failed=""; \
	for step in lint test-sqlite test-postgres; do \
	  echo "=== make $$step"; \
	  start=$$SECONDS; \
	  $(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	  echo "=== make $$step: $$((SECONDS - start)) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test FAILED:$$failed"; exit 1; fi; \
	echo "make test: lint, SQLite and PostgreSQL runs all passed"

bench: install  ## every benchmark; one JSON line per figure (one of them: minga bench NAME)
	$(BIN)/minga bench all

clean:  ## remove the venv, the demo data and the caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
