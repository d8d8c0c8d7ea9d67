# Etalase: `make run` runs the platform, `make test` runs the whole suite, `make bench` the benchmarks,
# `make load` the load test (1 against 2 replicas of search and gateway).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
STAMP  := $(VENV)/.installed

.PHONY: install browser node run test test-fast fuzz bench load lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

# The browser tests drive Debian's chromium (Playwright's own browser download cannot work
# offline); CHROMIUM_PATH points the tests at another binary.
CHROMIUM ?= $(or $(CHROMIUM_PATH),$(shell command -v chromium),/usr/bin/chromium)
# From npm (pinned in package.json/package-lock.json): axe-core, injected into pages by the
# accessibility tests, and swagger-ui-dist, the API reference page /api/docs (make run needs
# it); npm itself comes from Debian when it is missing.
NODE_STAMP := node_modules/.installed
node: $(NODE_STAMP)
browser: $(NODE_STAMP)
	@test -x $(CHROMIUM) || (echo "installing Debian's chromium for the browser tests" && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || (echo "installing Debian's npm for the API reference and accessibility tests" && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null)
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $(NODE_STAMP)

run: install node
	$(BIN)/etalase run --host $(HOST) --port $(PORT)

# make test runs the suite in two phases (docs/decisions/ci-time.md): first every test but the
# serial ones in PYTEST_WORKERS pytest-xdist processes (a test that shares a platform or an
# index with others of its module runs in the same process, tests/conftest.py), then the
# serial ones, which stop the machine's RabbitMQ, alone. Both phases run; make test fails if
# either failed. PYTEST_ARGS go to both (PYTEST_ARGS that leave a phase without a test are no
# failure; an -m in them replaces the phase's own).
# Two workers, one per core; three were faster on a quiet machine but leave no headroom
# beside a CPU-heavy neighbour (docs/decisions/ci-time.md).
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadgroup
pytest_phase = echo "make test: $(1) phase"; $(BIN)/python -m pytest $(2) $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ] && [ -n "$(strip $(PYTEST_ARGS))" ]; then code=0; fi; \
	[ $$code -eq 0 ] || failed="$$failed $(1)"

test: install browser lint
	@failed=""; \
	$(call pytest_phase,parallel,$(XDIST) -m "not serial"); \
	$(call pytest_phase,serial,-m serial); \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed phase"; exit 1; fi

# ruff (pyflakes, import order), the import contracts in pyproject.toml (a service never
# imports another), and strict mypy on shared/ (the shapes that cross service boundaries).
lint: install
	$(BIN)/ruff check services shared tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# The suite without PostgreSQL, the end-to-end and the browser tests, for a quick local loop
# (in parallel; the serial tests are end-to-end ones).
test-fast: install
	$(BIN)/python -m pytest $(XDIST) --no-postgres -m "not e2e and not serial" $(PYTEST_ARGS)

# schemathesis against a real platform, far longer than the bounded run inside make test.
FUZZ_EXAMPLES ?= 200
fuzz: install
	ETALASE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider -s tests/e2e/test_fuzz_api.py $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/freshness.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/relevance.py --compare-stemmers
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/index_load.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/search.py --sizes 100000 --postgres --indexing-only
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/promotion.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/backup.py

# A bounded load test on loopback (bench/load.py): search, product pages and writes against
# 1 and then 2 replicas of search and gateway, LOAD_SECONDS of mix each (about 4 minutes in
# all at 60), side by side with a raw baseline. Not part of make test or make bench.
LOAD_SECONDS ?= 60
LOAD_CLIENTS ?= 8
load: install
	$(BIN)/python bench/load.py --seconds $(LOAD_SECONDS) --clients $(LOAD_CLIENTS)

clean:
	rm -rf var .pytest_cache
