# Switchyard's two commands: `make run` (the main job on examples/cluster) and `make test` (the suite).
# Each installs the Debian packages it needs when they are missing, then builds.
SWIFT ?= swift
CONFIG ?= debug
BIN = .build/$(CONFIG)/switchyard

.PHONY: all deps build run demo-check test release bench fuzz image clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

release:
	$(MAKE) build CONFIG=release

## The main job: a sandbox of network namespaces for examples/cluster, `switchyard run` programming
## its node namespace and serving DNS on 127.0.0.1:5353, a printed tour; Ctrl-C tears it down.
run: build
	$(BIN) validate examples/cluster
	BIN=$(BIN) ./scripts/demo.sh

## Runs the tour's commands non-interactively and checks their answers (plus a failover).
demo-check: build
	BIN=$(BIN) ./scripts/demo.sh check

## The whole test suite (end-to-end tests that need root skip with a message otherwise).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Rule sync at scale vs kube-proxy's paths, and the rules micro-benchmarks → docs/benchmarks.md (root).
bench: deps
	$(SWIFT) build -c release --product switchyard
	./scripts/bench.sh

## A runtime image (FROM scratch: the release binary with the Swift runtime linked statically, its C
## libraries, nft and conntrack) with buildah or podman; no registry pull. IMAGE_ARCHIVE=f.tar also
## writes an OCI archive.
image: deps
	./scripts/image.sh

clean:
	rm -rf .build

## Fuzzing (issue 15): the DNS message decoder and the manifest loader under libFuzzer, FUZZ_SECONDS each
## (default 600), starting from the seeds in Fuzz/Corpus (new inputs go to bench-out/fuzz-*, crashes too).
FUZZ_SECONDS ?= 600
FUZZ_FLAGS = -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
fuzz: deps
	cd Fuzz && $(SWIFT) build $(FUZZ_FLAGS)
	./scripts/fuzz.sh $(FUZZ_SECONDS)
