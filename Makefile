# Callbook's one task runner. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
RUFF := $(VENV)/bin/ruff
# Empty: every folder in ../shared/corpus/ (one corpus each).
CORPUS ?=
CORPORA_DIR ?= ../shared/corpus

# Local development runs with DEBUG on and a throwaway secret key.
export DEBUG ?= true

.PHONY: help install run serve bench bench-notebook test test-sqlite test-postgres lint fmt migrate demo clean corpus-check assets

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3.11 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet ".[dev]"
	touch $@

install: $(VENV)/.installed ## Create .venv and install the app with its dev tools

migrate: install ## Apply migrations to the database in DATABASE_URL (SQLite by default)
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo community and create the admin login
	$(PY) manage.py seed_demo

# The demo shows its invented community's name (COMMUNITY_NAME, see .env.example).
# The notices worker runs beside the server as a second process and stops with it;
# with DEBUG on, its e-mails are printed to this terminal.
run: export COMMUNITY_NAME ?= Example Widget Community
run: demo ## Set up everything and serve the site on http://127.0.0.1:8000 (with the notices worker)
	@$(PY) manage.py notices_worker --no-reload --no-startup-delay -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# `make serve` is production: DEBUG off unless set in the environment or on the command line.
serve: DEBUG := $(if $(filter environment command,$(firstword $(origin DEBUG))),$(DEBUG),false)
serve: install ## Production server: collectstatic, migrate, cache table, gunicorn (pages; + live on LIVE_BIND) + notices worker (env: .env.example)
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	@pids=""; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	if [ "$${NOTICES_WORKER:-true}" = true ]; then \
	  $(PY) manage.py notices_worker --no-reload & pids="$$pids $$!"; \
	fi; \
	if [ -n "$${LIVE_BIND:-}" ]; then \
	  SERVE=live BIND="$$LIVE_BIND" WEB_CONCURRENCY=$${LIVE_CONCURRENCY:-1} \
	    $(VENV)/bin/gunicorn -c config/gunicorn.conf.py & pids="$$pids $$!"; \
	  SERVE=pages $(VENV)/bin/gunicorn -c config/gunicorn.conf.py; \
	else \
	  $(VENV)/bin/gunicorn -c config/gunicorn.conf.py; \
	fi

bench: install ## Load-test small and large synthetic communities with wrk, direct and through nginx; writes bench-results.json
	@for tool in wrk nginx; do \
	  PATH="$$PATH:/usr/sbin" command -v $$tool >/dev/null && continue; \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "bench: installing $$tool from Debian's packages"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null; \
	  else echo "bench: $$tool is missing: sudo apt-get install $$tool"; exit 2; fi; \
	done
	@status=0; tests/with_postgres.sh tests/with_redis.sh $(PY) tests/bench/run.py || status=$$?; \
	if [ $$status -eq 3 ]; then echo "!!! bench needs PostgreSQL server binaries (apt-get install postgresql) !!!"; fi; \
	exit $$status
	@$(MAKE) --no-print-directory bench-notebook

bench-notebook: install ## Live notebook rows: 20 editors + 200 followers on 2 app servers; writes bench-notebook.json
	tests/with_postgres.sh tests/with_redis.sh $(PY) tests/bench/notebook.py

test: install ## Run the whole suite on SQLite, then on a throwaway PostgreSQL
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: install ## Run the suite on SQLite only
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(RUFF) check .
	$(RUFF) format --check .
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: install ## Run the suite on a throwaway PostgreSQL cluster and Redis server
	@status=0; tests/with_postgres.sh tests/with_redis.sh $(PYTEST) $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 3 ]; then \
	  echo "!!! PostgreSQL server binaries not found: the suite ran on SQLite only !!!"; \
	  if [ "$$CI" = "true" ]; then exit 1; fi; \
	else exit $$status; fi

assets: ## Rebuild the live notebook's browser bundle (needs Node and npm; the result is committed)
	cd assets && npm ci --no-audit --no-fund && npm run build

lint: install ## ruff check and format check
	$(RUFF) check .
	$(RUFF) format --check .

fmt: install ## Format and autofix with ruff
	$(RUFF) format .
	$(RUFF) check --fix .

corpus-check: install ## Import each corpus (CORPUS=, default every folder of ../shared/corpus) on a throwaway PostgreSQL; check loss, round trip, exports
	@dirs="$(CORPUS)"; [ -n "$$dirs" ] || dirs="$$(ls -d $(CORPORA_DIR)/*/ 2>/dev/null)"; \
	if [ -z "$$dirs" ]; then echo "corpus-check: no corpus folder in $(CORPORA_DIR)"; exit 1; fi; \
	status=0; for dir in $$dirs; do \
	  echo "== corpus $${dir%/}"; \
	  CORPUS_DIR="$${dir%/}" tests/with_postgres.sh sh -c '$(PY) manage.py migrate --noinput -v 0 && exec $(PY) manage.py corpus_check "$$CORPUS_DIR"' || status=1; \
	done; exit $$status

clean: ## Remove the virtualenv, SQLite database and collected static files
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
