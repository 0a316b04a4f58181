package main

import (
	"context"
	"errors"
	"io"
)

// runExport is the 'export' subcommand. Not built yet: the owner of this file replaces it.
func runExport(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
