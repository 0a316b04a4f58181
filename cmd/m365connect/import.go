package main

import (
	"context"
	"errors"
	"io"
)

// runImport is the 'import' subcommand. Not built yet: the owner of this file replaces it.
func runImport(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
