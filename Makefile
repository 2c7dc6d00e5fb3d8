# mirbook: the two commands are `make test` and `make book` (see README.md).
# Each does its own set-up and is idempotent: a second run reuses the venv, packages and data.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := $(VENV)/.mirbook-stamps
CACHE := _build/.jupyter_cache
# cache: re-use executed notebooks whose code and mirbook sources are unchanged; force: run all.
BOOK_EXECUTE ?= cache
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg
export MIRBOOK_PROGRESS ?= 1

.PHONY: test book setup system data data-tiny cache-check html bench clean serve strip lab

# ---- the two commands ----------------------------------------------------------------------
test: setup data cache-check
	$(PY) -m pytest tests notebooks --nbval-lax --nbcache=$(CACHE) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory html

book: setup data cache-check
	$(MAKE) --no-print-directory html

# ---- set-up ----------------------------------------------------------------------------------
setup: $(STAMPS)/python system

$(PY):
	$(PYTHON) -m venv $(VENV)

# (re)install only when the dependency list changes; torch stays on its CPU build via constraints
$(STAMPS)/python: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e ".[book]"
	mkdir -p $(STAMPS) && touch $@

system:
	@scripts/system-deps.sh

# The offline corpus (docs: book/datasets.md). Resumable: a second run checks hashes and returns.
data: setup
	$(PY) -m mirbook data build

data-tiny: setup
	$(PY) -m mirbook data build --tiny

# Executed notebooks are cached by the hash of their cells; they must also be re-run when the
# package or the data they use change: drop the cache when those change.
cache-check:
	@mkdir -p _build
	@key=$$(cat $$(git ls-files -co --exclude-standard mirbook | grep '\.py$$' | sort) \
	         $$(find data/cache -maxdepth 2 -name manifest.json 2>/dev/null | sort) | sha256sum); \
	 if [ "$(BOOK_EXECUTE)" = force ] || [ "$$(cat _build/.cache-key 2>/dev/null)" != "$$key" ]; then \
	   rm -rf $(CACHE); fi; \
	 echo "$$key" > _build/.cache-key

html:
	$(VENV)/bin/jupyter-book build . -W --keep-going --all
	@echo "The book is in _build/html/index.html"

# ---- extras ---------------------------------------------------------------------------------
bench: setup
	$(PY) -m mirbook bench

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

strip:
	$(PY) -m nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf _build .pytest_cache
