# Etalase: `make run` runs the platform, `make test` runs the whole suite, `make bench` the benchmarks.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/etalase run --host $(HOST) --port $(PORT)

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check services shared tests bench

# The suite without PostgreSQL, for a quick local loop.
test-fast: install
	$(BIN)/python -m pytest --no-postgres -m "not e2e" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/freshness.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/search.py

clean:
	rm -rf var .pytest_cache
