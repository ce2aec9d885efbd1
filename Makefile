# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test` (auto: one per core, at most 4).
TEST_WORKERS ?= auto

.PHONY: run serve test lint bench index db-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,charts]"
	touch $(STAMP)

## make run: start the bot on the embedded default (SQLite): Telegram long polling when
## TELEGRAM_BOT_TOKEN is set (in the environment or .env), otherwise the console chat.
run: $(STAMP)
	$(BIN)/trolyso run

## make serve: the webhook server (Telegram, Zalo) on port 8080.
serve: $(STAMP)
	$(BIN)/trolyso serve --host 0.0.0.0 --port 8080

## make test: the whole suite (lint, types, tests): spread over the cores, then the fault
## tests (a real server killed, a database stopped: they time recoveries) one at a time.
PYTEST := $(BIN)/python -m pytest -q
test: $(STAMP) lint
	bash .ci/with-postgres bash -c '$(PYTEST) -n $(TEST_WORKERS) --maxprocesses 4 --dist loadgroup -m "not faults" && $(PYTEST) -m faults'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot intents content storage bench tests

db-upgrade: $(STAMP)
	$(BIN)/trolyso db upgrade

## make index: rebuild the matcher index shipped with the content (after editing content/).
index: $(STAMP)
	$(BIN)/trolyso content index

bench: $(STAMP)
	$(BIN)/python bench/bench_match.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
