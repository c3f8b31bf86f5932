# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test lint format bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

.env:
	$(PYTHON) scripts/write_local_env.py .env

# The background worker renders large disclosure packs; it runs beside the server, with its
# memory capped (WORKER_MEMORY_KB), and stops with it.
WORKER_MEMORY_KB ?= 4194304

run: $(VENV)/.installed .env
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	bash -c 'trap "kill 0" EXIT; \
	  (ulimit -v $(WORKER_MEMORY_KB); exec $(PY) manage.py db_worker --interval 2) & \
	  $(PY) manage.py runserver $(HOST):$(PORT)'

worker: $(VENV)/.installed .env
	bash -c 'ulimit -v $(WORKER_MEMORY_KB); exec $(PY) manage.py db_worker'

test: $(VENV)/.installed .env
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed .env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed .env
	$(PY) bench/crypto_bench.py
	$(PY) bench/pdf_bench.py
	$(PY) bench/audit_bench.py

clean:
	rm -rf $(VENV) staticfiles
