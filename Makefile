# Everything a fresh machine with Python 3.11 needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export VENTANILLA_TEST_DATABASE_URL ?= $(PG_TEST_URL)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links and emails name the address the portal is served on, unless configured otherwise.
WITH_BASE_URL := VENTANILLA_BASE_URL=$${VENTANILLA_BASE_URL:-http://$(HOST):$(PORT)}

.PHONY: install install-test frontend chromium pdf-deps wrk migrate demo serve worker test test-fast lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed frontend pdf-deps
install-test: $(VENV)/.installed-test frontend chromium pdf-deps

# Third-party browser code comes from npm at build time, never from the repository.
frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/static/vendor/htmx.min.js: frontend/node_modules/.package-lock.json
	mkdir -p frontend/static/vendor
	cp frontend/node_modules/htmx.org/dist/htmx.min.js $@

# Swagger UI for /docs, served by us (the strict CSP allows no CDN and no inline script).
frontend/static/vendor/swagger-ui/swagger-ui-bundle.js: frontend/node_modules/.package-lock.json
	mkdir -p frontend/static/vendor/swagger-ui
	cp frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
		frontend/node_modules/swagger-ui-dist/swagger-ui.css frontend/static/vendor/swagger-ui/

frontend: frontend/static/vendor/htmx.min.js frontend/static/vendor/swagger-ui/swagger-ui-bundle.js

# Debian's Chromium for the Playwright tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# Invoice PDFs: WeasyPrint's libraries (Pango, HarfBuzz subsetting) and the fonts it embeds, which
# cover Spanish, Vietnamese (Noto Sans, DejaVu) and Chinese/Japanese/Korean names (Noto Sans CJK).
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk \
	fonts-dejavu-core
pdf-deps:
	@missing=$$(for p in $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "invoice PDFs need Pango and these fonts (Debian names): $$missing"; exit 0; \
		fi; \
		echo "installing" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	$(BIN)/ventanilla db upgrade

demo: migrate
	$(WITH_BASE_URL) VENTANILLA_POLICY_FILE=$${VENTANILLA_POLICY_FILE:-docs/policy.example.toml} $(BIN)/ventanilla demo
	$(WITH_BASE_URL) VENTANILLA_POLICY_FILE=$${VENTANILLA_POLICY_FILE:-docs/policy.example.toml} $(BIN)/ventanilla serve --host $(HOST) --port $(PORT)

serve: migrate
	$(WITH_BASE_URL) $(BIN)/ventanilla serve --host $(HOST) --port $(PORT)

worker: migrate
	$(BIN)/ventanilla worker

test: install-test
	$(BIN)/ruff check backend tests e2e bench
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadgroup

test-fast: install-test
	$(BIN)/pytest -x -q tests

lint: install-test
	$(BIN)/ruff check backend tests e2e bench
	$(BIN)/mypy backend

# Refresh the es/en catalogs after changing any text (sorted, no locations: branches merge cleanly).
messages: install-test
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -w 100 --no-location --sort-output -o var/messages.pot . >/dev/null
	$(BIN)/pybabel update -i var/messages.pot -d frontend/locales -w 100 --no-fuzzy-matching --ignore-obsolete
	sed -i '/^"POT-Creation-Date: /d; /^"PO-Revision-Date: /d' frontend/locales/*/LC_MESSAGES/messages.po

# Debian's wrk drives `make bench` (a C load generator: the client is not the bottleneck).
wrk:
	@if ! command -v wrk >/dev/null; then \
		echo "installing Debian's wrk"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; \
	fi

# The portal against bare endpoints, SQLite (1 worker) and PostgreSQL (2 workers): bench/README.md.
BENCH_ARGS ?=
bench: install-test wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor var e2e/artifacts
