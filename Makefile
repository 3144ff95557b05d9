# Barnraise. `make run` serves the demo site with its worker; `make test` runs every test.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint format bench bench-pages bench-large bench-swarm bench-ws bench-soak bench-markdown bench-matching clean

$(PY):
	@PYTHON_BIN=$$(scripts/find-python) && $$PYTHON_BIN -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## Run the site and its background worker on the embedded defaults (SQLite, in-memory channel layer, demo data)
## at http://127.0.0.1:8000; Ctrl-C stops both (Procfile, run by honcho)
run: $(STAMP)
	$(PY) manage.py compile_catalogs -v0
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_swarm
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --port 8000 -f Procfile

## Every test: lint, the suite on SQLite, then the suite on a throwaway PostgreSQL server
test: $(STAMP) lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(PY) manage.py compile_catalogs -v0
	$(PY) -m pytest

test-postgres: $(STAMP)
	$(PY) manage.py compile_catalogs -v0
	BARNRAISE_TEST_DB=postgres $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Benchmarks (not tests): see bench/RESULTS.md
bench: $(STAMP)
	$(PY) -m bench.goals --db postgres

## Per-page detail with query plans (bench.run); bench-large builds the goals' 50,000-thread / 1,000,000-post dataset
bench-pages: $(STAMP)
	$(PY) -m bench.run --db postgres
	$(PY) -m bench.run --db sqlite

bench-large: $(STAMP)
	$(PY) -m bench.goals --db postgres --size large

bench-swarm: $(STAMP)
	$(PY) -m bench.swarm --db postgres
	$(PY) -m bench.swarm --db sqlite

bench-ws: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m bench.ws

## Soak: 10,000 websocket cycles, then 20 minutes of mixed load on two daphne processes, PostgreSQL and Redis
bench-soak: $(STAMP)
	$(PY) -m bench.soak

bench-markdown: $(STAMP)
	$(PY) -m bench.markdown

## Ask suggestions: precision at 5 on bench/matching/pairs.json (seconds, throwaway databases)
bench-matching: $(STAMP)
	$(PY) -m bench.matching --db sqlite
	$(PY) -m bench.matching --db postgres

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .pytest_cache .ruff_cache
