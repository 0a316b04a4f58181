// Package codesize checks the module's size rule: no non-test .go file over MaxFileLines
// lines and no function — a declaration or a literal, counted from its `func` line to its
// closing brace — over MaxFuncLines lines. The only exceptions are tables of data: a
// function whose whole body is `return <composite literal>`, named in Tables with the
// reason it is one. `go run ./scripts/codesize` applies it to the module (make lint).
//
// A long function mixes responsibilities (parsing, policy, I/O) that each want a name and
// a test of their own; a long file holds several rooms. The check says where, not how to
// split: file:line, the name and its length.
package codesize

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The limits: a file or function is over when it has more lines than these.
const (
	MaxFileLines = 500
	MaxFuncLines = 80
)

// Tables lists the functions exempt from MaxFuncLines because each is one table of data
// (its body is `return` of one composite literal), keyed "dir/file.go:Name" relative to
// the module root, with the reason. An entry whose function is no longer a pure table is
// reported (Finding.Kind KindNotATable), so the list cannot hide code. A file is over
// MaxFileLines only when it is over without its listed tables.
func Tables() map[string]string {
	return map[string]string{
		"graph/catalogue.go:catalogue": "the error → advice catalogue: one []Advice literal, an entry per Microsoft error code the product explains",
	}
}

// Finding kinds.
const (
	KindFile      = "file"        // a file over MaxFileLines
	KindFunc      = "func"        // a function over MaxFuncLines
	KindNotATable = "not a table" // a Tables entry that is not one composite literal, or is missing
)

// Finding is one place over a limit.
type Finding struct {
	File  string // slash-separated, relative to the root checked
	Line  int    // where the file or function starts
	Name  string // the function ("Type.Method", "Outer.func2" for the second literal in Outer); "" for a file
	Lines int    // its length in lines
	Kind  string // KindFile, KindFunc or KindNotATable
}

// String is the line the checker prints: "file:line name length (kind)".
func (f Finding) String() string {
	if f.Kind == KindNotATable && f.Lines == 0 {
		return fmt.Sprintf("%s: %s is listed in codesize.Tables but not there (%s)", f.File, f.Name, f.Kind)
	}
	name := f.Name
	if name == "" {
		name = "(file)"
	}
	return fmt.Sprintf("%s:%d %s %d lines (%s)", f.File, f.Line, name, f.Lines, f.Kind)
}

// Limits are the numbers and exemptions a check applies; Default is the module's rule.
type Limits struct {
	FileLines, FuncLines int
	Tables               map[string]string
}

// Default is the module's rule: MaxFileLines, MaxFuncLines and Tables.
func Default() Limits {
	return Limits{FileLines: MaxFileLines, FuncLines: MaxFuncLines, Tables: Tables()}
}

// CheckTree checks every non-test, non-generated .go file under root, leaving out
// testdata, vendor, folders starting with "." or "_" and nested modules (a folder with
// its own go.mod, such as tools/). Findings come sorted by file and line.
func CheckTree(root string, l Limits) ([]Finding, error) {
	var out []Finding
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		found, err := CheckFile(rel, src, l)
		if err != nil {
			return err
		}
		out = append(out, found...)
		seen[rel] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check sizes under %s: %w", root, err)
	}
	for _, key := range slices.Sorted(maps.Keys(l.Tables)) {
		if file, fn, _ := strings.Cut(key, ":"); !seen[file] {
			out = append(out, Finding{File: file, Name: fn, Kind: KindNotATable})
		}
	}
	sortFindings(out)
	return out, nil
}

func skipDir(path, name string) bool {
	if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

// CheckFile checks one file's source; name is its slash-separated path relative to the
// module root (the key Tables uses). A generated file (ast.IsGenerated) has no findings.
func CheckFile(name string, src []byte, l Limits) ([]Finding, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	var out []Finding
	lines := func(n ast.Node) int { return fset.Position(n.End()).Line - fset.Position(n.Pos()).Line + 1 }
	tableLines, seenTables := 0, map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			// A function literal in a package-level var, named after the var.
			if gd, ok := d.(*ast.GenDecl); ok {
				out = append(out, literals(fset, name, gd, genName(gd), l.FuncLines)...)
			}
			continue
		}
		fname := funcName(fd)
		key := name + ":" + fname
		if _, exempt := l.Tables[key]; exempt {
			seenTables[key] = true
			if isTable(fd) {
				tableLines += lines(fd)
				continue
			}
			out = append(out, Finding{File: name, Line: fset.Position(fd.Pos()).Line, Name: fname, Lines: lines(fd), Kind: KindNotATable})
		}
		if n := lines(fd); n > l.FuncLines {
			out = append(out, Finding{File: name, Line: fset.Position(fd.Pos()).Line, Name: fname, Lines: n, Kind: KindFunc})
		}
		out = append(out, literals(fset, name, fd, fname, l.FuncLines)...)
	}
	for key := range l.Tables {
		if file, fn, _ := strings.Cut(key, ":"); file == name && !seenTables[key] {
			out = append(out, Finding{File: name, Name: fn, Kind: KindNotATable})
		}
	}
	if n := bytes.Count(src, []byte("\n")); n-tableLines > l.FileLines {
		out = append(out, Finding{File: name, Line: 1, Lines: n, Kind: KindFile})
	}
	sortFindings(out)
	return out, nil
}

// literals reports the function literals inside decl over max lines, named as the
// compiler does: Outer.func1, Outer.func2 in source order (nested ones numbered on).
func literals(fset *token.FileSet, file string, decl ast.Decl, outer string, max int) []Finding {
	var out []Finding
	i := 0
	ast.Inspect(decl, func(n ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		i++
		start, end := fset.Position(lit.Pos()).Line, fset.Position(lit.End()).Line
		if end-start+1 > max {
			out = append(out, Finding{File: file, Line: start, Name: fmt.Sprintf("%s.func%d", outer, i), Lines: end - start + 1, Kind: KindFunc})
		}
		return true
	})
	return out
}

// genName names a var/const declaration by its first name.
func genName(gd *ast.GenDecl) string {
	for _, sp := range gd.Specs {
		if vs, ok := sp.(*ast.ValueSpec); ok && len(vs.Names) > 0 {
			return vs.Names[0].Name
		}
	}
	return gd.Tok.String()
}

// funcName is "Name" or "Type.Name" for a method (pointer or not, type parameters dropped).
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fd.Name.Name
	}
}

// isTable says whether fd's whole body is `return <composite literal>`.
func isTable(fd *ast.FuncDecl) bool {
	if fd.Body == nil || len(fd.Body.List) != 1 {
		return false
	}
	r, ok := fd.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(r.Results) != 1 {
		return false
	}
	_, ok = r.Results[0].(*ast.CompositeLit)
	return ok
}

// ErrOver is returned (wrapped) by Report when there are findings.
var ErrOver = errors.New("code over the size limits")

// Report formats findings one a line with a closing count; the error wraps ErrOver when
// there is any.
func Report(findings []Finding, l Limits) (string, error) {
	if len(findings) == 0 {
		return fmt.Sprintf("sizes ok: no file over %d lines, no function over %d\n", l.FileLines, l.FuncLines), nil
	}
	var b strings.Builder
	for _, f := range findings {
		b.WriteString(f.String() + "\n")
	}
	fmt.Fprintf(&b, "%d over the limits (file > %d lines, function > %d); split by responsibility, or list a pure data table in codesize.Tables with its reason\n", len(findings), l.FileLines, l.FuncLines)
	return b.String(), fmt.Errorf("%w: %d", ErrOver, len(findings))
}

func sortFindings(found []Finding) {
	slices.SortStableFunc(found, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}
