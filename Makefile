# berth: the two commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
FIXTURES := tests/fixtures/models
FIXTURE_STAMP := $(FIXTURES)/.stamp
PORT ?= 8080

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: onnxruntime
onnxruntime: ## Fetch and verify the pinned ONNX Runtime library into the cache
	@scripts/fetch-onnxruntime.sh >/dev/null

$(VENV)/.stamp: tests/fixtures/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/fixtures/requirements.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.stamp ## Python environment that makes the fixture models

$(FIXTURE_STAMP): $(VENV)/.stamp tests/fixtures/make_fixtures.py
	$(VENV)/bin/python tests/fixtures/make_fixtures.py $(FIXTURES) >/dev/null
	touch $@

.PHONY: fixtures
fixtures: $(FIXTURE_STAMP) ## Make the fixture models and onnxruntime's expected outputs

.PHONY: demo-model
demo-model: venv ## Regenerate the embedded demo model (crates/berth/assets/iris-demo.onnx)
	$(VENV)/bin/python tests/fixtures/make_fixtures.py $(FIXTURES) --demo crates/berth/assets/iris-demo.onnx

.PHONY: build
build: ## Build berth in release mode
	$(CARGO) build --release --locked -p berth

.PHONY: run
run: onnxruntime build ## Serve the demo model (or SM_MODEL_DIR/model.onnx) on :$(PORT)
	PORT=$(PORT) ./target/release/berth serve

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: lint
lint: ## rustfmt and clippy, warnings as errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: test-unit
test-unit: onnxruntime fixtures ## Unit tests (next to the code)
	$(CARGO) test --workspace --locked --lib --bins

.PHONY: test-integration
test-integration: onnxruntime fixtures ## Integration tests (crates/*/tests), router tests included
	$(CARGO) test --workspace --locked --test '*'

.PHONY: test-e2e
test-e2e: onnxruntime fixtures ## End-to-end: the real binary on a free port, over HTTP
	$(CARGO) test --locked -p berth --test e2e

.PHONY: test
test: onnxruntime fixtures lint ## Everything CI runs: lint, unit, integration, end-to-end
	scripts/test-summary.sh $(CARGO) test --workspace --locked

.PHONY: clean
clean: ## Remove build output, the venv and generated fixtures
	$(CARGO) clean
	rm -rf $(VENV) $(FIXTURES)

include container/images.mk
