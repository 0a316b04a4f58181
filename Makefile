# m365connect: `make run` builds and opens the wizard; `make test` runs every test.
# Both install what they need first (scripts/deps.sh), so they work on a fresh machine.

GO      ?= go
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/m365connect
export LANG := en_US.UTF-8

.PHONY: all deps build run test lint package windows clean

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

clean:
	rm -rf bin dist
