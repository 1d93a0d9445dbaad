# The two commands of README.md: `make run` and `make test`. Each sets up everything it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
KB_INSTANCE ?= $(CURDIR)/instance
export KB_INSTANCE
# Where links in the demo's mail point (the web app refuses to start without a base URL outside debug and tests).
KB_BASE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test bench bench-large install translations translations-update browser postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@

install: $(VENV)/.installed

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -D messages

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL for the tests that run on both databases: each run starts a throw-away server of
# its own (kb/testing/postgres.py) as the `postgres` user, on a free port, and removes it afterwards.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

run: translations
	$(BIN)/kb db upgrade
	$(BIN)/kb demo load
	$(BIN)/kb reindex
	KB_BASE_URL=$(KB_BASE_URL) $(BIN)/kb serve --host $(HOST) --port $(PORT)

# Benchmarks (not part of `make test`): writes the table of docs/benchmarks.md. BENCH_ARGS=--quick for a smoke run.
bench: $(VENV)/.installed-bench translations
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The speed part at 300 000 and 1 000 000 tickets against tantivy (printed, not written to the doc): hours
# the first time, for kb's import of the corpora, which later runs reuse (benchmarks/.cache, ~3 GB at 1M).
bench-large: $(VENV)/.installed-bench translations
	$(BIN)/python -m benchmarks --only speed --engines kb,tantivy --sizes 300000,1000000 $(BENCH_ARGS)

test: $(VENV)/.installed-test translations browser postgres
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info

# After changing user-visible strings: refresh the template and both catalogs, then translate the new entries.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location -w 120 -o translations/messages.pot kb webapp
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages -w 120 --no-fuzzy-matching
