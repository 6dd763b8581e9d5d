# fwconsole: `make demo` and `make test` do all the set-up (see README.md).
#
#   make demo    virtual environment, migrations, the bundled demo, then the web
#                server, a Celery worker and beat on http://$(HOST):$(PORT)/
#   make test    dev tools, system packages, ruff, the Samba DC, the whole suite
#                on PostgreSQL + Redis + a real worker + Chromium
#   make lint    ruff format --check and ruff check
#   make fmt     ruff format and ruff check --fix
#   make lock    recompile requirements/*.txt (hashed) from requirements/*.in
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv venv-dev demo test lint fmt lock bench-sync bench-dashboard bench-whatif

# ---------------------------------------------------------------------------
# Virtual environment: base.txt for the demo, dev.txt on top for the tests.

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: fwconsole needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "$(PYTHON) is not Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	scripts/ensure-system-packages.sh build
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(PY)
	scripts/ensure-system-packages.sh build
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/base.txt -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

venv: $(VENV)/.base-installed

venv-dev: $(VENV)/.dev-installed

# ---------------------------------------------------------------------------
# The demo: embedded defaults (SQLite in ./var, kombu's filesystem broker) unless
# DATABASE_URL / FWCONSOLE_BROKER_URL name PostgreSQL and Redis.

demo: $(VENV)/.base-installed
	HOST=$(HOST) PORT=$(PORT) scripts/demo.sh

# ---------------------------------------------------------------------------
# The suite runs on the real services. Each default below gives way to the
# environment, so a developer sharing the machine sets their own names.

test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fwconsole
test: export FWCONSOLE_TEST_DATABASE_NAME ?= test_fwconsole
test: export FWCONSOLE_BROKER_URL ?= redis://127.0.0.1:6379/15
test: export FWCONSOLE_TASK_QUEUE ?= fwconsole_test
# tests/conftest.py fails the run unless the database is PostgreSQL and the
# broker Redis, and names the command that starts a missing one.
test: export FWCONSOLE_TEST_REQUIRE_SERVICES = 1
test: $(VENV)/.dev-installed
	scripts/ensure-system-packages.sh all
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	scripts/samba-dc.sh start
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Directory sync against 20,000 computers, 10,000 users and 2,000 nested groups
# in the Samba DC (loaded once, then kept): reports times against ldapsearch and
# peak memory into bench/out/sync.json. Not part of `make test`.
bench-sync: $(VENV)/.dev-installed
	scripts/samba-dc.sh start
	$(PY) bench/sync_bench.py

# The dashboard (home page and chart data) on 50,000 generated machines, in a
# database of its own: cold build and warm 50th/95th percentiles with query
# counts into bench/out/dashboard.json. `make bench-whatif` runs it too.
bench-dashboard: $(VENV)/.dev-installed
	$(PY) bench/bench_dashboard.py

# The what-if evaluator on 50,000 generated computers and 5,000 groups nested 8
# deep, in a database of its own: one evaluation and the what-if page (50th/95th
# percentiles), who-can-reach over every machine for each server, and an impact
# preview, into bench/out/whatif.json. Not part of `make test`.
bench-whatif: bench-dashboard
	$(PY) bench/bench_whatif.py

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Hashes for Python 3.11 whatever Python runs uv; uv must use the machine's own
# interpreter and never download one.
lock: $(VENV)/.dev-installed
	cd requirements && UV_PYTHON_DOWNLOADS=never ../$(VENV)/bin/uv pip compile base.in \
	  --python-version 3.11 --python "$$(command -v $(PYTHON))" --generate-hashes \
	  --custom-compile-command "make lock" -o base.txt -q
	cd requirements && UV_PYTHON_DOWNLOADS=never ../$(VENV)/bin/uv pip compile dev.in \
	  --python-version 3.11 --python "$$(command -v $(PYTHON))" --generate-hashes \
	  --custom-compile-command "make lock" -o dev.txt -q
