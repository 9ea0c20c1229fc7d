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
# The one build everything runs (make run, the tests, the benchmarks, the image, make dist): release,
# with Swift's runtime and libevent, SQLite and jemalloc linked in from Debian's static archives, so
# the executable needs only glibc, libstdc++ and libgcc_s. The archives are found through a folder of
# links that the linker searches before the system's, which holds the shared libraries too.
# jemalloc is the exception: the Swift driver hides every archive member's symbols (--exclude-libs),
# and a malloc glibc cannot see makes two heaps in one process (libevent frees what glibc's strdup
# allocated: a crash at the first connection). So its archive is linked as one object, whose malloc
# and free the executable exports, and -ljemalloc finds an empty archive in that folder.
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
STATIC_LIBS := $(CURDIR)/.build/static-libs
RELEASE_FLAGS := -c release --product fleetmock --static-swift-stdlib -Xlinker -L$(STATIC_LIBS) \
	-Xlinker $(STATIC_LIBS)/jemalloc.o
BINARY := .build/release/fleetmock

.PHONY: deps bundle build release run test test-swift test-client test-package dist bench format lint clean

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
	@mkdir -p $(STATIC_LIBS)
	@ln -sf /usr/lib/$(MULTIARCH)/libevent.a $(STATIC_LIBS)/libevent.a
	@ln -sf /usr/lib/$(MULTIARCH)/libsqlite3.a $(STATIC_LIBS)/libsqlite3.a
	@[ -s $(STATIC_LIBS)/jemalloc.o ] || ld -r --whole-archive /usr/lib/$(MULTIARCH)/libjemalloc_pic.a -o $(STATIC_LIBS)/jemalloc.o
	@rm -f $(STATIC_LIBS)/libjemalloc.a && ar rc $(STATIC_LIBS)/libjemalloc.a

# The fleet, credentials and dashboard compiled into the executable (rewritten only when they changed).
bundle:
	@python3 scripts/bundle_files.py

build: deps bundle
	$(SWIFT) build

release: deps bundle
	$(SWIFT) build $(RELEASE_FLAGS)

run: release
	$(BINARY) serve $(ARGS)

test: test-swift test-client test-package

# The end-to-end tests run the release build, the one users get.
test-swift: release
	$(SWIFT) build --build-tests
	FLEETMOCK_BIN=$(CURDIR)/$(BINARY) $(SWIFT) test --skip-build

test-client: release
	$(call apt_install,$(CLIENT_APT_PACKAGES) $(BROWSER_APT_PACKAGES))
	FLEETMOCK_BIN=$(CURDIR)/$(BINARY) Tests/client/run.sh

# The wheel from dist/, installed into a fresh venv, runs examples/pytest and the package's own tests.
test-package: dist
	$(call apt_install,$(CLIENT_APT_PACKAGES))
	Tests/package/run.sh dist/fleetmock-$$($(BINARY) --version | cut -d' ' -f2)-py3-none-*.whl

# dist/fleetmock-VERSION-linux-ARCH.tar.gz (the executable and the README) and the wheel carrying it.
dist: release
	scripts/dist.sh $(BINARY)

bench: release
	$(call apt_install,$(BENCH_APT_PACKAGES))
	bench/run.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build .fleetmock .venv-client .venv-client-v2 .venv-package dist
