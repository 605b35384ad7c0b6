# Entry points for contributors and CI. `make test` alone works on a fresh
# Debian 12 machine: it installs missing packages, builds and runs every test.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure --timeout 600

.PHONY: all deps configure build build-run test unit itest asan format format-check run stop bench clean

all: build

deps:
	tools/deps/install.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# Only what `make run` starts (no tests, no benchmarks): a newcomer's first
# build is a fraction of the whole tree's.
RUN_TARGETS = aether-devstack aether-otlp-sink aether-migration-runner aether-api \
  aether-vm-worker aether-vm-agent aether-node-provisioner aether-autoscaler aetherctl
build-run: configure
	cmake --build $(BUILD) -j$(JOBS) --target $(RUN_TARGETS)

test: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j$(JOBS)

unit: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -L unit -j$(JOBS)

itest: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -L integration -j$(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DAETHER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest $(CTEST_FLAGS) -j$(JOBS)

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')

format:
	@clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files ok"

# The whole platform on this machine (tools/run/README.md): the stack under
# .state/, migrations, the guest image, every built service, a tenant, and a
# VM running a command; it stays up until `make stop`.
run: build-run
	tools/run/run.sh up --state-dir .state --build-dir $(BUILD)

stop:
	tools/run/run.sh down --state-dir .state --build-dir $(BUILD)

# Every benchmark binary (aether-bench-*) in the build tree, one after another,
# into one report: bench/report.md and bench/report.json, each figure beside
# its baseline from the same run (tools/bench-report/README.md). The microVM
# ones boot the guest image the vmm_guest_image test builds, aether-bench-templates
# the python template vmm_test_template makes. QUICK=1: small sizes (minutes);
# BENCH_ONLY=aether-bench-bus,...: just those.
QUICK ?=
BENCH_ONLY ?=
bench: build
	cd $(BUILD) && ctest -R '^(vmm_guest_image|vmm_test_template)$$' --output-on-failure > /dev/null
	$(BUILD)/tools/bench-report/aether-benchmarks --build-dir $(BUILD) --out-dir bench \
	  $(if $(QUICK),--quick) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Container images (Containerfile): podman or docker, whichever is present,
# tagged aether/<service>:<version>-<git sha> (tools/images/README.md).
# images-setup installs podman, runc, containers.conf and the debootstrap'd
# base image where no registry is reachable (idempotent).
.PHONY: images-setup images images-stack images-smoke images-host-smoke e2e-containers e2e-kind

images-setup:
	@if [ "$$(tools/images/engine.sh 2>/dev/null)" = docker ]; then echo "images: docker answers, no setup"; \
	else tools/images/setup-podman.sh; fi

images: images-setup
	tools/images/build.sh $(SERVICES)

# nats-server, PostgreSQL and Redis from Debian's packages on the images'
# base (stage `stack`), for e2e-containers on machines without a registry.
images-stack: images-setup
	tools/images/build.sh stack

images-smoke:
	tools/images/smoke-test.sh

# The CI-speed path (tools/images/README.md, "CI"): the final stages from this
# build tree's binaries and guest (nothing compiled in the image), tagged
# <version>-<sha>-host, then the same smoke test on them.
images-host-smoke: images-setup build
	cd $(BUILD) && ctest -R '^vmm_guest_image$$' --output-on-failure > /dev/null
	tools/images/tests/images_host_smoke_test.sh $(BUILD)

# The e2e suite (e2e/README.md): one scenario suite, one target each.
# e2e: the local platform (tools/run/run.sh on free ports, real microVMs);
# e2e-chaos: the bounded chaos run on it, which prints its figures.
# e2e-containers: the platform from the images under podman on this machine
# (e2e/targets/containers.sh; the OTLP sink and aether-e2e from the host build).
# e2e-kind (machines with docker and kind only; not this one): a cluster from
# deploy/kind/cluster.yaml, the images loaded, overlays/kind applied.
.PHONY: e2e e2e-chaos
E2E_BUILD_ENV = AETHER_E2E_BUILD_DIR=$(abspath $(BUILD))

e2e: build
	$(E2E_BUILD_ENV) e2e/run.sh local

e2e-chaos: build
	$(E2E_BUILD_ENV) e2e/run.sh local '[chaos]'

e2e-containers: images images-stack configure
	cmake --build $(BUILD) -j$(JOBS) --target aether-otlp-sink aether-e2e
	$(E2E_BUILD_ENV) e2e/run.sh containers

e2e-kind: images
	$(E2E_BUILD_ENV) e2e/run.sh kind
