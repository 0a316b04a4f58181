package connection

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// RotateAndVerifyOptions are the inputs of RotateAndVerify: the rotation's, and where
// the saved connection keeps its secret and its config.
type RotateAndVerifyOptions struct {
	RotateSavedOptions
	// SecretKey is the keyring key of the saved connection's secret (a profile's own,
	// ProfileSecretKey); the new secret goes there and the copy RotateSaved wrote under
	// the connection's key is removed. "" = the connection's key.
	SecretKey string
	// Store receives the new secret under SecretKey.
	Store KeyStore
	// Secrets is what the checks read the secret from afterwards.
	Secrets SecretSource
	// Path is where the config is saved with its new expiry and verification.
	Path string
	// Now is the clock of the verification; nil means time.Now.
	Now func() time.Time
	// OnVerify is called when the checks start.
	OnVerify func()
}

// RotationResult is how a rotation went.
type RotationResult struct {
	// Rotated: a new credential works and is stored (the old one may have stayed: the
	// error says so).
	Rotated bool
	// Secret is the new client secret (secret mode).
	Secret string
	// Verification is the checks' run with the new credential (nil when they did not
	// run).
	Verification *wizard.Verification
}

// RotateAndVerify is Reset's "Rotate the secret": RotateSaved, the new secret stored
// under the saved connection's key, every check run again with it, and the config saved
// with the new expiry and the verification.
func RotateAndVerify(ctx context.Context, o RotateAndVerifyOptions) (RotationResult, error) {
	c := o.Config
	var res RotationResult
	secret, err := RotateSaved(ctx, o.RotateSavedOptions)
	res.Secret = secret
	res.Rotated = secret != "" || (err == nil && c.AccessMode == wizard.ModeCertificate)
	if !res.Rotated {
		return res, err
	}
	if connKey := c.SecretKey(wizard.SecretClientSecret); secret != "" && o.SecretKey != "" && o.SecretKey != connKey {
		if _, serr := o.Store.Set(o.SecretKey, secret); serr != nil {
			return res, errors.Join(err, fmt.Errorf("store the new secret: %w", serr))
		}
		_ = o.Keyring.Delete(connKey)
	}
	if o.OnVerify != nil {
		o.OnVerify()
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if rs, verr := Verify(ctx, c, o.Secrets, nil); verr == nil {
		res.Verification = VerificationFrom(rs, now())
		c.Verification = res.Verification
	}
	if o.Path != "" {
		if serr := c.Save(o.Path); serr != nil {
			err = errors.Join(err, fmt.Errorf("save the config: %w", serr))
		}
	}
	return res, err
}
