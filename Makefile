# FleetMock: `make run` builds and starts the server; `make test` runs every test.
# Both install what they need (Debian packages, a Python venv) and are safe to run again.

SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libevent-dev libsqlite3-dev libjemalloc-dev
BENCH_APT_PACKAGES := wrk
# Headless Chromium and its WebDriver, for the dashboard test (Tests/client/test_dashboard.py).
BROWSER_APT_PACKAGES := chromium chromium-driver
# The client tests' virtual environments (Debian's python3 has no venv module without it).
CLIENT_APT_PACKAGES := python3-venv
ARGS ?=

.PHONY: deps build release run test test-swift test-client bench format lint clean

# Installs the missing Debian packages only; sudo when not root.
define apt_install
	@missing=""; for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product fleetmock

run: release
	.build/release/fleetmock serve $(ARGS)

test: test-swift test-client

test-swift: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-client: release
	$(call apt_install,$(CLIENT_APT_PACKAGES) $(BROWSER_APT_PACKAGES))
	FLEETMOCK_BIN=$(CURDIR)/.build/release/fleetmock Tests/client/run.sh

bench: release
	$(call apt_install,$(BENCH_APT_PACKAGES))
	bench/run.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift

clean:
	rm -rf .build .fleetmock .venv-client .venv-client-v2
