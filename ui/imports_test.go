package ui

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// ui renders and raises intents; the work below the screen (stores, engines, the
// practice tenant, credentials, the keyring) goes through package connection. So ui's
// non-test files import, of this module, only connection, graph (its plain value types:
// clouds, advice, check results) and wizard (the flow and the config model), and no
// identity SDK: docs/ARCHITECTURE.md, "Dependency direction".
func TestUIImportsOnlyConnectionGraphWizard(t *testing.T) {
	const module = "github.com/m365connect/m365connect/"
	allowed := []string{module + "connection", module + "graph", module + "wizard"}
	forbidden := []string{"github.com/Azure/azure-sdk-for-go/", "github.com/microsoftgraph/", "github.com/zalando/go-keyring", "modernc.org/sqlite"}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.GoFiles) == 0 {
		t.Fatal("no non-test files found")
	}
	for _, path := range pkg.Imports { // sorted
		where := pkg.ImportPos[path][0].Filename
		switch {
		case strings.HasPrefix(path, module) && !slices.Contains(allowed, path):
			t.Errorf("%s imports %s: ui may import only connection, graph and wizard of this module; move the work into connection", where, path)
		case slices.ContainsFunc(forbidden, func(f string) bool { return strings.HasPrefix(path, f) }):
			t.Errorf("%s imports %s: credentials, Graph calls, the keyring and stores are built below ui (connection, graph)", where, path)
		}
	}
}
