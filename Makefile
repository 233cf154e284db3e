# The two commands a newcomer needs are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench lint format install migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the front-end packages: install Node.js 18+"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

install: $(VENV)/.installed node_modules/.installed
	@mkdir -p var

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: export DEBUG ?= 1
run: seed
	@$(BIN)/python manage.py demo_banner --port $(PORT)
	PORT=$(PORT) $(BIN)/honcho start

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && apt-get install -y -qq wrk >/dev/null; } || echo "wrk is missing: the load benchmarks will say so"
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var staticfiles
