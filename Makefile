# Two commands do everything on a fresh machine:
#   make demo   install into .venv if needed, crawl the sample city, serve the product on :8000
#   make test   install into .venv if needed, bring up Chromium, PostgreSQL and Elasticsearch
#               (installing them as root where missing: scripts/test.sh), run the whole suite
# Installing happens only when pyproject.toml or requirements.lock changed since the last time.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Front-end assets from the npm registry (dashboards/package-lock.json), copied where the pages
# serve them from: nothing is fetched from a CDN at run time.
VENDOR := dashboards/static/vendor
ASSETS := $(VENDOR)/.installed
UV_VERSION := 0.13.8

.PHONY: demo test install lint bench lock es-start es-stop pg-start engines-stop clean

demo: $(STAMP) $(ASSETS)
	$(BIN)/yuqing demo

test: $(STAMP) $(ASSETS)
	scripts/test.sh

install: $(STAMP) $(ASSETS)

$(ASSETS): dashboards/package.json dashboards/package-lock.json
	cd dashboards && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp dashboards/node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp dashboards/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp dashboards/node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf $(VENDOR)/
	cp dashboards/node_modules/@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf $(VENDOR)/
	cp dashboards/node_modules/echarts/LICENSE $(VENDOR)/LICENSE.echarts
	cp dashboards/node_modules/@expo-google-fonts/noto-sans-sc/LICENSE_FONT $(VENDOR)/LICENSE.noto-sans-sc
	@touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock -e .
	@touch $(STAMP)

# Re-pin the whole dependency tree after changing pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements.lock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/sentiment.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/hot_issues.py
	$(BIN)/python bench/alert_latency.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/pages.py

es-start:
	scripts/elasticsearch.sh start

es-stop:
	scripts/elasticsearch.sh stop

pg-start:
	scripts/postgres.sh start

engines-stop:
	scripts/elasticsearch.sh stop
	scripts/postgres.sh stop

clean:
	rm -rf $(VENV) var .pytest_cache
