package main

import (
	"context"
	"errors"
	"io"
)

// runSandbox is the 'sandbox' subcommand. Not built yet: the owner of this file replaces it.
func runSandbox(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
