package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// graphValueHelpers are the functions of package graph that ui's non-test files may
// name: each turns values into values (words, lists, scripts) and does no network I/O,
// opens no browser or listener and builds no credential. Sign-in, admin consent, the
// tenant probe, the values test and the consent hand-off go through package connection,
// which reads the wizard's state and does the settings, secret and credential work the
// command line shares (docs/ARCHITECTURE.md, "Dependency direction").
var graphValueHelpers = map[string]string{
	"AdviceFor":            "an error's advice, for display",
	"LookupAdvice":         "the advice of a code, for display",
	"PermissionLines":      "the permission table in words",
	"RequestedPermissions": "the permission names a mode and features need",
	"ReadDetail":           "a read message in words",
	"SendDetail":           "a test send in words",
	"Failed":               "whether any check failed",
	"Summarize":            "check results counted",
	"GenerateScripts":      "setup scripts as text",
	"AppStepTitle":         "a creation step's title",
	"Clouds":               "the clouds table",
	"CloudByName":          "one row of the clouds table",
	"FirstLines":           "text shortened for display",
	"RedactURL":            "an address without its query, for display",
	"NeedsShared":          "whether the mailboxes need the shared permission",
	"AdminScopes":          "the admin sign-in's scopes, for display",
	"RolesThatCanGrant":    "directory role names, for display",
}

// TestUICallsOnlyGraphValueHelpers walks ui's non-test files with go/ast: every name of
// package graph they use that is a function of graph (not a type or constant) must be
// one of graphValueHelpers. A call such as graph.SignIn, graph.RequestAdminConsent or
// graph.TestValues belongs in package connection.
func TestUICallsOnlyGraphValueHelpers(t *testing.T) {
	funcs := graphFuncs(t)
	for name := range graphValueHelpers {
		if !funcs[name] {
			t.Errorf("graphValueHelpers lists %s, which is no function of package graph: remove it", name)
		}
	}
	seen := 0
	walkGraphNames(t, func(pos token.Position, name string) {
		if !funcs[name] {
			return
		}
		seen++
		if _, ok := graphValueHelpers[name]; !ok {
			t.Errorf("%s: ui uses graph.%s, which is not a value helper: raise the intent through package connection instead", pos, name)
		}
	})
	if seen == 0 {
		t.Error("no use of graph's functions found in ui: the walk looked at the wrong files")
	}
}

// graphImportName is the name under which f imports package graph ("" when it does not).
func graphImportName(f *ast.File) string {
	const path = "github.com/m365connect/m365connect/graph"
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return "graph"
	}
	return ""
}

// graphFuncs are the exported package-level functions (no methods) of package graph's
// non-test files.
func graphFuncs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	graphDecls(t, func(fd *ast.FuncDecl) {
		if fd.Recv == nil && fd.Name.IsExported() {
			out[fd.Name.Name] = true
		}
	})
	if len(out) < 10 || !out["SignIn"] || !out["AdviceFor"] {
		names := make([]string, 0, len(out))
		for n := range out {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Fatalf("package graph's functions were not found (got %v)", names)
	}
	return out
}

// graphDecls calls f with each function and method of package graph's non-test files.
func graphDecls(t *testing.T, f func(fd *ast.FuncDecl)) {
	t.Helper()
	parseGoFiles(t, filepath.Join("..", "graph"), func(_ *token.FileSet, file *ast.File) {
		for _, d := range file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				f(fd)
			}
		}
	})
}

// parseGoFiles parses each non-test Go file of dir and hands it to f.
func parseGoFiles(t *testing.T, dir string, f func(fset *token.FileSet, file *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		f(fset, file)
	}
}

// graphHeldTypes are graph's types with methods that talk to the tenant which ui may
// still name, because it only holds a value and hands it back to package connection.
var graphHeldTypes = map[string]string{
	"DelegatedCredential": "the consent step's sign-in, kept for the mailbox step and Save",
}

// TestUINamesNoGraphClient: ui's non-test files name none of graph's types whose methods
// take a context (the ones that send requests, such as graph.Client), except those it
// only holds (graphHeldTypes). The mailbox step's search, look-up and reach test go
// through connection.Directory; before, ui built a *graph.Client and called it.
func TestUINamesNoGraphClient(t *testing.T) {
	io := graphIOTypes(t)
	if !io["Client"] {
		t.Fatalf("graph.Client was not found among graph's types that send requests (%v)", io)
	}
	walkGraphNames(t, func(pos token.Position, name string) {
		if _, held := graphHeldTypes[name]; io[name] && !held {
			t.Errorf("%s: ui names graph.%s, whose methods send requests: ask package connection instead", pos, name)
		}
	})
}

// walkGraphNames calls f with each name ui's non-test files take from package graph
// (graph.X, under whatever name the file imports it).
func walkGraphNames(t *testing.T, f func(pos token.Position, name string)) {
	t.Helper()
	parseGoFiles(t, ".", func(fset *token.FileSet, file *ast.File) {
		local := graphImportName(file)
		if local == "" {
			return
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local {
					f(fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	})
}

// graphIOTypes are the exported types of package graph with an exported method whose
// first parameter is a context.Context.
func graphIOTypes(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	graphDecls(t, func(fd *ast.FuncDecl) {
		if fd.Recv == nil || !fd.Name.IsExported() || len(fd.Type.Params.List) == 0 {
			return
		}
		if sel, ok := fd.Type.Params.List[0].Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Context" {
			return
		}
		recv := fd.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); ok && id.IsExported() {
			out[id.Name] = true
		}
	})
	return out
}
