package connection

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// "Create it for me": the app registration made with one admin sign-in, its credential
// stored straight into the keyring, the config filled in; rotation and deletion.

// Keyring kinds (wizard.Config.SecretKey) of a created app's credential.
const (
	// SecretCertificate holds a generated certificate and its private key (PEM).
	SecretCertificate = "certificate"
	// SecretClientSecretID holds the keyId of the stored client secret (for rotation).
	SecretClientSecretID = "client-secret-id"
)

// Keyring is the secret store the app commands write to (secretstore.Store through
// StoreKeyring, or a test double).
type Keyring interface {
	Get(key string) (string, error)
	Set(key, value string) error
	Delete(key string) error
}

// StoreKeyring adapts a *secretstore.Store to Keyring.
type StoreKeyring struct{ Store *secretstore.Store }

// Get implements Keyring.
func (k StoreKeyring) Get(key string) (string, error) { return k.Store.Get(key) }

// Set implements Keyring.
func (k StoreKeyring) Set(key, value string) error {
	_, err := k.Store.Set(key, value)
	return err
}

// Delete implements Keyring.
func (k StoreKeyring) Delete(key string) error { return k.Store.Delete(key) }

// AppOptions are the inputs of CreateApp.
type AppOptions struct {
	// Config holds cloud, tenant, access mode, features and mailboxes; CreateApp fills
	// in ClientID, Permissions, Credential and Verification.
	Config *wizard.Config
	// Admin is the admin's sign-in (AdminSignIn).
	Admin    azcore.TokenCredential
	Keyring  Keyring
	Name     string        // app registration name; default graph.DefaultAppName
	Lifetime time.Duration // secret/certificate; default 12 months
	// Delegated is how the mailbox account signs in with the new app to prove it works
	// (delegated mode; nil: no such sign-in); its refresh token goes to the keyring.
	Delegated         *DelegatedProof
	OnLifetimeRefused func(tried time.Duration) (time.Duration, bool)
	KeepOnFailure     bool
	Wait              graph.PropagationWait
	Progress          func(graph.AppStep)
}

// PlanFor is the plan shown before anything is created.
func PlanFor(c *wizard.Config, name string, lifetime time.Duration) graph.AppPlan {
	return graph.PlanApp(name, graph.Mode(c.AccessMode), GraphFeatures(c.Features), lifetime)
}

// CreateApp creates the app of the config's mode, stores its credential in the keyring
// and fills the config (ClientID, Permissions, Credential, Verification). When the
// keyring refuses the credential, the new app is deleted again.
func CreateApp(ctx context.Context, o AppOptions) (*graph.CreatedApp, error) {
	c := o.Config
	if c == nil || o.Keyring == nil {
		return nil, errors.New("create app: no config or keyring")
	}
	s, err := SettingsFor(&wizard.Config{Cloud: c.Cloud, Practice: c.Practice, TenantID: c.TenantID, AccessMode: c.AccessMode,
		Features: c.Features, Mailboxes: c.Mailboxes, ClientID: "pending"})
	if err != nil {
		return nil, err
	}
	plan := PlanFor(c, o.Name, o.Lifetime)
	g := graph.CreateAppOptions{Cloud: s.Cloud, TenantID: c.TenantID, Admin: o.Admin, Plan: plan, Verify: s,
		OnLifetimeRefused: o.OnLifetimeRefused, KeepOnFailure: o.KeepOnFailure, Wait: o.Wait, Progress: o.Progress}
	if o.Delegated != nil {
		g.SignInDelegated = func(ctx context.Context, clientID string) (azcore.TokenCredential, error) {
			key := keyFor(c, clientID, wizard.SecretRefreshToken)
			return o.Delegated.signIn(ctx, graph.SignInOptions{Cloud: s.Cloud, TenantID: c.TenantID, ClientID: clientID,
				Permissions:    graph.RequestedPermissions(graph.ModeDelegated, s.Features),
				OnRefreshToken: func(rt string) { _ = o.Keyring.Set(key, rt) }})
		}
	}
	got, err := graph.CreateApp(ctx, g)
	if err != nil {
		return nil, err
	}
	if err := storeCredential(c, got, o.Keyring); err != nil {
		// A credential nobody can read again is worse than no app: take it back.
		derr := graph.DeleteApp(context.WithoutCancel(ctx), s.Cloud, o.Admin, got.AppID)
		return nil, fmt.Errorf("create app: saving the credential in the keyring: %w", errors.Join(err, derr))
	}
	c.ClientID = got.AppID
	c.Permissions = nil
	for _, p := range plan.Permissions {
		c.Permissions = append(c.Permissions, p.Name)
	}
	if len(got.Checks) > 0 {
		c.Verification = VerificationFrom(got.Checks, time.Now())
	}
	return got, nil
}

// keyFor is the keyring key of a secret of the config's connection with clientID.
func keyFor(c *wizard.Config, clientID, kind string) string {
	cc := *c
	cc.ClientID = clientID
	return cc.SecretKey(kind)
}

// storeCredential writes the created credential to the keyring and describes it in the
// config (without its secret parts).
func storeCredential(c *wizard.Config, got *graph.CreatedApp, k Keyring) error {
	cred := wizard.Credential{ServiceAccount: c.Credential.ServiceAccount}
	if !got.Expires.IsZero() {
		e := got.Expires.UTC()
		cred.ExpiresAt = &e
	}
	switch got.Credential {
	case graph.CredentialSecret:
		if err := k.Set(keyFor(c, got.AppID, wizard.SecretClientSecret), got.ClientSecret); err != nil {
			return err
		}
		if err := k.Set(keyFor(c, got.AppID, SecretClientSecretID), got.CredentialKeyID); err != nil {
			return err
		}
	case graph.CredentialCertificate:
		if err := k.Set(keyFor(c, got.AppID, SecretCertificate), string(got.CertificatePEM)); err != nil {
			return err
		}
		// The certificate and its private key are in the keyring only, never in a file.
		cred.CertificateInKeyring = true
		cred.CertificateThumbprint = thumbprint(got.CertificatePEM)
	}
	c.Credential = cred
	return nil
}

// thumbprint is the SHA-1 hex thumbprint the Entra admin center shows.
func thumbprint(pemData []byte) string {
	blk, _ := pem.Decode(pemData)
	if blk == nil {
		return ""
	}
	s := sha1.Sum(blk.Bytes)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// RotateApp replaces the config's secret or certificate: adds a new one, proves it
// works, removes the old one, and stores the new one in the keyring.
func RotateApp(ctx context.Context, c *wizard.Config, admin azcore.TokenCredential, k Keyring, lifetime time.Duration, progress func(graph.AppStep)) error {
	old, _ := k.Get(c.SecretKey(wizard.SecretClientSecret))
	return rotateApp(ctx, c, admin, k, lifetime, progress, old)
}

// rotateApp is RotateApp with the secret in use given (its first three characters find
// it among the app's secrets when its keyId was never stored).
func rotateApp(ctx context.Context, c *wizard.Config, admin azcore.TokenCredential, k Keyring, lifetime time.Duration, progress func(graph.AppStep), oldSecret string) error {
	cl, err := CloudFor(c.Cloud, c.Practice)
	if err != nil {
		return err
	}
	o := graph.RotateOptions{Cloud: cl, TenantID: c.TenantID, Admin: admin, AppID: c.ClientID, Lifetime: lifetime, Progress: progress}
	switch c.AccessMode {
	case wizard.ModeSecret:
		o.Kind = graph.CredentialSecret
		o.OldKeyID, _ = k.Get(c.SecretKey(SecretClientSecretID))
		if o.OldKeyID == "" && len(oldSecret) >= 3 {
			o.OldSecretHint = oldSecret[:3]
		}
	case wizard.ModeCertificate:
		if !c.Credential.CertificateInKeyring {
			return errors.New("rotate: only a certificate made by \"Create it for me\" can be rotated here; upload a new one in the Entra admin center")
		}
		pemData, err := k.Get(c.SecretKey(SecretCertificate))
		if err != nil {
			return fmt.Errorf("rotate: the current certificate: %w", err)
		}
		o.Kind, o.OldCertificatePEM = graph.CredentialCertificate, []byte(pemData)
	default:
		return errors.New("rotate: a delegated connection has no secret to rotate")
	}
	r, err := graph.RotateCredential(ctx, o)
	if r == nil {
		return err
	}
	got := &graph.CreatedApp{AppID: c.ClientID, Credential: o.Kind, ClientSecret: r.ClientSecret, CredentialKeyID: r.KeyID,
		CertificatePEM: r.CertificatePEM, Expires: r.Expires}
	if serr := storeCredential(c, got, k); serr != nil {
		return fmt.Errorf("rotate: the new credential works but the keyring refused it: %w", serr)
	}
	return err
}

// DeleteApp deletes the config's app registration and its secrets in the keyring.
func DeleteApp(ctx context.Context, c *wizard.Config, admin azcore.TokenCredential, k Keyring) error {
	cl, err := CloudFor(c.Cloud, c.Practice)
	if err != nil {
		return err
	}
	if err := graph.DeleteApp(ctx, cl, admin, c.ClientID); err != nil {
		return err
	}
	var errs []error
	for _, kind := range secretKinds() {
		errs = append(errs, k.Delete(c.SecretKey(kind)))
	}
	return errors.Join(errs...)
}
