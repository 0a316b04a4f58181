package main

import (
	"context"
	"errors"
	"io"
)

// runVerify is the 'verify' subcommand. Not built yet: the owner of this file replaces it.
func runVerify(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
