package ui

import (
	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
)

// This file holds no Fyne code: what the screens need of the connection being entered
// comes from package connection (settings, secrets, the credential, the Graph client),
// shared with the subcommands, so the window and the command run the same code.

// SecretSource finds the secrets of a connection (see connection.SecretSource).
type SecretSource = conn.SecretSource

// connection is what the consent step obtained: the delegated sign-in's credential.
type connection struct {
	delegated *graph.DelegatedCredential
}

// delegated is the consent step's sign-in, if any.
func (z *Wizard) delegated() *graph.DelegatedCredential {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.conn == nil {
		return nil
	}
	return z.conn.delegated
}

// directory asks the tenant the mailbox step's questions with the values typed so far
// (connection.StateDirectory). It reads the state: call it on the UI goroutine.
func (z *Wizard) directory() (*conn.Directory, error) {
	return conn.StateDirectory(z.state, z.delegated(), z.opts.Secrets)
}
