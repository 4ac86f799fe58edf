# eventpipe: `make run` ingests the seeds; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ARGS ?= seeds

.PHONY: run test lint install install-test bench clean

# The venv's bundled pip installs trafilatura's lxml extra wrongly: upgrade it first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet --editable ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/eventpipe ingest $(ARGS)

lint: install-test
	$(BIN)/ruff check flows tasks warehouse tests
	$(BIN)/mypy

test: install-test lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .prefect .pytest_cache .mypy_cache .ruff_cache
