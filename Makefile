# cdpadmin — the two commands: `make run` and `make test`.
# With DATABASE_URL unset both use an embedded PostgreSQL (the `trial` extra): `make run` keeps
# its data in .cdpadmin/pgdata, `make test` uses a throwaway server.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cdpadmin
CHROMIUM := /usr/bin/chromium

.PHONY: run test bench serve install lint clean chromium
AXE := tests/e2e/node_modules/axe-core/axe.min.js

$(VENV)/.installed: pyproject.toml
	@echo "Installing cdpadmin and its dependencies into $(VENV) (quiet; a minute the first time)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --quiet --quiet --upgrade pip
	@$(PIP) install --quiet --quiet -e '.[dev,trial]'
	@touch $@

install: $(VENV)/.installed

# axe-core for the accessibility pass, from the npm registry at the version the lock file pins.
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@echo "Installing axe-core from the npm registry into tests/e2e/node_modules..."
	@npm ci --prefix tests/e2e --no-audit --no-fund --silent
	@touch $@

# Migrate, then start the sandbox (trial mode only), a job worker and the app.
run: install
	@$(PY) manage.py run_stack

# The browser journeys need Debian's Chromium: installed here when running as root.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's Chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium', then make test again." >&2; \
	    exit 1; \
	  fi; }

# The whole suite: against DATABASE_URL when set, else a throwaway embedded PostgreSQL.
test: chromium install $(AXE)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) -m pytest; \
	else $(PY) -m cdpadmin.trialdb $(PY) -m pytest; fi

bench: install
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	LOG_LEVEL=WARNING DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(PY) -m tests.bench

serve: install
	$(PY) manage.py collectstatic --no-input
	$(PY) manage.py migrate --no-input
	$(VENV)/bin/gunicorn cdpadmin.wsgi --workers $${WEB_WORKERS:-3} --threads $${WEB_THREADS:-4} --bind $${BIND:-127.0.0.1:8000}

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) staticfiles .pytest_cache tests/e2e/node_modules
