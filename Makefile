# eventpipe: `make run` ingests the seeds; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ARGS ?= seeds
# Where eventpipe keeps Prefect's home unless told otherwise (see tasks/runtime.py).
PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: run test test-fast lint install install-test clean

# The venv's bundled pip installs trafilatura's lxml extra wrongly: upgrade it first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installer chatter goes to a log, shown only if the install fails. The database of
# the temporary Prefect API that eventpipe's commands start is created here too (7 s),
# not by the first run (see flows/runs.py TEMPORARY_DB).
$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "installing eventpipe into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/python -m pip install --editable . > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; exit 1; }
	@PREFECT_HOME="$(PREFECT_HOME)" \
		PREFECT_SERVER_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$(PREFECT_HOME)/eventpipe-temporary.db" \
		$(BIN)/prefect server database upgrade -y \
		>> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	@echo "installing the test tools into $(VENV) (log: $(VENV)/install-test.log)"
	@$(BIN)/python -m pip install --editable ".[test]" > $(VENV)/install-test.log 2>&1 \
		|| { cat $(VENV)/install-test.log; exit 1; }
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/eventpipe ingest $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-test lint
	$(BIN)/python -m pytest -q

# The developer's loop: ruff check, then every test not marked `slow` (no Prefect, no
# eventpipe subprocess runs, no benchmarks or shared corpus). `make test` stays the whole check.
test-fast: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) .prefect .pytest_cache .mypy_cache .ruff_cache
