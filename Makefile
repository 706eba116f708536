# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps-installed

.PHONY: run test bench lint clean

$(DEPS): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

## Install, create and seed the database (instance/), serve on http://127.0.0.1:8000
run: $(DEPS)
	$(BIN)/python -m app serve --host 127.0.0.1 --port 8000

## Install what the tests need, lint, type-check and run every test, on every CPU
## (TEST_WORKERS=0 runs them in one process)
TEST_WORKERS ?= auto
test: $(DEPS) browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

## Install Debian's Chromium for the browser tests (tests/browser) when it is missing
.PHONY: browser-deps
CHROMIUM := /usr/bin/chromium
browser-deps:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else \
		echo "error: $(CHROMIUM) is missing and cannot be installed: not root and no sudo." >&2; \
		echo "       Install it as root (apt-get install chromium), then run make test again." >&2; \
		exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "error: $(CHROMIUM) is missing and apt-get is not available: install Chromium" \
			"so that $(CHROMIUM) exists, then run make test again." >&2; \
		exit 1; \
	fi; \
	echo "Installing Chromium for the browser tests (apt-get)..."; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## Benchmarks: print throughput beside a baseline measured in the same run
bench: $(DEPS) bench-deps
	$(BIN)/python -m bench

## Install wrk, the load generator of the real-server benchmark, when it is missing
## (without it the benchmark falls back to httpx clients, which take CPU from the server)
.PHONY: bench-deps
bench-deps:
	@if command -v wrk >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else \
		echo "warning: wrk is missing and cannot be installed: not root and no sudo." >&2; \
		echo "         The real-server benchmark falls back to httpx clients; install wrk" \
			"as root (apt-get install wrk) for figures that measure the server." >&2; \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: wrk is missing and apt-get is not available: install wrk (4.x) so" \
			"that it is on the PATH; until then the benchmark uses httpx clients." >&2; \
		exit 0; \
	fi; \
	echo "Installing wrk for the real-server benchmark (apt-get)..."; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

lint: $(DEPS)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
