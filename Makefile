# Two commands do everything on a fresh Debian 12 machine: `make book` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JB := $(BIN)/jupyter-book
STAMP := $(VENV)/.installed
APT_PACKAGES := $(shell grep -v '^\s*\#' apt.txt)
JB_FLAGS := -n -W --keep-going
# Book builds run with the network cut where the kernel allows it (OFFLINE=0 turns this off).
OFFLINE_RUN := scripts/offline.sh
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONHASHSEED := 0
# The edition date (29 November 2026), used for the PDF's dates and the date on the front page
# ({edition-date}); set it to the release day when publishing a new edition.
export SOURCE_DATE_EPOCH := 1795910400
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup apt venv book html pdf book-student outputs test bench dist clean _pdf _student _stale-cache

help:
	@echo "make book     set up, execute every chapter, build HTML (_build/html) and PDF (_build/latex/book.pdf)"
	@echo "make test     set up, build both books, run the whole test suite (unit, data, nbval, browser, PDF)"
	@echo "make book-student  HTML without solutions (_build/student/html), reusing the execution cache"
	@echo "make html | make pdf | make outputs (re-execute notebooks, store outputs) | make clean"
	@echo "make bench    time the build against a baseline book, page weights, the point-pattern engine against pointpats and R spatstat (benchmarks/results.json)"
	@echo "make dist     build the book, then dist/aicluster-book-VERSION.tar.gz (HTML, PDF, notebooks) + SHA-256 manifest"

setup: apt venv

# Debian packages from apt.txt: installed when run as root, otherwise print the exact command.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:" $$missing; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	    rm -rf $(HOME)/.cache/matplotlib $(VENV)/.mplconfig; \
	  else \
	    echo "Missing Debian packages. Run this, then re-run make:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $$missing"; \
	    exit 1; \
	  fi; \
	fi

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . || $(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# Before Sphinx reads the chapters, scripts/exec_cache.py checks data/ (all tables, and the tables
# against each other) and executes, in parallel on the machine's cores, exactly the chapters whose
# code or inputs changed (the files each read at its last run, observed: data files, modules,
# other chapters' outputs; requirements.txt), into the execution cache that the build then reads.
# Bad data or a chapter that raises stops here. `make clean` forgets all.
# `make html REEXECUTE=1` executes every chapter, whatever is cached or stored.
_stale-cache:
	$(OFFLINE_RUN) $(BIN)/python scripts/exec_cache.py $(if $(REEXECUTE),--all)

html: setup _stale-cache
	$(OFFLINE_RUN) $(JB) build . --all --builder html $(JB_FLAGS)

# The PDF is also published inside the HTML site, as book.pdf, linked from every page's download
# menu and from the front page (aicluster/sphinxext.py, intro.md).
_pdf:
	$(OFFLINE_RUN) $(JB) build . --all --builder pdflatex $(JB_FLAGS)
	@ls -l _build/latex/book.pdf
	mkdir -p _build/html && cp _build/latex/book.pdf _build/html/book.pdf

pdf: setup _stale-cache _pdf

book: html
	$(MAKE) _pdf

# Student edition: the same book with sphinx-exercise's hide_solutions and no notebook links, built
# from a generated config into _build/student/html. Reuses the execution cache of the main build.
STUDENT := _build/student
book-student: setup _student

_student:
	$(BIN)/python scripts/student_config.py $(STUDENT)/_config.yml
	$(OFFLINE_RUN) $(JB) build . --builder html --config $(STUDENT)/_config.yml --path-output $(STUDENT) $(JB_FLAGS)
	rm -rf $(STUDENT)/html && mv $(STUDENT)/_build/html $(STUDENT)/html
	@ls -l $(STUDENT)/html/index.html

outputs: setup
	$(BIN)/python scripts/store_outputs.py

test: book
	$(MAKE) _student
	$(BIN)/python -m pytest

# Build times vs a baseline book, point patterns vs pointpats, page weights: writes
# benchmarks/results.json, rendered as docs/benchmarks.md (for contributors; not part of the book).
bench: setup
	$(BIN)/python benchmarks/bench_build.py

# A versioned archive of what readers get: the HTML site (with book.pdf), the PDF and the chapter
# notebooks, with a SHA-256 manifest inside and a checksum file beside it (scripts/dist.py).
dist: book
	$(BIN)/python scripts/dist.py dist

clean:
	rm -rf _build dist
