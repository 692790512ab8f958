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

.PHONY: help venv book notebooks html pdf test lint unit nbval browser lab lab-notebooks lab-source lab-test bench clean

help:
	@echo "make book   build the book into $(BUILD)/html (quick mode, execution cache), with learner notebooks,"
	@echo "            slides and the student PDF (make pdf: the PDF alone, printed by /usr/bin/chromium)"
	@echo "make test   ruff, unit tests, book build (-W), nbval (re-run chapters), real-browser test"
	@echo "make lab    JupyterLab on the learner notebooks (lab/: numbers filled in, no solutions; make lab-test)"
	@echo "make lab-source  JupyterLab on the chapters' MyST sources, for authors (jupytext)"
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
	@uv=$$(command -v uv || echo $(BIN)/uv); \
	if { test -x $$uv || $(BIN)/python -m pip install --quiet uv 2>&1 | $(PIP_QUIET); } \
	    && VIRTUAL_ENV=$(VENV) $$uv pip install --quiet $(UV_FLAGS) -r $(LOCK) \
	    && VIRTUAL_ENV=$(VENV) $$uv pip install --quiet $(UV_FLAGS) -e .; then echo "installed with uv"; \
	else echo "uv unavailable or failed: installing with pip"; \
	  $(BIN)/python -m pip install --quiet -r $(LOCK) 2>&1 | $(PIP_QUIET); \
	  $(BIN)/python -m pip install --quiet -e . 2>&1 | $(PIP_QUIET); fi
	@touch $@

venv: $(STAMP)

# ---------------------------------------------------------------------------------------------- book
# The book's build tooling (learner notebooks, slides, PDF) is the package nodebook_build in book/_tools/,
# not part of nodebook (what `pip install .` gives a learner): the Sphinx extension and the course page put
# book/_tools on sys.path themselves, the steps below run it with BOOK_TOOLS.
BOOK_TOOLS := PYTHONPATH="$(CURDIR)/book/_tools$${PYTHONPATH:+:$$PYTHONPATH}" $(BIN)/python -m nodebook_build
# Learners' notebooks and slides are written by the HTML build itself (book/_ext/nodebook_course.py, at the
# end, when the execution cache holds every chapter's numbers): $(BUILD)/notebooks/<chapter>.ipynb
# (instructor copies), $(BUILD)/notebooks/student/ (no solutions) and, in the site, notebooks/ + slides/.
notebooks: html

# The execution cache is keyed on a chapter's code only. The chapters' numbers come from the package, so
# when the package (or the installed requirements) changed, the cached outputs may be stale: start over.
# (The book's tooling, book/_tools/nodebook_build, makes the notebooks, slides and PDF from the executed
# chapters: not a chapter input, and not in the package.)
PACKAGE_SOURCES := $(shell find src/nodebook -name '*.py' 2>/dev/null)
# The chapters also read the committed reference runs: a new results file must reach their pages too.
RESULT_FILES := $(wildcard results/ch?.json)
CACHE_STAMP := $(BUILD)/.cache-matches-package
$(CACHE_STAMP): $(PACKAGE_SOURCES) $(RESULT_FILES) $(STAMP)
	@if [ -d $(BUILD)/.jupyter_cache ]; then echo "src/nodebook, results/ or requirements changed: re-executing the chapters"; \
	  rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees; fi
	@mkdir -p $(@D) && touch $@

html: $(STAMP) $(CACHE_STAMP)
	$(JB) build . $(JB_FLAGS)

# The whole book as one PDF, student edition (solutions left out), printed offline by the Chromium the
# browser test uses. Without /usr/bin/chromium it says so, skips, and the pages say there is no PDF instead
# of linking to one (under CI=true it fails).
pdf: html
	$(BOOK_TOOLS) pdf --html $(BUILD)/html

book: html pdf
	@echo
	@echo "The book: $(CURDIR)/$(BUILD)/html/index.html  (file://$(CURDIR)/$(BUILD)/html/index.html)"
	@echo "Notebooks: $(CURDIR)/$(BUILD)/notebooks/ (instructor), $(CURDIR)/$(BUILD)/notebooks/student/"
	@echo "Slides: $(CURDIR)/$(BUILD)/html/slides/"
	@if [ -f $(BUILD)/html/nodebook-student.pdf ]; then echo "PDF: $(CURDIR)/$(BUILD)/html/nodebook-student.pdf"; \
	  else echo "PDF: skipped (no /usr/bin/chromium to print it: apt-get install -y chromium, then make book)"; fi

# ---------------------------------------------------------------------------------------------- checks
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks book

unit: $(STAMP)
	$(BIN)/pytest tests --ignore=tests/browser

# A stuck cell fails fast everywhere: the book build's per-cell limit is _config.yml's execute.timeout,
# nbval gets the same one (its failure names the notebook and the cell), and pytest-timeout (pyproject)
# stops any test, nbval cells included, at 300 s.
CELL_TIMEOUT := $(shell sed -n 's/^[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\).*/\1/p' _config.yml | head -n 1)

# nbval re-executes the notebooks Jupyter Book executed; cells tagged nbval-check-output (a chapter's
# glued key numbers) must reproduce exactly, so this also proves a chapter is deterministic under its seed.
# The reference notebooks come from the execution cache, not $(BUILD)/jupyter_execute: myst-nb strips
# the glue outputs from the latter, so tagged glue cells could never match (book/_tools/executed_notebooks.py).
nbval: html
	@test -n "$(TOC_CHAPTERS)" || { echo "no chapters in _toc.yml"; exit 1; }
	@rm -rf $(BUILD)/nbval
	@$(BIN)/python book/_tools/executed_notebooks.py $(BUILD)/nbval/chapters $(TOC_CHAPTERS) >/dev/null
	NODEBOOK_MODE=quick $(BIN)/pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) \
	  -p no:cacheprovider $(BUILD)/nbval/chapters

browser: html pdf
	$(BIN)/pytest tests/browser/test_book.py

# Two cores: the unit tests run beside the book build, then nbval beside the browser test (-Oline keeps each
# line whole). The second half reads the book the first half built: `-o html -o pdf` keeps it from building
# the site and printing the PDF again (about a minute). Every step is also a target of its own (`make unit`,
# `make nbval`, ...), which builds what it needs.
test: lint
	@$(MAKE) --no-print-directory -j2 -Oline unit book
	@$(MAKE) --no-print-directory -j2 -Oline -o html -o pdf nbval browser
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

# `make lab`: the learner notebooks (the student copies the site publishes: glued numbers filled in from
# the book's execution cache, solutions left out), written on demand into $(LAB_DIR)/. A notebook already
# there is the student's work and is kept (delete it to get a fresh copy). With no executed book yet, the
# book is built first (that is where the numbers come from).
LAB_DIR := lab
lab-notebooks: $(STAMP)
	@test -d $(BUILD)/.jupyter_cache || $(MAKE) -o $(STAMP) html
	@$(BOOK_TOOLS) notebooks --out $(BUILD)/notebooks
	@mkdir -p $(LAB_DIR); for nb in $(BUILD)/notebooks/student/*.ipynb; do \
	  test -e $(LAB_DIR)/$$(basename $$nb) || cp $$nb $(LAB_DIR)/; done
	@echo "learner notebooks in $(LAB_DIR)/ (authors: make lab-source opens the MyST sources)"

LAB_FLAGS = --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)
lab: $(LAB_STAMP) lab-notebooks
	$(BIN)/jupyter lab --LabApp.default_url=/lab/tree/$(LAB_DIR) $(LAB_FLAGS)

# For authors: chapters/*.md (the single source) open as notebooks through jupytext; glue roles and
# solutions show as MyST there, which is why students get the generated notebooks.
lab-source: $(LAB_STAMP)
	$(BIN)/jupyter lab --LabApp.default_url=/lab/tree/chapters $(LAB_FLAGS)

# JupyterLab in the browser: a learner notebook runs all its cells and shows no glue key or solution, and a
# chapter's source opens as a notebook (not part of `make test`: lab is an extra).
lab-test: $(LAB_STAMP)
	$(BIN)/pytest tests/browser/test_lab.py

bench: $(STAMP)
	$(BIN)/python benchmarks/solvers.py
	$(BIN)/python benchmarks/examples.py

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
