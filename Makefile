# urun — see README.md. `make test` runs everything CI runs (as root: it creates
# the unprivileged test users and drops to them).
GO       ?= go
BIN      := bin/urun
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
export CGO_ENABLED := 0
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build install rootfs test test-unit test-integration test-oci test-vm fuzz lint bench clean

all: build

# Two steps: the binaries urun embeds (the init stage's, cmd/urun-init, and
# the image helper, cmd/urun-image; package internal/stagebin says why), then
# urun with them (the urun_stage tag). A plain `go build ./cmd/urun` works
# too, with urun itself as the stage and the image verbs inside it.
STAGE := internal/stagebin/urun-init
IMAGEHELPER := internal/stagebin/urun-image
build:
	$(GO) build -trimpath -ldflags "-s -w" -o $(STAGE) ./cmd/urun-init
	$(GO) build -trimpath -ldflags "-s -w" -o $(IMAGEHELPER) ./cmd/urun-image
	$(GO) build -tags urun_stage -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./cmd/urun
	install -m 755 $(STAGE) bin/urun-init

# urun, and its init stage's binary in libexec (off PATH: it is not a
# command): a urun of root's runs the stage from there when it is the one
# urun embeds (userns.installedStage), without a copy and without starting
# all of urun. urun alone works too.
PREFIX ?= /usr/local
install: build
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/urun
	install -D -m 755 bin/urun-init $(DESTDIR)$(PREFIX)/libexec/urun/urun-init

# A busybox rootfs in ./rootfs, owned by whoever runs make.
rootfs:
	hack/mkrootfs.sh rootfs

test: lint test-unit fuzz test-integration test-oci test-vm

test-unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /integration)

# Integration tests run the real binary as the unprivileged test users. One
# package at a time (-p 1): each checks that the test user has no process or
# state left, which a concurrent package would break.
test-integration: build
	@if [ "$$(id -u)" = 0 ]; then hack/mkuser.sh; hack/tun.sh; fi
	URUN_BIN=$(CURDIR)/$(BIN) $(GO) test -p 1 -count=1 -v ./integration/... 2>&1 | hack/summary.sh

# urun driven by real engines (issue 13): rootless podman on the host as the
# test user (hack/oci/test.sh, under the integration lock); containerd runs
# as root in the VM test bed (test-vm), where the cgroups are its own.
test-oci: build
	hack/oci/test.sh

# The cgroup tests need systemd and cgroup v2: they run in a qemu VM
# (hack/vm), as the unprivileged test user and as root. The guest image is
# built once (as root) and cached in $$URUN_VM_CACHE (/var/cache/urun-vm).
test-vm:
	hack/vm/test.sh

# Short runs of every fuzz target (go test -fuzz takes one target at a time).
# `make test` runs each for FUZZTIME, a number of inputs rather than seconds:
# with a duration, Go 1.26's fuzz coordinator can report its own deadline as
# a failure ("context deadline exceeded", golang/go#75804, fixed in Go 1.27).
# 20000 inputs take a second or two per target here (FuzzVerbParser, which
# builds kong's whole CLI for each input it compares, 40-50 s), two minutes
# in all with the builds; `make fuzz FUZZTIME=1m` digs deeper. A crash fails
# the target and go test saves the input under testdata/fuzz.
FUZZTIME ?= 20000x
fuzz:
	@for p in $$($(GO) list ./... | grep -v /integration); do \
	  for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    echo "fuzz $$p $$f ($(FUZZTIME))"; $(GO) test -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; done

lint: build
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags urun_stage ./cmd/urun
	$(GO) run $(STATICCHECK) ./...

bench: build
	hack/bench.sh
	hack/vm/bench.sh

clean:
	rm -rf bin $(STAGE) $(IMAGEHELPER)
