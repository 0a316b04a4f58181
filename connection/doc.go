// Package connection turns a saved config (package wizard) and its secrets into working
// Microsoft Graph clients for the rest of the app: the checks of package graph, the sync
// engine's mail source (package mailsync) and the outbox's sender (package outbox).
//
// The window, `m365connect verify`, `m365connect sync --config` and `m365connect outbox
// run --config` all go through Open, so a config that verifies is exactly the config that
// syncs and sends. No Fyne import: it is usable headless.
//
// Secrets come from a SecretSource: the OS keyring (package secretstore, as the wizard
// saved them) behind environment variables for CI (Chain). A delegated connection's
// rotated refresh token is written back when the source can store (Setter).
package connection
