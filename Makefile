# omtui: `make run` to try it on a demo club, `make test` to run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
STAMP := $(VENV)/.installed

.PHONY: run test bench screenshots lint format clean messages catalogue

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	$(BIN)/omtui demo --db $(DEMO_DB)

run: $(STAMP) $(DEMO_DB)  ## open the app on the demo club
	$(BIN)/omtui --db $(DEMO_DB)

test: $(STAMP)  ## the whole test suite (lint and type check included)
	$(BIN)/ruff check omtui tests screenshots
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)  ## speed benchmarks, printed as a table of medians and ratios
	$(BIN)/pytest tests/benchmarks -p no:cacheprovider -s -q --override-ini addopts=

screenshots: $(STAMP)  ## regenerate screenshots/*.svg from the demo club
	$(BIN)/python screenshots/make.py

# Translations (Babel): `make messages` extracts every _()/ngettext() and CLI docstring into
# omtui/locale/omtui.pot and merges it into each omtui.po (new strings arrive untranslated);
# translate them, then `make catalogue` compiles the .mo files that ship in the wheel.
POT := omtui/locale/omtui.pot
BABEL_EXTRACT := -F babel.cfg -k N_ --add-location=file --sort-output --no-wrap \
	--project=omtui --copyright-holder="omtui contributors"

messages: $(STAMP)  ## extract the strings and update omtui/locale/*/LC_MESSAGES/omtui.po
	$(BIN)/pybabel extract $(BABEL_EXTRACT) -o $(POT) omtui
	$(BIN)/pybabel update -i $(POT) -d omtui/locale -D omtui --no-fuzzy-matching --ignore-obsolete --no-wrap

catalogue: $(STAMP)  ## compile the .po catalogues into the .mo files omtui loads
	$(BIN)/pybabel compile -d omtui/locale -D omtui --statistics

lint: $(STAMP)
	$(BIN)/ruff check omtui tests screenshots
	$(BIN)/ruff format --check omtui tests screenshots

format: $(STAMP)
	$(BIN)/ruff check --fix omtui tests screenshots
	$(BIN)/ruff format omtui tests screenshots

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache
