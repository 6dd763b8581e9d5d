# fwconsole: `make demo` and `make test` do all the set-up (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: venv test lint fmt

$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/base.txt -r requirements/dev.txt
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(VENV)/bin/pytest
