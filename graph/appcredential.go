package graph

// This file holds the new app's credential: a client secret (addPassword, within the
// tenant's lifetime policy) or a self-signed certificate (keyCredentials), and the
// azidentity credential built from it.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func keyCredential(der []byte, name string) map[string]any {
	return map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.StdEncoding.EncodeToString(der), "displayName": name}
}

// createCredential adds the client secret (the certificate went in with the app).
func (c *creation) createCredential(ctx context.Context) error {
	if c.o.Plan.Credential != CredentialSecret {
		return nil
	}
	sec, err := addPassword(ctx, c.dir, c.out.ObjectID, c.o.Plan.Lifetime, c.o.OnLifetimeRefused)
	if err != nil {
		return err
	}
	c.out.ClientSecret, c.out.CredentialKeyID, c.out.Expires = sec.text, sec.keyID, sec.end
	c.created = append(c.created, CreatedObject{Kind: "client secret", ID: sec.keyID, Name: "expires " + sec.end.Format("2006-01-02")})
	return nil
}

type newSecret struct {
	keyID, text string
	end         time.Time
}

// addPassword is POST /applications/{id}/addPassword with an endDateTime; a lifetime
// the tenant's app management policy refuses (400
// CredentialInvalidLifetimeAsPerAppPolicy) is offered to onRefused for a shorter one.
// https://learn.microsoft.com/en-us/graph/api/application-addpassword
func addPassword(ctx context.Context, d directory, objectID string, lifetime time.Duration, onRefused func(time.Duration) (time.Duration, bool)) (newSecret, error) {
	for {
		end := time.Now().Add(lifetime).UTC().Truncate(time.Second)
		var pc struct {
			KeyID       string `json:"keyId"`
			SecretText  string `json:"secretText"`
			EndDateTime string `json:"endDateTime"`
		}
		err := d.do(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/addPassword",
			map[string]any{"passwordCredential": map[string]string{"displayName": credentialName(), "endDateTime": end.Format(time.RFC3339)}}, &pc)
		var he *Error
		if errors.As(err, &he) && he.Code == "CredentialInvalidLifetimeAsPerAppPolicy" {
			if onRefused != nil {
				if shorter, ok := onRefused(lifetime); ok && shorter > 0 && shorter < lifetime {
					lifetime = shorter
					continue
				}
			}
			return newSecret{}, fmt.Errorf("%w (%d days): %w", ErrLifetimeRefused, int(lifetime.Hours()/24), err)
		}
		if err != nil {
			return newSecret{}, err
		}
		if pc.SecretText == "" {
			return newSecret{}, errors.New("addPassword answered without the secret text")
		}
		if t, perr := time.Parse(time.RFC3339, pc.EndDateTime); perr == nil {
			end = t
		}
		return newSecret{keyID: pc.KeyID, text: pc.SecretText, end: end}, nil
	}
}

// appCredential builds the new app's credential from its secret or certificate.
func appCredential(cl Cloud, tenantID, clientID, secret string, certPEM []byte) (azcore.TokenCredential, error) {
	if len(certPEM) > 0 {
		return NewCertificateCredential(cl, tenantID, clientID, certPEM, "")
	}
	return NewSecretCredential(cl, tenantID, clientID, secret)
}

// newCertificate makes a self-signed RSA 2048 certificate valid for lifetime and
// returns certificate + PKCS#8 key as PEM, the certificate's DER and its end.
func newCertificate(name string, lifetime time.Duration) (pemData, der []byte, notAfter time.Time, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("generate the certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("certificate serial: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("create the certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("encode the certificate key: %w", err)
	}
	pemData = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	return pemData, der, tmpl.NotAfter, nil
}

// credentialName is a new secret's or certificate's display name in the app
// registration: the app and the day it was added.
func credentialName() string { return "m365connect " + time.Now().UTC().Format("2006-01-02") }
