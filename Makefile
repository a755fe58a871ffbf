# Switchyard's two commands: `make run` (the main job on examples/cluster) and `make test` (the suite).
# Each installs the Debian packages it needs when they are missing, then builds.
SWIFT ?= swift
CONFIG ?= debug
BIN = .build/$(CONFIG)/switchyard

.PHONY: all deps build run test release bench clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

release:
	$(MAKE) build CONFIG=release

## The main job on the embedded default cluster.
run: build
	$(BIN) validate examples/cluster

## The whole test suite (end-to-end tests that need root skip with a message otherwise).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Rule sync at scale vs kube-proxy's paths, and the rules micro-benchmarks → docs/benchmarks.md (root).
bench: deps
	$(SWIFT) build -c release --product switchyard
	./scripts/bench.sh

clean:
	rm -rf .build
