package connection

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// Reset on the window's last step offers to rotate the saved connection's secret or
// certificate (or to change values). Rotation is RotateApp: a new credential is added
// with one administrator sign-in, proven to get a token, and only then the old one is
// removed; the new one goes to the keyring and the config records its expiry.

// RotateSavedOptions are the inputs of RotateSaved.
type RotateSavedOptions struct {
	// Config is the saved connection; its Credential (expiry, thumbprint) is updated.
	Config *wizard.Config
	// Admin is the administrator's sign-in (graph.AdminSignIn).
	Admin azcore.TokenCredential
	// Keyring holds a created app's secret keyId or certificate (connection keys) and
	// receives the new credential there.
	Keyring Keyring
	// OldSecret is the secret in use (secret mode): only its first three characters
	// are used, to find it among the app's secrets when its keyId was never stored.
	OldSecret string
	// Progress reports each step.
	Progress func(graph.AppStep)
}

// RotateSaved rotates the saved connection's credential and returns the new secret
// (secret mode; "" for a certificate, which stays in the keyring).
func RotateSaved(ctx context.Context, o RotateSavedOptions) (string, error) {
	c := o.Config
	if !CanRotate(c.AccessMode, c.Credential.CertificateInKeyring) {
		return "", errors.New("rotate: only a client secret, or a certificate made by \"Create it for me\", can be rotated here")
	}
	before := c.Credential.ExpiresAt
	err := rotateApp(ctx, c, o.Admin, o.Keyring, 0, o.Progress, o.OldSecret)
	if c.Credential.ExpiresAt == before || c.AccessMode != wizard.ModeSecret {
		// Nothing stored (the new credential did not work), or a certificate: the
		// error, if any, says what happened.
		return "", err
	}
	// The new secret works and is stored; err may still say the old one stayed.
	secret, gerr := o.Keyring.Get(c.SecretKey(wizard.SecretClientSecret))
	return secret, errors.Join(err, gerr)
}

// CanRotate reports whether a connection's credential can be rotated by the app: a
// client secret, or a certificate the app made (its private key in the keyring).
func CanRotate(mode string, certInKeyring bool) bool {
	return mode == wizard.ModeSecret || mode == wizard.ModeCertificate && certInKeyring
}
