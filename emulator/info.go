package emulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// Info is the sandbox info file: everything a client needs to use the practice tenant.
// It holds client secrets: WriteInfo writes it readable by the user only.
type Info struct {
	AuthorityHost        string        `json:"authority_host"`
	BrowserAuthorityHost string        `json:"browser_authority_host"`
	GraphBaseURL         string        `json:"graph_base_url"`
	CACertFile           string        `json:"ca_cert_file"`
	TenantID             string        `json:"tenant_id"`
	TenantDomain         string        `json:"tenant_domain"`
	Apps                 []InfoApp     `json:"apps"`
	Mailboxes            []InfoMailbox `json:"mailboxes"`
}

// InfoApp is one app registration in the info file.
type InfoApp struct {
	Name            string   `json:"name"`
	ClientID        string   `json:"client_id"`
	ClientSecret    string   `json:"client_secret"`
	CertificateFile string   `json:"certificate_file"` // PEM: certificate + private key
	Access          string   `json:"access"`           // "application" | "delegated"
	Roles           []string `json:"roles"`
	Scopes          []string `json:"scopes"`
	RedirectURIs    []string `json:"redirect_uris"`
}

// InfoMailbox is one mailbox in the info file.
type InfoMailbox struct {
	ID          string `json:"id"`
	Address     string `json:"address"`
	DisplayName string `json:"display_name"`
	Kind        string `json:"kind"` // "user" | "shared"
}

// infoFiles remembers where WriteInfo put the info file, the CA and certificate files.
type infoFiles struct {
	path  string // the info file ("" until WriteInfo)
	ca    string
	certs map[string]string // client id → PEM path
}

// Info describes the running tenant. File paths are filled in once WriteInfo has
// written them.
func (s *Server) Info() Info {
	s.mu.Lock()
	files := s.infoFiles
	s.mu.Unlock()
	id := s.identity
	info := Info{
		AuthorityHost:        s.AuthorityHost(),
		BrowserAuthorityHost: s.BrowserAuthorityHost(),
		GraphBaseURL:         s.GraphBaseURL(),
		CACertFile:           files.ca,
		TenantID:             id.TenantID(),
		TenantDomain:         id.TenantDomain(),
		Mailboxes:            s.mail.mailboxes(),
	}
	for _, a := range id.Apps() {
		info.Apps = append(info.Apps, InfoApp{
			Name: a.Name, ClientID: a.ClientID, ClientSecret: a.ClientSecret(), CertificateFile: files.certs[a.ClientID],
			Access: a.Access, Roles: nonNil(id.grantedRoles(a)), Scopes: nonNil(a.Scopes), RedirectURIs: nonNil(a.RedirectURIs),
		})
	}
	if info.Mailboxes == nil {
		info.Mailboxes = []InfoMailbox{}
	}
	return info
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// WriteInfo writes the info file at path (JSON, mode 0600, atomically) and beside it
// the CA certificate (<base>-ca.pem) and, for each app with a certificate credential,
// <base>-<app>.pem (certificate + PKCS#8 key) and <base>-<app>.pfx (PKCS#12 with 3DES/SHA-1 so azidentity and Windows read it, empty
// password). The server is already listening, so the URLs in the file work at once.
func (s *Server) WriteInfo(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("info file path: %w", err)
	}
	dir := filepath.Dir(abs)
	base := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	files := infoFiles{path: abs, ca: filepath.Join(dir, base+"-ca.pem"), certs: map[string]string{}}
	if err := writeFileAtomic(files.ca, s.pki.caPEM); err != nil {
		return err
	}
	for _, a := range s.identity.Apps() {
		if a.CertificatePEM() == nil {
			continue
		}
		slug := appSlug(a.Name)
		pemPath := filepath.Join(dir, base+"-"+slug+".pem")
		if err := writeFileAtomic(pemPath, a.certPEM); err != nil {
			return err
		}
		pfx, err := pkcs12.LegacyDES.Encode(a.certKey, a.cert, nil, "")
		if err != nil {
			return fmt.Errorf("encode pfx for %s: %w", a.Name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, base+"-"+slug+".pfx"), pfx); err != nil {
			return err
		}
		files.certs[a.ClientID] = pemPath
	}
	s.mu.Lock()
	s.infoFiles = files
	s.mu.Unlock()
	data, err := json.MarshalIndent(s.Info(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode info: %w", err)
	}
	return writeFileAtomic(abs, append(data, '\n'))
}

// appSlug turns "Practice app (certificate)" into "practice-app-certificate".
func appSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// writeFileAtomic writes data to a temp file (0600) in the same folder and renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	ok = true
	return nil
}
