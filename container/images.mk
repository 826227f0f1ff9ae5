# The incremental image chain (included by the Makefile; docs/images.md explains it):
#
#   berth-base ──> berth-base-builder ──> berth-builder (build + tests) ──┐
#        └──────> berth-base-runner ─────────────────────────────────────┴─> berth-runner
#
# ENGINE=docker|podman|buildah picks the tool (docker by default; the same files build with each:
# docker with BuildKit, buildah/podman with --format docker).
# Upstream bases are pinned by digest in container/digests.env and passed as build args; on a
# machine that reaches no registry, scripts/images/ci-images.sh passes local stand-ins instead.

include container/digests.env

ENGINE ?= docker
IMAGE_PREFIX ?= localhost/berth
TAG ?= latest
# Extra flags for every build (e.g. --pull=never --isolation chroot) and for the builder only
# (e.g. --secret id=ca,src=HOST_CA where HTTPS needs another CA bundle: Dockerfile.builder).
BUILD_FLAGS ?=
BUILDER_FLAGS ?=
# Extra flags for base-runner and runner only (the reproducibility test passes --no-cache).
FINAL_FLAGS ?=
# docker/podman run the images; buildah has no run of its own, so podman does it.
RUN_ENGINE ?= $(if $(filter buildah,$(ENGINE)),podman,$(ENGINE))
RUN_FLAGS ?= -p $(PORT):8080
CONTAINER_NAME ?= berth
MODEL_DIR ?=

VERSION ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# The commit time: the runner's created label and every timestamp in it, so that two builds of
# one commit give one digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
CREATED ?= $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
SOURCE_URL ?= $(shell sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -n1)

BASE_IMG := $(IMAGE_PREFIX)-base:$(TAG)
BASE_BUILDER_IMG := $(IMAGE_PREFIX)-base-builder:$(TAG)
BUILDER_IMG := $(IMAGE_PREFIX)-builder:$(TAG)
BASE_RUNNER_IMG := $(IMAGE_PREFIX)-base-runner:$(TAG)
RUNNER_IMG := $(IMAGE_PREFIX)-runner:$(TAG)
CHAIN := base base-builder builder base-runner runner

# --force-rm: buildah 1.28 otherwise leaves a mounted working container for every stage that is
# only a COPY --from source.
ifeq ($(ENGINE),buildah)
BUILD := buildah bud --layers --force-rm --format docker
REPRO := --timestamp $(SOURCE_DATE_EPOCH)
else ifeq ($(ENGINE),podman)
BUILD := podman build --layers --force-rm --format docker
REPRO := --timestamp $(SOURCE_DATE_EPOCH)
else
# docker: always BuildKit (the Dockerfiles use RUN --mount), through DOCKER, a client that has it:
# `docker` with the buildx plugin, or Debian's docker.io 20.10 client, where it is built in
# (scripts/images/docker-client.sh picks one). BuildKit 0.11+ (docker 23+) reads SOURCE_DATE_EPOCH
# for the image's timestamps; the BuildKit of docker 20.10 ignores it.
DOCKER ?= $(shell scripts/images/docker-client.sh)
BUILD := DOCKER_BUILDKIT=1 SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(DOCKER) build
REPRO := --build-arg SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)
endif
BUILD += $(BUILD_FLAGS)
# buildah 1.28 / podman 4.3 write the build container's ID, the parent image and intermediate image
# IDs into a docker-format config even with --timestamp; later releases and docker do not. Drop them
# so that two builds of one commit give one digest (scripts/images/normalize-image.py).
NORMALIZE := $(if $(filter buildah podman,$(ENGINE)),scripts/images/normalize-image.py,@true)

.PHONY: build-base build-base-builder build-builder build-base-runner build-runner build-images
build-base: ## Image 1: Debian slim + the berth user
	$(BUILD) --build-arg DEBIAN_IMAGE=$(DEBIAN_IMAGE) \
	  -f container/Dockerfile.base -t $(BASE_IMG) .

build-base-builder: build-base ## Image 2: base + Rust toolchain + build tools
	$(BUILD) --build-arg RUST_IMAGE=$(RUST_IMAGE) --build-arg BASE_IMAGE=$(BASE_IMG) \
	  -f container/Dockerfile.base-builder -t $(BASE_BUILDER_IMG) .

# The fixture models the tests compare against depend on OpenBLAS's kernel: pass the host's choice.
FIXTURE_ARGS := $(foreach v,OPENBLAS_CORETYPE OPENBLAS_L2_SIZE,$(if $($(v)),--build-arg $(v)=$($(v))))

build-builder: build-base-builder ## Image 3: cargo build --release + cargo test (a failing test fails it)
	$(BUILD) $(BUILDER_FLAGS) $(FIXTURE_ARGS) --build-arg BASE_BUILDER_IMAGE=$(BASE_BUILDER_IMG) \
	  -f container/Dockerfile.builder -t $(BUILDER_IMG) .

build-base-runner: build-base ## Image 4: distroless-like glibc runtime made from Debian packages
	$(BUILD) $(REPRO) $(FINAL_FLAGS) --build-arg BASE_IMAGE=$(BASE_IMG) \
	  -f container/Dockerfile.base-runner -t $(BASE_RUNNER_IMG) .
	$(NORMALIZE) $(BASE_RUNNER_IMG)

build-runner: build-builder build-base-runner ## Image 5: berth + ONNX Runtime, non-root, what ships
	$(BUILD) $(REPRO) $(FINAL_FLAGS) --build-arg BUILDER_IMAGE=$(BUILDER_IMG) \
	  --build-arg BASE_RUNNER_IMAGE=$(BASE_RUNNER_IMG) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg CREATED=$(CREATED) --build-arg SOURCE=$(SOURCE_URL) \
	  -f container/Dockerfile.runner -t $(RUNNER_IMG) .
	$(NORMALIZE) $(RUNNER_IMG)

build-images: build-runner ## All five images, in order (each from the cache when unchanged)

.PHONY: run-container
run-container: ## Run the runner image on :$(PORT): the demo model, or MODEL_DIR=dir with model.onnx
	$(RUN_ENGINE) run --rm --name $(CONTAINER_NAME) $(RUN_FLAGS) \
	  $(if $(MODEL_DIR),-v $(abspath $(MODEL_DIR)):/opt/ml/model:ro $(RUNNER_IMG) serve,$(RUNNER_IMG) serve --demo)

.PHONY: clean-base clean-base-builder clean-builder clean-base-runner clean-runner clean-all
clean-base: ## Remove the base image
	-$(ENGINE) rmi $(BASE_IMG)
clean-base-builder: ## Remove the base-builder image
	-$(ENGINE) rmi $(BASE_BUILDER_IMG)
clean-builder: ## Remove the builder image
	-$(ENGINE) rmi $(BUILDER_IMG)
clean-base-runner: ## Remove the base-runner image
	-$(ENGINE) rmi $(BASE_RUNNER_IMG)
clean-runner: ## Remove the runner image
	-$(ENGINE) rmi $(RUNNER_IMG)
clean-all: clean-runner clean-base-runner clean-builder clean-base-builder clean-base ## Remove all five images

# --- delivery ---------------------------------------------------------------------------------
# REGISTRY=host[:port][/namespace]; PUSH_IMAGES picks which of the chain (all by default);
# PUSH_FLAGS e.g. --tls-verify=false for a plain-http registry on 127.0.0.1.
REGISTRY ?=
PUSH_IMAGES ?= $(CHAIN)
PUSH_FLAGS ?=

.PHONY: push
push: ## Push the chain to REGISTRY (tag TAG and VERSION)
	@test -n "$(REGISTRY)" || { echo "push: set REGISTRY=host[:port][/namespace]" >&2; exit 2; }
	@set -e; for i in $(PUSH_IMAGES); do \
	  src=$(IMAGE_PREFIX)-$$i:$(TAG); \
	  for t in $(TAG) $(VERSION); do \
	    dst=$(REGISTRY)/berth-$$i:$$t; echo "push $$src -> $$dst"; \
	    if [ "$(ENGINE)" = docker ]; then docker tag $$src $$dst && docker push $(PUSH_FLAGS) $$dst; \
	    else $(ENGINE) push $(PUSH_FLAGS) $$src docker://$$dst; fi; \
	  done; \
	done

SBOM_DIR ?= dist
SYFT ?= syft
.PHONY: sbom
# The image scan lists the Debian packages (base-runner keeps their dpkg records); the Rust crates
# compiled into berth leave no trace syft can read in the binary, so they come from Cargo.lock
# (a superset: dev-dependencies are in it too).
sbom: ## SBOMs of the runner (SPDX, CycloneDX) and of its crates in $(SBOM_DIR)/ (syft, offline)
	@mkdir -p $(SBOM_DIR)
	rm -f $(SBOM_DIR)/berth-runner.docker.tar
	$(if $(filter docker,$(ENGINE)),docker save -o $(SBOM_DIR)/berth-runner.docker.tar $(RUNNER_IMG), \
	  skopeo copy --quiet containers-storage:$(RUNNER_IMG) docker-archive:$(SBOM_DIR)/berth-runner.docker.tar:$(RUNNER_IMG))
	SYFT_CHECK_FOR_APP_UPDATE=false $(SYFT) scan docker-archive:$(SBOM_DIR)/berth-runner.docker.tar -q \
	  --source-name berth-runner --source-version $(VERSION) \
	  -o spdx-json=$(SBOM_DIR)/berth-runner.spdx.json -o cyclonedx-json=$(SBOM_DIR)/berth-runner.cdx.json \
	  -o table
	rm -f $(SBOM_DIR)/berth-runner.docker.tar
	SYFT_CHECK_FOR_APP_UPDATE=false $(SYFT) scan file:Cargo.lock -q --source-name berth-crates \
	  --source-version $(VERSION) -o spdx-json=$(SBOM_DIR)/berth-crates.spdx.json

.PHONY: bump-digests
bump-digests: ## Resolve the current upstream digests with skopeo and rewrite the pins
	scripts/images/bump-digests.sh

# --- checks on a machine that reaches no image registry: local stand-in bases ---
# images-test builds with buildah and runs with podman, or, with ENGINE=docker given, builds with the
# Docker Engine (BuildKit) and runs with docker (the stand-ins loaded into it).
IMAGES_TEST_ENGINE := $(if $(filter-out file default undefined,$(origin ENGINE)),$(ENGINE),buildah)
.PHONY: images-test images-docs-test images-repro images-push-test images-ci
images-test: ## Build the chain (buildah, or ENGINE=docker), run the runner, check it, print size
	ENGINE=$(IMAGES_TEST_ENGINE) scripts/images/images-test.sh

images-docs-test: ## Run the docker commands of README.md and docs/images.md as written (after images-test ENGINE=docker)
	scripts/images/doc-commands-test.py

images-repro: ## Build the runner twice (no cache) and check that both give one digest
	scripts/images/repro-test.sh

images-push-test: ## Push to a registry on 127.0.0.1, pull back, run, check
	scripts/images/push-test.sh

images-ci: ## Everything above from a bare machine, then clean up (CI)
	scripts/images/ci-images.sh

.PHONY: examples-images-test
examples-images-test: examples ## The three example models in runner images, checked against scikit-learn
	@podman image exists $(IMAGE_PREFIX)-runner:$(TAG) || scripts/images/images-test.sh
	scripts/images/examples-images-test.sh
