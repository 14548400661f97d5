# ringway: `make run` starts a server, `make test` is what CI runs, `make bench` measures,
# `make docs` serves the documentation.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint docs bench clean chromium speech

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# make run PORT=8001 HOST=127.0.0.1 (else RINGWAY_PORT, RINGWAY_HOST, else 127.0.0.1:8000)
run: $(VENV)/.installed-run
	$(BIN)/ringway serve$(if $(HOST), --host $(HOST))$(if $(PORT), --port $(PORT))

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench examples docs
	$(BIN)/ruff format --check src tests bench examples docs
	$(BIN)/mypy

# The tests spread over the cores (pytest-xdist): one worker more than the cores, since about a
# third of the suite's time is spent waiting (servers starting, webhooks, real-time calls);
# `$(BIN)/pytest` alone runs them in one process.
# Bytecode is cached whatever the environment says, so that the many `ringway` processes the
# tests start do not each compile the package again (~0.13 s of CPU a start).
test: lint chromium speech
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $$(( $$(nproc) + 1 )) --dist worksteal

# The documentation site (MkDocs), its generated reference refreshed, rebuilt as you edit;
# `make test` builds it into build/site.
docs: $(VENV)/.installed-test
	$(BIN)/python docs/generate.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(or $(DOCS_PORT),8001)

# The dashboard's browser tests drive Debian's Chromium.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Calls speak with Debian's espeak-ng (text-to-speech); without it, talk is silent.
speech:
	@command -v espeak-ng >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null)

bench: $(VENV)/.installed-test speech
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v haproxy >/dev/null || (apt-get update -qq && apt-get install -y -qq haproxy)
	@command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)
	$(BIN)/python bench/run.py
	$(BIN)/python -m bench.call_instructions --beside-floor
	$(BIN)/python -m bench.request_instructions
	$(BIN)/python -m bench.websocket_calls
	$(BIN)/python -m bench.nodes

clean:
	rm -rf $(VENV) .ringway .pytest_cache .mypy_cache .ruff_cache build
