# Two entry points, each installing what it needs into .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
# The compiled core is built by pip install (scikit-build-core, CMake and the
# machine's C++ compiler); a change to its sources rebuilds it.
NATIVE := kmeanslab/_native/CMakeLists.txt $(wildcard kmeanslab/_native/src/*)

.PHONY: demo test bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(NATIVE) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(DEMO_STAMP)

# The demo needs only the package and its Japanese-font extra.
$(DEMO_STAMP): pyproject.toml $(NATIVE) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[ja]"
	touch $(DEMO_STAMP)

## make demo: run the seed walkthrough on built-in data, figures in ./kmeanslab-demo
demo: $(DEMO_STAMP)
	$(BIN)/kmeanslab demo --out kmeanslab-demo --force

## make test: the whole test suite. The scale tests (marker "slow") run at
## their reduced size (the out-of-core test writes a 32 MB file; the default
## is DEFAULT_SCALE in tests/unit/io/test_io_chunks.py); KMEANSLAB_SCALE=1
## runs them at full size, e.g. `make test KMEANSLAB_SCALE=1` (a 300 MB file).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

## make bench: the engine benchmark against scikit-learn (and faiss when installed)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) kmeanslab-demo
