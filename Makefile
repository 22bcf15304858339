# Kopā — build, run and test. `make test` installs what the tests need
# (Debian's Chromium for the browser tests, mailpit for the mail tests) when
# it is missing, then runs go vet, a gofmt check and every test.

GO        ?= go
export GOTOOLCHAIN := local
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
MAILPIT   := $(GOBIN_DIR)/mailpit
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_BIN  := bin/test
TEST_FLAGS ?= -test.timeout=30m

.PHONY: all build run demo test vet fmt-check tidy-check deps chromium mailpit bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/kopa .

run: demo
demo:
	$(GO) run . serve --demo

# The packages whose tests take longest start first, so that none of them
# is left running alone at the end; ./... adds the rest.
SLOW_TESTS := ./hooks/checkin ./hooks/volunteers ./hooks/manage ./hooks/registration \
	./hooks/bulletins ./hooks/live ./hooks/notices ./hooks/events ./hooks/outbox

# Tests that crash and restart the real binary (internal/binarytest) run
# bin/kopa, built once here. The browser tests of every package open their
# tabs in one Chromium, started for the run (internal/browser/withchromium).
# The test binaries are built into $(TEST_BIN), where one whose code did not
# change is not linked again, and run from there (internal/testrun/runtests)
# as go test runs them (go test -c names a binary after its package, so two
# packages with tests may not share a name). go test's own vet is off:
# go vet ./... above checks all it checks.
#
# The run's temporary files (every test app's SQLite databases, Chromium's
# shared memory, which the test browsers keep in files) go to a folder of
# their own, in memory (/dev/shm) when it has TEST_SHM_KB free: on this
# project's machine, where /tmp is on disk, that takes a sixth off the run.
# A container's small /dev/shm leaves them in /tmp. The folder is removed
# when the run ends, whatever its outcome.
TEST_SHM_KB ?= 2097152
TEST_TMP_IN := $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 >= $(TEST_SHM_KB) { print "/dev/shm" }')

test: deps vet fmt-check tidy-check build
	$(GO) test -c -vet=off -ldflags='-s -w' -o $(TEST_BIN)/ $(SLOW_TESTS) ./...
	@tmp="$$(mktemp -d "$${TMPDIR:-$(or $(TEST_TMP_IN),/tmp)}/kopa-test.XXXXXX")" && \
	trap 'rm -rf "$$tmp"' EXIT && \
	echo "temporary files in $$tmp" && \
	TMPDIR="$$tmp" KOPA_BIN=$(CURDIR)/bin/kopa $(GO) run ./internal/browser/withchromium \
		$(GO) run ./internal/testrun/runtests -bin $(TEST_BIN) \
		$(SLOW_TESTS) ./... -- $(TEST_FLAGS)

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go.mod and go.sum say exactly what the code imports.
tidy-check:
	@out="$$($(GO) mod tidy -diff 2>&1)" || { echo "go mod tidy would change go.mod or go.sum:"; echo "$$out"; exit 1; }

deps: chromium mailpit

chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing Debian's chromium and chromium-driver"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null; \
	fi

mailpit:
	@if [ ! -x "$(MAILPIT)" ] && ! command -v mailpit >/dev/null 2>&1; then \
		echo "installing mailpit"; \
		$(GO) install github.com/axllent/mailpit@v1.27.11; \
	fi

clean:
	rm -rf bin

# One command for the performance figures in the README: builds the binary,
# starts it with mailpit as SMTP sink, and drives it on loopback.
bench: mailpit
	$(GO) run ./cmd/kopabench
