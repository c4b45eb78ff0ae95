# Two commands matter: `make run` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export CARGO_TERM_COLOR ?= never

.PHONY: run test bench setup lint unit schemathesis fmt

## Start the room server on 127.0.0.1:7800 (data in the per-user data directory).
run:
	@scripts/setup.sh base
	$(CARGO) run -p breakout-server -- $(ARGS)

## Everything CI checks.
test: setup lint unit schemathesis

setup:
	@scripts/setup.sh test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

schemathesis:
	$(CARGO) build -p breakout-server
	scripts/schemathesis.sh $(TARGET_DIR)/debug/breakout-server

## Speed figures as name=value lines (not part of `make test`).
bench: setup
	scripts/bench.sh

fmt:
	$(CARGO) fmt --all
