# The whole test suite on a fresh Debian machine: `make test`.
# PostgreSQL, Chromium and S3 tests are required here, never skipped.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/dossier-org/dossier/internal/cli.Version=$(VERSION)
export GOTOOLCHAIN = local

.PHONY: test deps lint build run fuzz bench clean

test: deps lint
	DOSSIER_REQUIRE_POSTGRES=1 DOSSIER_REQUIRE_CHROMIUM=1 DOSSIER_REQUIRE_S3=1 $(GO) test -count=1 ./...

deps:
	./scripts/install-test-deps.sh

lint:
	$(GO) vet ./...
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dossier ./cmd/dossier

run:
	$(GO) run ./cmd/dossier serve --demo

# Each fuzz target of every package for a short while; longer runs:
# make fuzz FUZZTIME=10m
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
		for target in $$($(GO) test -list '^Fuzz' ./$$pkg/ | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 20x ./$$pkg/ || exit 1; \
		done; \
	done

clean:
	rm -rf dossier test-artifacts bench/out
