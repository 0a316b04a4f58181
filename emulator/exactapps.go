package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"
)

// Practice apps with exactly the application permissions of each app-only choice the
// wizard offers, each with both credentials (a client secret and a certificate), so a
// practice connection made with the wizard's choices verifies with nothing "more than
// needed" in the secret and in the certificate mode alike. The sets, from Microsoft's
// permission tables (see practiceapps.go for the pages):
//   - read incoming mail: Mail.Read;
//   - read and organise (move, flag, delete): Mail.ReadWrite;
//   - send (with or without reading): Mail.ReadWrite (drafts) and Mail.Send;
//
// each without and with User.Read.All, the mailbox picker's directory permission
// (https://learn.microsoft.com/en-us/graph/api/user-list#permissions). The per-mode apps
// of practiceapps.go hold the picker always and a secret only.

// ExactApp describes one app-only practice app with an exact permission set.
type ExactApp struct {
	Name        string
	Permissions []string
}

// ExactApps lists the app-only practice apps with exact permission sets.
func ExactApps() []ExactApp {
	const picker = "User.Read.All"
	var out []ExactApp
	for _, b := range []ExactApp{
		{Name: "Practice app (read mail)", Permissions: []string{"Mail.Read"}},
		{Name: "Practice app (read and organise mail)", Permissions: []string{"Mail.ReadWrite"}},
		{Name: "Practice app (send mail)", Permissions: []string{"Mail.ReadWrite", "Mail.Send"}},
	} {
		out = append(out, b, ExactApp{Name: b.Name[:len(b.Name)-1] + ", mailbox picker)", Permissions: append(b.Permissions[:len(b.Permissions):len(b.Permissions)], picker)})
	}
	return out
}

// exactApps builds the exact apps (consented, stable client ids for a seed), each with
// a client secret and a certificate; the certificates share key (the general
// certificate app's), so they cost no key generation at start.
func exactApps(seed int64, now time.Time, key *rsa.PrivateKey) ([]*App, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal app key: %w", err)
	}
	var out []*App
	for _, e := range ExactApps() {
		a := newPracticeApp(e.Name, seededGUID(seed, "exact-app/"+e.Name), false, e.Permissions, now)
		tmpl := &x509.Certificate{SerialNumber: randSerial(), Subject: pkix.Name{CommonName: e.Name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, fmt.Errorf("create app certificate: %w", err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("parse app certificate: %w", err)
		}
		a.fillCertificate(cert, key, keyDER)
		a.creds.setKeys([]keyCred{newKeyCred(newGUID(), "Practice certificate", cert)})
		out = append(out, a)
	}
	return out, nil
}
