# G2P for Odoo — the commands. See README.md.
.PHONY: help setup demo test bench lint format clean
VENV ?= .venv
export VENV

help:
	@echo "make demo   - set up, create database g2p_demo with demo data, serve http://localhost:8069"
	@echo "make test   - set up, fresh test database with every addon, run the whole test suite"
	@echo "make bench  - set up, run a whole payment cycle through a real server, its jobs and the PH-EE"
	@echo "              simulator, print the table (10,000 households; ARGS=\"--households 250000\")"
	@echo "make lint   - ruff check and format check"
	@echo "make setup  - only create the virtualenv and install dependencies"

setup:
	scripts/setup.sh

demo:
	scripts/demo.sh

test:
	scripts/test.sh $(ARGS)

bench: setup
	$(VENV)/bin/python tests/bench/cycle.py $(ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix . ; $(VENV)/bin/ruff format .

clean:
	rm -rf .venv .local
