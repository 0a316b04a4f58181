package graph

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// RotateOptions are the inputs of RotateCredential.
type RotateOptions struct {
	Cloud    Cloud
	TenantID string
	Admin    azcore.TokenCredential
	AppID    string // application (client) id
	Kind     CredentialKind
	Lifetime time.Duration
	// OldKeyID is the current secret's keyId (secret rotation; "" = found by
	// OldSecretHint, else every other secret is kept).
	OldKeyID string
	// OldSecretHint is the first three characters of the current secret, for a secret
	// whose keyId was never stored (an app made elsewhere): the one other secret with
	// this hint is removed; none or several are an error and every secret stays.
	OldSecretHint string
	// OldCertificatePEM is the current certificate (certificate rotation): it is sent
	// again while both are registered, then dropped.
	OldCertificatePEM []byte
	Wait              PropagationWait
	Progress          func(AppStep)
	OnLifetimeRefused func(tried time.Duration) (time.Duration, bool)
}

// Rotated is the new credential (secret: keyring only).
type Rotated struct {
	ClientSecret   string
	CertificatePEM []byte
	KeyID          string
	Expires        time.Time
}

// RotateCredential adds a new credential, proves it works (a token with it), and only
// then removes the old one. If the new one never works it is removed again and the old
// one stays.
// https://learn.microsoft.com/en-us/graph/api/application-addpassword
// https://learn.microsoft.com/en-us/graph/api/application-removepassword
// https://learn.microsoft.com/en-us/graph/api/application-update (keyCredentials)
func RotateCredential(ctx context.Context, o RotateOptions) (*Rotated, error) {
	d := directory{o.Cloud, o.Admin}
	c := &creation{o: CreateAppOptions{Cloud: o.Cloud, Progress: o.Progress}, dir: d, wait: o.Wait.normalised()}
	c.out = CreatedApp{TenantID: o.TenantID, AppID: o.AppID, Credential: o.Kind}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultCredentialLifetime
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := d.do(ctx, http.MethodGet, "/applications(appId='"+url.PathEscape(o.AppID)+"')", nil, &app); err != nil {
		return nil, fmt.Errorf("rotate: finding the app: %w", appLookupError(err))
	}
	c.report(AppStepCredential, StepRunning, "adding the new credential")
	out, newDER, err := addRotated(ctx, d, app.ID, o)
	if err != nil {
		return nil, err
	}
	c.out.ClientSecret, c.out.CertificatePEM = out.ClientSecret, out.CertificatePEM
	c.report(AppStepCredential, StepDone, "")
	c.report(AppStepPropagation, StepRunning, "checking the new credential")
	if err := c.waitForToken(ctx); err != nil {
		// Take the new credential back off; the old one keeps working.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		if o.Kind == CredentialSecret {
			_ = removePassword(cctx, d, app.ID, out.KeyID)
		} else {
			blk, _ := pem.Decode(o.OldCertificatePEM)
			_ = setCertificates(cctx, d, app.ID, keyCredential(blk.Bytes, previousCertName))
		}
		c.report(AppStepPropagation, StepFailed, "the new credential did not work; the old one stays")
		return nil, fmt.Errorf("rotate: the new credential did not work: %w", err)
	}
	c.report(AppStepPropagation, StepDone, "")
	c.report(AppStepCleanup, StepRunning, "removing the old credential")
	if err := removeOldCredential(ctx, d, app.ID, o, out.KeyID, newDER); err != nil {
		return out, fmt.Errorf("rotate: the new credential works but removing the old one failed (remove it in the Entra admin center): %w", err)
	}
	c.report(AppStepCleanup, StepDone, "")
	return out, nil
}

// previousCertName is the display name the current certificate keeps while the new
// one is being proven.
const previousCertName = "m365connect (previous)"

// addRotated adds the new credential beside the current one: a client secret
// (addPassword), or a new certificate registered together with the current one
// (keyCredentials replaces the whole list). newDER is the new certificate.
func addRotated(ctx context.Context, d directory, objectID string, o RotateOptions) (out *Rotated, newDER []byte, err error) {
	switch o.Kind {
	case CredentialSecret:
		sec, err := addPassword(ctx, d, objectID, o.Lifetime, o.OnLifetimeRefused)
		if err != nil {
			return nil, nil, fmt.Errorf("rotate: %w", err)
		}
		return &Rotated{ClientSecret: sec.text, KeyID: sec.keyID, Expires: sec.end}, nil, nil
	case CredentialCertificate:
		blk, _ := pem.Decode(o.OldCertificatePEM)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, nil, errors.New("rotate: the current certificate is not readable")
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, nil, fmt.Errorf("rotate: the current certificate: %w", err)
		}
		pemData, der, end, err := newCertificate(DefaultAppName, o.Lifetime)
		if err != nil {
			return nil, nil, err
		}
		if err := setCertificates(ctx, d, objectID, keyCredential(blk.Bytes, previousCertName), keyCredential(der, credentialName())); err != nil {
			return nil, nil, fmt.Errorf("rotate: adding the new certificate: %w", err)
		}
		return &Rotated{CertificatePEM: pemData, Expires: end}, der, nil
	}
	return nil, nil, fmt.Errorf("rotate: nothing to rotate for credential kind %q", o.Kind)
}

// removePassword removes one client secret of the app with this object id.
func removePassword(ctx context.Context, d directory, objectID, keyID string) error {
	return d.do(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/removePassword", map[string]string{"keyId": keyID}, nil)
}

// setCertificates replaces the app's certificates (keyCredentials) with certs.
func setCertificates(ctx context.Context, d directory, objectID string, certs ...map[string]any) error {
	return d.do(ctx, http.MethodPatch, "/applications/"+url.PathEscape(objectID), map[string]any{"keyCredentials": certs}, nil)
}

// DeleteApp deletes an app registration (its service principal and grants go with it).
// https://learn.microsoft.com/en-us/graph/api/application-delete
func DeleteApp(ctx context.Context, c Cloud, admin azcore.TokenCredential, appID string) error {
	if err := (directory{c, admin}).do(ctx, http.MethodDelete, "/applications(appId='"+url.PathEscape(appID)+"')", nil, nil); err != nil {
		return fmt.Errorf("delete app: %w", appLookupError(err))
	}
	return nil
}

// removeOldCredential removes the credential the rotation replaced: the old secret (by
// its keyId, else found by its hint), or every certificate but the new one.
func removeOldCredential(ctx context.Context, d directory, objectID string, o RotateOptions, newKeyID string, newDER []byte) error {
	if o.Kind != CredentialSecret {
		return setCertificates(ctx, d, objectID, keyCredential(newDER, credentialName()))
	}
	old := o.OldKeyID
	if old == "" && o.OldSecretHint != "" {
		var err error
		if old, err = oldSecretByHint(ctx, d, objectID, o.OldSecretHint, newKeyID); err != nil {
			return err
		}
	}
	if old == "" {
		return nil // no way to tell: every other secret stays
	}
	return removePassword(ctx, d, objectID, old)
}

// oldSecretByHint finds the keyId of the secret being replaced from its hint, the first
// three characters of the secret that Microsoft Graph lists for each passwordCredential
// (the secret itself is never listed). The new secret (newKeyID) is left out; exactly
// one other secret must carry the hint.
// https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential
// https://learn.microsoft.com/en-us/graph/api/application-get
func oldSecretByHint(ctx context.Context, d directory, objectID, hint, newKeyID string) (string, error) {
	var app struct {
		PasswordCredentials []struct {
			KeyID string `json:"keyId"`
			Hint  string `json:"hint"`
		} `json:"passwordCredentials"`
	}
	if err := d.do(ctx, http.MethodGet, "/applications/"+url.PathEscape(objectID)+"?$select=passwordCredentials", nil, &app); err != nil {
		return "", fmt.Errorf("listing the app's secrets: %w", err)
	}
	var found []string
	for _, pc := range app.PasswordCredentials {
		if pc.Hint == hint && !strings.EqualFold(pc.KeyID, newKeyID) {
			found = append(found, pc.KeyID)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w: %d secrets of the app start with the old one's first three characters", ErrOldSecretUnknown, len(found))
	}
	return found[0], nil
}

// ErrOldSecretUnknown: after a rotation the old secret could not be told apart from the
// app's other secrets, so it was not removed (remove it in the Entra admin center).
var ErrOldSecretUnknown = errors.New("the old secret could not be identified")

// appLookupError marks a 404 on an application addressed by its appId as
// ErrAppNotFound (the advice then names the app, not a mailbox), keeping Microsoft's
// error beside it. https://learn.microsoft.com/en-us/graph/api/application-get
func appLookupError(err error) error {
	if ge := (*Error)(nil); errors.As(err, &ge) && (ge.Status == http.StatusNotFound || ge.Code == "Request_ResourceNotFound") {
		return fmt.Errorf("%w (%w)", ErrAppNotFound, err)
	}
	return err
}
