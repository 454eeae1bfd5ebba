# Every target creates or refreshes the virtual environment (.venv/) first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= build/demo

.PHONY: venv demo test check assign report bench compat clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, from its pinned CPU wheel: any looser spec pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(PY) -m autograder grade examples/submissions --out $(OUT)

test: venv
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The fast lane for the edit loop (docs/development.md#the-fast-lane-make-check): the tests that are
# neither slow nor grading, and one grading of the example class (the tests marked `check`).
check: venv
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "check or not (slow or grading)"

assign: venv
	$(PY) -m autograder assign

report: venv
	cd report_template && latexmk -pdf report.tex
	cd solutions/answer_key && latexmk -pdf answer_key.tex

bench: venv
	$(PY) benchmarks/reference_results.py
	$(PY) benchmarks/engine_vs_otter.py
	$(PY) benchmarks/where_time_goes.py

# The release on the stacks students have (Colab's, the oldest and newest it supports): not part of
# `make test`, its first run downloads several GB into COMPAT_CACHE (outside the repository).
COMPAT_CACHE ?= $(HOME)/.cache/tp1-ab-compat
compat: venv
	$(PY) tools/compat.py --cache $(COMPAT_CACHE)

clean:
	rm -rf build
