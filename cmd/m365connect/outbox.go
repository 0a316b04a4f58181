package main

import (
	"context"
	"errors"
	"io"
)

// runOutbox is the 'outbox' subcommand. Not built yet: the owner of this file replaces it.
func runOutbox(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
