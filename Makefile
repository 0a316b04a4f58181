# m365connect: `make run` builds and opens the wizard; `make test` runs every test.
# Both install what they need first (scripts/deps.sh), so they work on a fresh machine.

GO      ?= go
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/m365connect
export LANG := en_US.UTF-8

.PHONY: all deps deps-windows build run test lint package windows windows-vet windows-smoke clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/m365connect

run: build
	./$(BIN)

test: deps
	$(GO) vet ./...
	scripts/with-keyring.sh $(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# A Linux release bundle (.tar.xz with .desktop file and icon) in dist/.
package: deps
	mkdir -p dist
	$(GO) tool -modfile=tools/go.mod fyne package -os linux --release --app-build 1 \
		--src ./cmd/m365connect --icon $(CURDIR)/assets/icon.png --name "M365 Connect" \
		--app-id io.m365connect.app --app-version $(VERSION)
	mv cmd/m365connect/*.tar.xz dist/ 2>/dev/null || mv *.tar.xz dist/

deps-windows:
	@scripts/deps.sh windows

# Windows is where most of our users are. Cross-compiled with mingw-w64: one .exe that is a
# GUI app when double-clicked and a console tool when run from a terminal (see
# cmd/m365connect/console_windows.go), with the icon and version info embedded.
WIN_ENV := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
WIN_DIR := dist/windows/m365connect-$(VERSION)-windows-amd64

windows: deps-windows windows-vet
	rm -rf $(WIN_DIR) && mkdir -p $(WIN_DIR)
	$(GO) tool -modfile=tools/go.mod go-winres simply --arch amd64 --out cmd/m365connect/rsrc \
		--icon assets/icon.png --manifest gui --product-name "M365 Connect" \
		--file-description "M365 Connect - connect and verify Microsoft 365 mailboxes" \
		--product-version $(VERSION).0 --file-version $(VERSION).0 \
		--original-filename m365connect.exe --copyright "m365connect contributors"
	$(WIN_ENV) $(GO) build -trimpath -ldflags "$(LDFLAGS) -s -w -H=windowsgui" \
		-o $(WIN_DIR)/m365connect.exe ./cmd/m365connect; \
		status=$$?; rm -f cmd/m365connect/rsrc_windows_amd64.syso; exit $$status
	cp docs/windows/README.txt $(WIN_DIR)/README.txt
	cd dist/windows && rm -f $(notdir $(WIN_DIR)).zip && zip -qr $(notdir $(WIN_DIR)).zip $(notdir $(WIN_DIR))
	@echo "Built dist/windows/$(notdir $(WIN_DIR)).zip"

# Catches Windows-only compile errors in every package, test files included.
windows-vet: deps-windows
	$(WIN_ENV) $(GO) vet ./...

# Starts the .exe under Wine (when installed): `version` must print in the console, and
# the wizard window must open (screenshot in dist/windows/wine-wizard.png).
windows-smoke: windows
	scripts/windows-smoke.sh $(WIN_DIR)/m365connect.exe $(VERSION)

clean:
	rm -rf bin dist
