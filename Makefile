# The two set-up commands (README): `make demo` and `make test`. Both build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

.PHONY: install demo test lint docs bench
install: $(BIN)/.installed

demo: install
	$(BIN)/python -m cli.demo

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy .

docs: install
	$(BIN)/python starter.py docs

bench: install
	$(BIN)/python bench/lifecycle.py
