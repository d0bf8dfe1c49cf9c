# G2P for Odoo — the commands. See README.md.
.PHONY: help setup demo test lint format clean
VENV ?= .venv
export VENV

help:
	@echo "make demo   - set up, create database g2p_demo with demo data, serve http://localhost:8069"
	@echo "make test   - set up, fresh test database with every addon, run the whole test suite"
	@echo "make lint   - ruff check and format check"
	@echo "make setup  - only create the virtualenv and install dependencies"

setup:
	scripts/setup.sh

demo:
	scripts/demo.sh

test:
	scripts/test.sh $(ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix . ; $(VENV)/bin/ruff format .

clean:
	rm -rf .venv .local
