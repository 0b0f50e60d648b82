# The two commands: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
# Two workers suit the 2-core NAS and CI; PYTEST_ARGS="-n 0 -k name" runs one test in-process.
PYTEST_ARGS ?= -n 2 --dist loadfile
PY     := $(VENV)/bin/python

# requirements*.txt hold the ranges a maintainer edits; requirements*.lock the exact versions
# and hashes that get installed (`make lock` writes them; docs/operations.md, "Upgrading").
# uv resolves them for every platform and Python 3.11+, from PyPI only.
UV          ?= uv
LOCK_FLAGS  := --universal --python-version 3.11 --generate-hashes \
               --custom-compile-command "make lock"
UPGRADE     ?=

.PHONY: run test lint format clean lock

# A stamp per lock file: a changed lock installs again.
$(VENV)/.runtime: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "HomeOps needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

# The dev lock holds the runtime packages too, at the same versions.
$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

run: $(VENV)/.runtime
	@bin/run

# mypy's django-stubs plugin imports homeops.settings, which makes a data dir: not var/ (as for pytest).
test: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	HOMEOPS_DATA_DIR=.mypy_cache/data $(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# After editing requirements*.txt: `make lock` (keeps every other pin); `make lock
# UPGRADE=--upgrade` moves everything to the newest allowed, `UPGRADE="--upgrade-package django"` one.
lock:
	@command -v $(UV) >/dev/null || { echo "make lock needs uv: $(PY) -m pip install --target /tmp/uv uv, then make lock UV=/tmp/uv/bin/uv"; exit 1; }
	$(UV) pip compile --quiet requirements.txt $(LOCK_FLAGS) $(UPGRADE) -o requirements.lock
	$(UV) pip compile --quiet requirements-dev.txt -c requirements.lock $(LOCK_FLAGS) $(UPGRADE) -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
