# Two commands matter: `make run` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export CARGO_TERM_COLOR ?= never

.PHONY: run test bench setup lint unit schemathesis fmt app-setup app-test bundle ui-test media-test net-test pg-test server-dist

## Start the desktop app hosting a meeting on this computer (embedded server),
## with a few synthetic participants (BOTS=4) already in it.
run:
	@scripts/app-run.sh

## Everything CI checks, stage by stage, printing the seconds each took
## (scripts/test.sh). setup comes first: lint and unit build the app, which
## needs the desktop system packages (WebKitGTK).
test:
	@scripts/test.sh

## System packages for the desktop app and its real-window tests.
app-setup:
	@scripts/setup.sh desktop

## The real app under Xvfb, driven through WebDriver (screenshots in target/e2e-shots/).
app-test:
	scripts/app-test.sh

## Installable packages: .deb (and AppImage where possible) in target/release/bundle/.
bundle:
	scripts/app-bundle.sh

## The server for a host: release binary, systemd unit and install notes in
## target/dist/: breakout-server-<version>-linux-<arch>.tar.gz and
## breakout-server_<version>_<arch>.deb.
server-dist:
	scripts/server-dist.sh

## Every system package make test needs, in one apt run.
setup:
	@scripts/setup.sh all

## A fresh clone must build as it is (no tracked symlink out of the tree); the
## client builds without the media engine; one name per bench figure.
lint:
	scripts/check-tree.sh
	scripts/check-deps.sh
	scripts/check-bench-names.sh
	$(CARGO) fmt --all -- --check
	scripts/clippy.sh

## The end-to-end tests run the server and bot binaries, so build them first.
## Every build in make test names its tests too: dev-dependencies turn on
## features (tokio's test-util, ...), and a build without them compiles the
## whole dependency tree a second time.
unit:
	$(CARGO) build --workspace --bins --tests
	$(CARGO) test --workspace
	scripts/check-server-dist.sh $(TARGET_DIR)/debug/breakout-server

## The web UI: type-check, unit tests, and both windows in headless Chromium (mocked IPC).
ui-test:
	scripts/ui-test.sh

## Media for real: SFU + synthetic participants, cpal on a PulseAudio null sink, Chromium as a peer.
media-test:
	scripts/media-test.sh

## Real network plumbing as root: a server behind NAT, clients on the far side.
net-test:
	scripts/net-test.sh

## The PostgreSQL store (`--database postgres://...`) on private clusters
## started from Debian's postgresql package.
pg-test:
	scripts/pg-test.sh

## Builds as `unit` does (same features, so nothing is compiled twice).
schemathesis:
	@scripts/setup.sh python
	$(CARGO) build --workspace --bins --tests
	scripts/schemathesis.sh $(TARGET_DIR)/debug/breakout-server

## Speed figures as name=value lines (not part of `make test`).
bench: setup
	scripts/bench.sh

fmt:
	$(CARGO) fmt --all
