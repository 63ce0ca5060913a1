# pagesieve: `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: serve test lint bench evaluate train build-data clean screenshots

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,train]'
	@touch $(STAMP)

## Run the service (gunicorn) with the committed model and an SQLite queue.
serve: $(STAMP)
	$(PY) -m service serve --host $(HOST) --port $(PORT)

## Run the whole test suite (unit, API, CLI, storage on SQLite and PostgreSQL, browser, load).
test: $(STAMP)
	$(PY) tests/prepare.py
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check service training tests

## Speed and memory: pages/s per core, p50/p99 latency in-process and over HTTP, peak RSS.
bench: $(STAMP)
	$(PY) -m service bench

## Seed a demo review queue from the seed pages and save docs/review-{list,item}.png (headless Chromium).
screenshots: $(STAMP)
	$(PY) tests/prepare.py --screenshots
	$(PY) tests/screenshots.py

## Rebuild the composed training set from ../shared/data.
build-data: $(STAMP)
	$(PY) -m training build

## Retrain, tune thresholds, evaluate, and write models/ and reports/.
train: $(STAMP)
	$(PY) -m training train

## Evaluate the committed model and the baselines; write reports/.
evaluate: $(STAMP)
	$(PY) -m training evaluate

clean:
	rm -rf $(VENV) var .pytest_cache
