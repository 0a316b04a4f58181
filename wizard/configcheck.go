package wizard

// This file holds Config.Validate: every field of a config checked, each problem
// reported with its JSON path (FieldErrors). One method per section of the file.

import (
	"fmt"
	"strings"
)

// FieldError is a problem with one field of the config.
type FieldError struct {
	Field   string // JSON path, e.g. "mailboxes[1].address"
	Message string
}

// FieldErrors lists every problem found, top to bottom.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}

// add records one problem.
func (fe *FieldErrors) add(field, format string, a ...any) {
	*fe = append(*fe, FieldError{field, fmt.Sprintf(format, a...)})
}

// fromValidator records a field validator's error. The validators' messages start with
// their label ("Tenant: ..."); the advice is kept and the JSON field name put in front.
func (fe *FieldErrors) fromValidator(field string, err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	fe.add(field, "%s", msg)
}

// path records ValidateFilePath's error for a file named in the config.
func (fe *FieldErrors) path(field, v string) {
	if err := ValidateFilePath(v); err != nil {
		fe.add(field, "%s", err.Error())
	}
}

// Validate checks every field and returns FieldErrors naming each bad one, or nil.
func (c *Config) Validate() error {
	var fe FieldErrors
	if c.Schema != SchemaVersion {
		fe.add("schema", "is %d, want %d", c.Schema, SchemaVersion)
	}
	c.validateCloud(&fe)
	fe.fromValidator("tenantId", ValidateTenant(c.TenantID))
	fe.fromValidator("clientId", ValidateClientID(c.ClientID))
	c.validateCredential(&fe)
	if !c.Features.Read && !c.Features.Write && !c.Features.Send {
		fe.add("features", "choose at least one of read, readWrite, send")
	}
	c.validateMailboxes(&fe)
	if c.Sync != nil {
		c.Sync.validate(&fe)
	}
	if c.Outbox != nil {
		c.validateOutbox(&fe)
	}
	if c.Verification != nil {
		for i, ch := range c.Verification.Checks {
			switch ch.Status {
			case StatusPass, StatusFail, StatusWarn, StatusSkipped:
			default:
				fe.add(fmt.Sprintf("verification.checks[%d].status", i), "%q is not one of pass, fail, warn, skipped", ch.Status)
			}
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// validateCloud checks the cloud and, for the practice tenant only, its hosts.
func (c *Config) validateCloud(fe *FieldErrors) {
	switch c.Cloud {
	case CloudGlobal, CloudUSGov, CloudUSDoD, CloudChina:
		if c.Practice != nil {
			fe.add("practice", "only the practice tenant has practice hosts; remove it or set cloud to %q", CloudPractice)
		}
	case CloudPractice:
		if c.Practice == nil {
			fe.add("practice", "the practice tenant needs its hosts (authorityHost, graphBaseUrl, caCertFile)")
			return
		}
		for _, f := range []struct {
			name, v   string
			http, opt bool
		}{
			{"practice.authorityHost", c.Practice.AuthorityHost, false, false},
			{"practice.graphBaseUrl", c.Practice.GraphBaseURL, false, false},
			{"practice.browserAuthorityHost", c.Practice.BrowserAuthorityHost, true, true},
		} {
			if f.opt && f.v == "" {
				continue
			}
			if err := ValidatePracticeURL(f.v, f.http); err != nil {
				fe.add(f.name, "%s", err.Error())
			}
		}
		if c.Practice.CACertFile == "" {
			fe.add("practice.caCertFile", "name the practice tenant's CA certificate file (sandbox --info writes it)")
		} else {
			fe.path("practice.caCertFile", c.Practice.CACertFile)
		}
	case "":
		fe.add("cloud", "missing; one of global, usgov, usdod, china, practice")
	default:
		fe.add("cloud", "%q is not one of global, usgov, usdod, china, practice", c.Cloud)
	}
}

// validateCredential checks the access mode and the certificate file it needs.
func (c *Config) validateCredential(fe *FieldErrors) {
	switch c.AccessMode {
	case ModeSecret, ModeDelegated:
	case ModeCertificate:
		if c.Credential.CertificateFile == "" && !c.Credential.CertificateInKeyring {
			fe.add("credential.certificateFile", "certificate mode needs the certificate file (.pfx or .pem)")
		}
	case "":
		fe.add("accessMode", "missing; one of secret, certificate, delegated")
	default:
		fe.add("accessMode", "%q is not one of secret, certificate, delegated", c.AccessMode)
	}
	if c.Credential.CertificateFile != "" {
		fe.path("credential.certificateFile", c.Credential.CertificateFile)
	}
}

// validateMailboxes checks each mailbox's address (listed once) and kind.
func (c *Config) validateMailboxes(fe *FieldErrors) {
	if len(c.Mailboxes) == 0 {
		fe.add("mailboxes", "add at least one mailbox")
	}
	seen := map[string]bool{}
	for i, m := range c.Mailboxes {
		field := fmt.Sprintf("mailboxes[%d]", i)
		if err := ValidateMailboxAddress(m.Address); err != nil {
			fe.fromValidator(field+".address", err)
		} else if seen[strings.ToLower(m.Address)] {
			fe.add(field+".address", "%s is listed twice", m.Address)
		}
		seen[strings.ToLower(m.Address)] = true
		if m.Kind != KindUser && m.Kind != KindShared {
			fe.add(field+".kind", "must be %q or %q", KindUser, KindShared)
		}
	}
}

// validate checks the sync section: the backfill window, the body kind, the store file
// and the folder names.
func (s *SyncSettings) validate(fe *FieldErrors) {
	_, err := BackfillDays(s.BackfillDays)
	fe.fromValidator("sync.backfillDays", err)
	switch strings.ToLower(s.Body) {
	case "", "preview", "text", "html":
	default:
		fe.add("sync.body", "%q is not one of preview, text, html", s.Body)
	}
	if s.Store != "" {
		fe.path("sync.store", s.Store)
	}
	for i, f := range s.Folders {
		if strings.TrimSpace(f) == "" {
			fe.add(fmt.Sprintf("sync.folders[%d]", i), "is empty; name a folder id or a well-known name such as inbox")
		}
	}
}

// validateOutbox checks the outbox's files and that its policy names only connected
// mailboxes as senders (and only when the connection sends) and real domains.
func (c *Config) validateOutbox(fe *FieldErrors) {
	o := c.Outbox
	for _, p := range []struct{ field, v string }{{"outbox.database", o.Database}, {"outbox.folder", o.Folder}} {
		if p.v != "" {
			fe.path(p.field, p.v)
		}
	}
	if len(o.Policy.AllowedSenders) > 0 && !c.Features.Send {
		fe.add("outbox.policy.allowedSenders", "senders are listed but the connection was not set up to send; choose send in Prerequisites and verify again")
	}
	for i, a := range o.Policy.AllowedSenders {
		if !c.HasMailbox(a) {
			fe.add(fmt.Sprintf("outbox.policy.allowedSenders[%d]", i), "%q is not one of the connected mailboxes; add it under Mailboxes or remove it", a)
		}
	}
	for i, d := range o.Policy.InternalDomains {
		if !domainRE.MatchString(strings.TrimPrefix(strings.TrimSpace(d), "@")) {
			fe.add(fmt.Sprintf("outbox.policy.internalDomains[%d]", i), "%q is not a domain such as contoso.com", d)
		}
	}
}
