# Set-up on a fresh machine is `make run` (serve the demo) or `make test` (the whole suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format bench clean translations extract-messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compiled catalogues (.mo) are build output, made from the .po files on every run.
translations: $(STAMP)
	@if [ -d subsidy/translations ]; then $(BIN)/pybabel compile -d subsidy/translations; fi

# After changing visible strings: refresh the catalogues, then translate the new entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o subsidy/translations/messages.pot subsidy
	$(BIN)/pybabel update -N -i subsidy/translations/messages.pot -d subsidy/translations

run: $(STAMP) translations
	$(BIN)/subsidy db upgrade
	$(BIN)/subsidy seed-demo
	$(BIN)/subsidy run --host $(HOST) --port $(PORT)

test: $(STAMP) translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, the import contracts in pyproject.toml (layers; pure modules free of Flask and SQLAlchemy;
# pages reading through queries) and the strict type check of the pure modules.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.payment_run
	$(BIN)/python -m bench.obligations_check
	$(BIN)/python -m bench.publish

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
