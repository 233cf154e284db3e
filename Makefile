# The two commands a newcomer needs are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
EMULATOR_PORT ?= 8010

.PHONY: run test chromium bench lint format install clean

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

# PostgreSQL and Redis: the embedded ones (smsapp/embedded.py, data under var/) unless
# DATABASE_URL / REDIS_URL name servers; they run as long as the command does.
run: export DEBUG ?= 1
run: export APP_PORT := $(PORT)
run: export EMULATOR_PORT := $(EMULATOR_PORT)
run: install
	@$(BIN)/python -m smsapp.embedded -- sh -c '\
	  $(BIN)/python manage.py migrate --noinput && \
	  $(BIN)/python manage.py seed_demo && \
	  $(BIN)/python manage.py demo_banner && \
	  exec $(BIN)/honcho start'

# Each run starts a PostgreSQL and a Redis of its own (tests/settings.py) unless DATABASE_URL /
# REDIS_URL name servers. The browser tests drive Debian's Chromium: installed here when missing.
test: install chromium
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

chromium:
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: the browser tests will be skipped (apt-get install chromium)"; fi; }

bench: install
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && apt-get install -y -qq wrk >/dev/null; } || echo "wrk is missing: the load benchmarks will say so"
	$(BIN)/python -m smsapp.embedded -- $(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var staticfiles
