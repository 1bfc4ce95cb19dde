# Two entry points, each installing what it needs into .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make demo: run the seed walkthrough on built-in data, figures in ./kmeanslab-demo
demo: $(STAMP)
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
