package main

import (
	"context"
	"errors"
	"io"
)

// runSync is the 'sync' subcommand. Not built yet: the owner of this file replaces it.
func runSync(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
