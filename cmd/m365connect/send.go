package main

import (
	"context"
	"errors"
	"io"
)

// runSend is the 'send' subcommand. Not built yet: the owner of this file replaces it.
func runSend(_ context.Context, _ []string, _, _ io.Writer) error {
	return errors.New("not available in this build yet")
}
