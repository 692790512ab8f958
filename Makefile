# nodebook: the two commands are `make book` and `make test`. Needs only python3 (>= 3.10) on a fresh
# clone; everything else goes into .venv. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nodebook-installed
LAB_STAMP := $(VENV)/.nodebook-lab-installed
BUILD := _build
# The chapters in the book: the `file: chapters/...` entries of _toc.yml, in order.
TOC_CHAPTERS := $(shell sed -n 's|^[[:space:]]*-[[:space:]]*file:[[:space:]]*\(chapters/[^[:space:]]*\).*|\1|p' _toc.yml)
# The site is always executed in quick mode: the execution cache is keyed on a chapter's code, not on
# the mode, so a full-mode build could silently reuse quick outputs. Full runs go through
# `python -m nodebook reproduce <chapter> --mode full`.
JB := NODEBOOK_MODE=quick $(BIN)/jupyter-book
JB_FLAGS := -W -n --keep-going
# pip here points at local mirrors that don't all exist; it says so once per package. Harmless: hide it.
PIP_QUIET := { grep -v -E "^(WARNING: )?Location '.*' is ignored" || true; }
# Extra arguments for `make lab`, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=

.PHONY: help venv book notebooks html test lint unit nbval browser lab lab-test bench clean

help:
	@echo "make book   build the book into $(BUILD)/html (quick mode, execution cache) and learner notebooks"
	@echo "make test   ruff, unit tests, book build (-W), nbval (re-run chapters), real-browser test"
	@echo "make lab    JupyterLab with the chapters opening as live notebooks (make lab-test checks it in chromium)"
	@echo "make bench  benchmarks: solvers.py (nodebook vs torchdiffeq) and examples.py (torchdiffeq's example scripts vs the book)"
	@echo "make clean  remove $(BUILD) and caches (keeps .venv)"

# ---------------------------------------------------------------------------------------------- set-up
# (Re)install only when the pinned requirements or the package metadata change. What is installed is the
# lock file (requirements-lock.txt: every package pinned, made from requirements.txt). uv installs it in
# seconds instead of minutes: it comes from the package index into the venv itself (no global install);
# if uv cannot be had or fails, pip installs the same lock file. uv does not read pip's configuration, so
# pip's find-links (where a local torch CPU wheel may lie) are handed to it.
LOCK := requirements-lock.txt
PIP_FIND_LINKS_CFG := $(strip $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV_FLAGS := $(addprefix --find-links ,$(PIP_FIND_LINKS_CFG))
$(STAMP): requirements.txt $(LOCK) pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing $(LOCK) and nodebook into $(VENV)"
	@if { test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv 2>&1 | $(PIP_QUIET); } \
	    && VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install --quiet $(UV_FLAGS) -r $(LOCK) \
	    && VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install --quiet $(UV_FLAGS) -e .; then echo "installed with uv"; \
	else echo "uv unavailable or failed: installing with pip"; \
	  $(BIN)/python -m pip install --quiet -r $(LOCK) 2>&1 | $(PIP_QUIET); \
	  $(BIN)/python -m pip install --quiet -e . 2>&1 | $(PIP_QUIET); fi
	@touch $@

venv: $(STAMP)

# ---------------------------------------------------------------------------------------------- book
# Learners' copies of the chapters as .ipynb, no outputs (jupytext from the MyST .md sources), plus
# student copies without the solutions in $(BUILD)/notebooks/student/.
notebooks: $(STAMP)
	@$(BIN)/python -m nodebook notebooks --out $(BUILD)/notebooks >/dev/null

# The execution cache is keyed on a chapter's code only. The chapters' numbers come from the package, so
# when the package (or the installed requirements) changed, the cached outputs may be stale: start over.
PACKAGE_SOURCES := $(shell find src/nodebook -name '*.py' 2>/dev/null)
CACHE_STAMP := $(BUILD)/.cache-matches-package
$(CACHE_STAMP): $(PACKAGE_SOURCES) $(STAMP)
	@if [ -d $(BUILD)/.jupyter_cache ]; then echo "src/nodebook or requirements changed: re-executing the chapters"; \
	  rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees; fi
	@mkdir -p $(@D) && touch $@

html: $(STAMP) $(CACHE_STAMP)
	$(JB) build . $(JB_FLAGS)

book: notebooks html
	@echo
	@echo "The book: $(CURDIR)/$(BUILD)/html/index.html  (file://$(CURDIR)/$(BUILD)/html/index.html)"
	@echo "Notebooks for learners: $(CURDIR)/$(BUILD)/notebooks/"

# ---------------------------------------------------------------------------------------------- checks
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks book

unit: $(STAMP)
	$(BIN)/pytest tests --ignore=tests/browser

# nbval re-executes the notebooks Jupyter Book executed; cells tagged nbval-check-output (a chapter's
# glued key numbers) must reproduce exactly, so this also proves a chapter is deterministic under its seed.
# The reference notebooks come from the execution cache, not $(BUILD)/jupyter_execute: myst-nb strips
# the glue outputs from the latter, so tagged glue cells could never match (book/_tools/executed_notebooks.py).
nbval: html
	@test -n "$(TOC_CHAPTERS)" || { echo "no chapters in _toc.yml"; exit 1; }
	@rm -rf $(BUILD)/nbval
	@$(BIN)/python book/_tools/executed_notebooks.py $(BUILD)/nbval/chapters $(TOC_CHAPTERS) >/dev/null
	NODEBOOK_MODE=quick $(BIN)/pytest --nbval-lax --nbval-current-env -p no:cacheprovider $(BUILD)/nbval/chapters

browser: html
	$(BIN)/pytest tests/browser/test_book.py

test: lint unit book nbval browser
	@echo "make test: all green"

# ---------------------------------------------------------------------------------------------- extras
$(LAB_STAMP): requirements-lab.txt $(STAMP)
	@$(BIN)/python -m pip install --quiet -r requirements-lab.txt 2>&1 | $(PIP_QUIET)
	@# Open MyST .md files as notebooks by default (jupytext), for this environment only.
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers":' \
	  '{"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/chapters \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# JupyterLab in the browser: a chapter opens as a notebook and runs (not part of `make test`: lab is an extra).
lab-test: $(LAB_STAMP)
	$(BIN)/pytest tests/browser/test_lab.py

bench: $(STAMP)
	$(BIN)/python benchmarks/solvers.py
	$(BIN)/python benchmarks/examples.py

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
