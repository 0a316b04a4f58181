# m365connect: `make run` builds and opens the wizard; `make test` runs every test.
# Both install what they need first (scripts/deps.sh), so they work on a fresh machine.

GO      ?= go
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/m365connect
export LANG := en_US.UTF-8

.PHONY: all deps deps-windows build run test screens lint fuzz package windows windows-vet windows-smoke deps-windows-smoke clean bench

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/m365connect

run: build
	./$(BIN)

test: deps
	$(GO) vet ./...
	$(GO) run ./scripts/codesize
	scripts/with-xvfb.sh scripts/with-keyring.sh $(GO) test -race -count=1 ./...

# The screenshots in docs/screens: every step and its notable states, light and dark, at
# 1024x700, from the practice tenant (ui.TestScreens; it fails on clipped text).
screens: deps
	rm -f $(filter-out docs/screens/real-%,$(wildcard docs/screens/*.png))
	M365_SCREENS_DIR=$(CURDIR)/docs/screens scripts/with-keyring.sh $(GO) test ./ui -run '^TestScreens$$' -count=1 -timeout 20m

# Latency-true sync benchmark of a 100-mailbox practice tenant (docs/PERFORMANCE.md):
# prints the table and ends with "engine: N% of limit, R req/1000 msgs, P MB peak".
# Sizes: BENCH_MAILBOXES, BENCH_PER_MAILBOX, BENCH_SCALE, BENCH_CURVE=1 (scale curve).
bench: deps
	@bash -o pipefail -c "$(GO) test ./mailsync -run '^$$' -bench '^BenchmarkTenant$$' -benchtime 1x -timeout 90m \
		| grep -Ev '^(goos|goarch|pkg|cpu|PASS|ok|BenchmarkTenant)'"

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./scripts/codesize

# Each fuzz target of a parser of untrusted input (docs/SECURITY.md) for FUZZTIME; the
# seed corpora are in each package's testdata/fuzz/. go test -fuzz takes one target of
# one package at a time. The budget is a count of executions, not a duration: with a
# duration, Go's fuzz coordinator before Go 1.27 can fail a target with a bare "context
# deadline exceeded" at the deadline, no input found (golang/go#75804; seen here on
# FuzzLoopbackCallback). 40000 executions take 2-20 s per target on these machines.
FUZZTIME ?= 40000x
FUZZ_TARGETS := wizard:FuzzParse graph:FuzzLoopbackCallback graph:FuzzOAuthErrorBody graph:FuzzAcceptPasted outbox:FuzzParseDropFile emulator/graphmail:FuzzQueryParsers
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test ./$$pkg -run "^$$fn$$" -fuzz "^$$fn$$" -fuzztime $(FUZZTIME); \
	done

# A Linux release bundle (.tar.xz with .desktop file and icon) in dist/.
package: deps
	mkdir -p dist && rm -f dist/*.tar.xz
	GOFLAGS="$$GOFLAGS -ldflags=-X=main.version=$(VERSION)" \
	$(GO) tool -modfile=tools/go.mod fyne package -os linux --release --app-build 1 \
		--src ./cmd/m365connect --icon $(CURDIR)/assets/icon.png --name "M365 Connect" \
		--app-id io.m365connect.app --app-version $(VERSION)
	mv cmd/m365connect/*.tar.xz dist/ 2>/dev/null || mv *.tar.xz dist/
	scripts/check-package.sh dist/*.tar.xz $(VERSION)

deps-windows:
	@scripts/deps.sh windows

# The smoke test also needs Wine, Xvfb, xdotool and ImageMagick.
deps-windows-smoke:
	@scripts/deps.sh windows windows-smoke

# Windows is where most of our users are. Cross-compiled with mingw-w64: one .exe that is a
# GUI app when double-clicked and a console tool when run from a terminal (see
# cmd/m365connect/console_windows.go), with the icon and version info embedded.
# The exe is a file target: it is rebuilt only when a source file is newer, so
# `make windows-smoke` after `make windows` does not build it again.
WIN_ENV := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
WIN_DIR := dist/windows/m365connect-$(VERSION)-windows-amd64
WIN_EXE := $(WIN_DIR)/m365connect.exe
WIN_ZIP := $(WIN_DIR).zip
# What the exe is built from (wildcard drops files deleted but not yet committed), and
# their folders: deleting a file changes only its folder's time.
WIN_SRC := $(wildcard $(or $(shell git ls-files -co --exclude-standard -- '*.go' go.mod go.sum \
	FyneApp.toml assets 2>/dev/null),$(shell find . -name '*.go' -not -path './dist/*') go.mod go.sum))
WIN_SRC += $(filter-out ./,$(sort $(dir $(WIN_SRC))))

windows: $(WIN_ZIP)
	@echo "Built $(WIN_ZIP)"

$(WIN_EXE): $(WIN_SRC) | deps-windows windows-vet
	mkdir -p $(WIN_DIR)
	$(GO) tool -modfile=tools/go.mod go-winres simply --arch amd64 --out cmd/m365connect/rsrc \
		--icon assets/icon.png --manifest gui --product-name "M365 Connect" \
		--file-description "M365 Connect - connect and verify Microsoft 365 mailboxes" \
		--product-version $(VERSION).0 --file-version $(VERSION).0 \
		--original-filename m365connect.exe --copyright "m365connect contributors"
	$(WIN_ENV) $(GO) build -trimpath -ldflags "$(LDFLAGS) -s -w -H=windowsgui" \
		-o $@.tmp ./cmd/m365connect; \
		status=$$?; rm -f cmd/m365connect/rsrc_windows_amd64.syso; exit $$status
	mv $@.tmp $@ && touch $@ # newer than cmd/m365connect/, which lost the .syso

$(WIN_ZIP): $(WIN_EXE) docs/windows/README.txt
	cp docs/windows/README.txt $(WIN_DIR)/README.txt
	cd dist/windows && rm -f $(notdir $@) && zip -qrX $(notdir $@) $(notdir $(WIN_DIR))

# Catches Windows-only compile errors in every package, test files included. -trimpath as
# in the exe build, so the packages vet compiles are the ones the build reuses.
windows-vet: deps-windows
	$(WIN_ENV) $(GO) vet -trimpath ./...

# Starts the .exe under Wine in a throwaway prefix: `version` must print on the console,
# and the wizard window must open under Xvfb (screenshot in dist/windows/wine-wizard.png).
windows-smoke: windows deps-windows-smoke
	scripts/windows-smoke.sh $(WIN_EXE) $(VERSION)

clean:
	rm -rf bin dist
