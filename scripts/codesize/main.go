// Command codesize checks the module's size rule (package internal/codesize): it prints
// every non-test file over 500 lines and every function over 80, as file:line name
// length, and exits 1 when there is any. Run from the module root: `go run ./scripts/codesize`
// (make lint), or give the root as the only argument.
package main

import (
	"fmt"
	"os"

	"github.com/m365connect/m365connect/internal/codesize"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	l := codesize.Default()
	found, err := codesize.CheckTree(root, l)
	if err != nil {
		fmt.Fprintln(os.Stderr, "codesize:", err)
		os.Exit(2)
	}
	text, err := codesize.Report(found, l)
	if err != nil {
		fmt.Fprint(os.Stderr, text)
		os.Exit(1)
	}
	fmt.Print(text)
}
