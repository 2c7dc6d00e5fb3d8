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
BOOK_HTML := _build/html
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MIRBOOK_PROGRESS ?= 1
# The kernels (nbval's and Jupyter Book's) draw figures with the inline backend, whatever the
# caller's shell exports (an inherited MPLBACKEND=Agg makes plt.show() display nothing). Only the
# commands that start kernels get it; tests/test_plot.py checks that figures come out.
# They (and the unit tests, which share the pytest process) also run with one BLAS / OpenMP
# thread (numpy, scikit-learn, torch), whatever ran before them: results that a small network
# amplifies from rounding (a product split over two threads rounds differently) are then the
# same in every `make test`. (Until this was explicit, a Dask
# LocalCluster started by the tests set these variables for every later kernel.)
KERNEL_ENV := MPLBACKEND=module://matplotlib_inline.backend_inline OMP_NUM_THREADS=1 \
	OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: test book setup system data data-tiny cache-check html browser audit bench clean serve strip lab

# ---- the two commands ----------------------------------------------------------------------
# package tests, doctests and every notebook (nbval, which fills the cache), then the HTML book
# rendered from those outputs, then the book read page by page in Chromium (tests/test_browser.py)
test: setup data cache-check
	$(PY) -m mirbook data build --tiny
	$(PY) -m mirbook data audit --tiny
	$(KERNEL_ENV) $(PY) -m pytest tests mirbook notebooks --doctest-modules --nbval-lax --nbcache=$(CACHE) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory html
	$(MAKE) --no-print-directory browser

book: setup data cache-check
	$(MAKE) --no-print-directory html
	$(MAKE) --no-print-directory browser

# ---- set-up ----------------------------------------------------------------------------------
setup: $(STAMPS)/python system

$(PY):
	$(PYTHON) -m venv $(VENV)

# (re)install only when the dependency list changes; torch stays on its CPU build via constraints.
# basic-pitch (chapter 12's pretrained transcriber, its ONNX model inside the wheel) goes in
# with --no-deps: it declares TensorFlow, not needed for ONNX and a numpy downgrade.
$(STAMPS)/python: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e ".[book]"
	$(PY) -m pip install -q --no-deps -c constraints.txt basic-pitch
	mkdir -p $(STAMPS) && touch $@

system:
	@scripts/system-deps.sh

# The offline corpus (docs: book/datasets.md). Resumable: a second run checks hashes and returns.
data: setup
	$(PY) -m mirbook data build

data-tiny: setup
	$(PY) -m mirbook data build --tiny

# Executed notebooks are cached by the hash of their cells; they must also be re-run when what
# they call or read changes: the package, pyproject, constraints, conftest and the corpus
# manifests under $$MIRBOOK_DATA (mirbook/_cachekey.py, tested in tests/test_cachekey.py).
cache-check:
	$(PY) -m mirbook._cachekey --stamp _build/.cache-key --cache $(CACHE) $(if $(filter force,$(BOOK_EXECUTE)),--force)

html:
	$(KERNEL_ENV) $(VENV)/bin/jupyter-book build . -W --keep-going --all
	@echo "The book is in $(BOOK_HTML)/index.html"

# every page of the built book in headless Chromium, served on 127.0.0.1 (no network)
browser:
	$(PY) -m pytest tests/test_browser.py --book=$(BOOK_HTML) -p no:cacheprovider $(PYTEST_ARGS)

# ---- extras ---------------------------------------------------------------------------------
# the shortcut audit of the full corpus (book/datasets.md shows its table)
audit: data
	$(PY) -m mirbook data audit

bench: setup
	$(PY) -m mirbook bench

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory $(BOOK_HTML) 8000

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

strip:
	$(PY) -m nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf _build .pytest_cache
