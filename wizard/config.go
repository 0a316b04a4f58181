package wizard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"
)

// SchemaVersion is the config file's current schema. Older files are migrated on load
// (see migrate.go); newer ones are refused with a request to update the app.
const SchemaVersion = 2

// Cloud names, the same strings package graph uses.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"
	CloudUSDoD    = "usdod"
	CloudChina    = "china"
	CloudPractice = "practice"
)

// Access modes, the same strings package graph uses.
const (
	ModeSecret      = "secret"
	ModeCertificate = "certificate"
	ModeDelegated   = "delegated"
)

// Mailbox kinds.
const (
	KindUser   = "user"
	KindShared = "shared"
)

// Config is the saved and exported connection: everything needed to reach the chosen
// mailboxes except the secrets, which live in the OS keyring under SecretKey names.
// It holds no secret field at all, so no code path can write one to a file.
type Config struct {
	// Schema is SchemaVersion when written by this app.
	Schema int `json:"schema"`
	// AppVersion is the version of m365connect that wrote the file.
	AppVersion string `json:"appVersion"`
	// SavedAt is when the file was written.
	SavedAt time.Time `json:"savedAt"`
	// Cloud is one of the Cloud* names.
	Cloud string `json:"cloud"`
	// Practice records where the practice tenant listens; set only for CloudPractice.
	Practice *PracticeHosts `json:"practice,omitempty"`
	// TenantID is the directory (tenant) ID GUID or a verified domain.
	TenantID string `json:"tenantId"`
	// ClientID is the app registration's Application (client) ID.
	ClientID string `json:"clientId"`
	// AccessMode is one of the Mode* names.
	AccessMode string `json:"accessMode"`
	// Features are what the connection does.
	Features Features `json:"features"`
	// Permissions are the Microsoft Graph permissions the features need.
	Permissions []string `json:"permissions"`
	// Credential describes the credential without its secret parts.
	Credential Credential `json:"credential"`
	// Mailboxes are the connected mailboxes.
	Mailboxes []Mailbox `json:"mailboxes"`
	// Locked marks a saved config: the wizard shows it read-only until Reset.
	Locked bool `json:"locked"`
	// Verification is the last verification run, if any.
	Verification *Verification `json:"verification,omitempty"`
	// Sync tunes the local sync engine; nil means its defaults (30 days, Inbox and
	// Sent Items, body preview, store in the app's data folder).
	Sync *SyncSettings `json:"sync,omitempty"`
	// Outbox holds the sending policy; nil means nothing may be sent.
	Outbox *OutboxSettings `json:"outbox,omitempty"`
}

// SyncSettings are the sync engine's settings kept in the config (all optional).
type SyncSettings struct {
	// BackfillDays is how far back the first sync reaches; 0 means 30.
	BackfillDays int `json:"backfillDays,omitempty"`
	// Folders are folder ids or well-known names; empty means inbox and sentitems.
	Folders []string `json:"folders,omitempty"`
	// Body is what is kept of each message: preview (default), text or html.
	Body string `json:"body,omitempty"`
	// Store is the local store's file; empty means mail.db in the app's data folder.
	Store string `json:"store,omitempty"`
}

// OutboxSettings are the outbox's files and its sending policy.
type OutboxSettings struct {
	// Database is the outbox's SQLite file; empty means outbox.db in the data folder.
	Database string `json:"database,omitempty"`
	// Folder is the drop folder watched for JSON messages; empty means outbox/ in the
	// data folder.
	Folder string `json:"folder,omitempty"`
	// Policy says who may send to whom and whether each message needs approval.
	Policy OutboxPolicy `json:"policy"`
}

// OutboxPolicy mirrors package outbox's Policy (same JSON), kept here so the config
// package imports no store.
type OutboxPolicy struct {
	// AllowedSenders are connected mailboxes (address or id) that may send.
	AllowedSenders []string `json:"allowedSenders"`
	// AllowExternal allows recipients outside InternalDomains.
	AllowExternal bool `json:"allowExternal"`
	// InternalDomains are the organisation's domains; empty means the sender's own.
	InternalDomains []string `json:"internalDomains"`
	// RequireApproval holds every message until someone approves it.
	RequireApproval bool `json:"requireApproval"`
}

// MaxBackfillDays bounds sync.backfillDays (ten years).
const MaxBackfillDays = 3650

// PracticeHosts are the practice tenant's addresses, as `m365connect sandbox --info`
// writes them. The ports change with every run; `verify --sandbox-info` overrides them.
type PracticeHosts struct {
	AuthorityHost        string `json:"authorityHost"`
	BrowserAuthorityHost string `json:"browserAuthorityHost,omitempty"`
	GraphBaseURL         string `json:"graphBaseUrl"`
	// CACertFile is the PEM file of the practice tenant's CA.
	CACertFile string `json:"caCertFile"`
}

// Features are what the connection will do.
type Features struct {
	Read      bool `json:"read"`      // incoming mail is read
	Write     bool `json:"readWrite"` // and may be moved, flagged, deleted
	Send      bool `json:"send"`      // outgoing mail is sent
	ListUsers bool `json:"listUsers"` // the app may list the directory to pick mailboxes
	Shared    bool `json:"shared"`    // delegated: reach shared or other users' mailboxes
}

// Credential is the non-secret half of the app's credential.
type Credential struct {
	// CertificateFile is the PFX/PEM file (certificate mode).
	CertificateFile string `json:"certificateFile,omitempty"`
	// CertificateInKeyring: the certificate and its private key were generated by
	// "Create it for me" and live in the keyring only (no file).
	CertificateInKeyring bool `json:"certificateInKeyring,omitempty"`
	// CertificateThumbprint is the SHA-1 thumbprint the portal shows, hex.
	CertificateThumbprint string `json:"certificateThumbprint,omitempty"`
	// ExpiresAt is when the secret or certificate stops working: the certificate's
	// NotAfter, or the date typed from the portal for a client secret.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// ServiceAccount is the signed-in account (delegated mode).
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// Mailbox is one connected mailbox.
type Mailbox struct {
	Address     string `json:"address"`
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Kind        string `json:"kind"`
}

// Verification is one run of the connection checks.
//
// The block is a record, never a credential: a config crosses machines and can be edited
// by hand, so nothing reads Passed to decide anything. What the app and the report say
// comes from Config.VerificationOutcome, which recomputes the verdict from the checks.
type Verification struct {
	At time.Time `json:"at"`
	// Passed is what the run that wrote the block concluded; kept for people reading
	// the file, never trusted (see Config.VerificationOutcome).
	Passed bool    `json:"passed"`
	Checks []Check `json:"checks"`
	// Imported marks checks that ran on another computer: import sets it, and only a
	// verify run on this computer replaces the block.
	Imported bool `json:"imported,omitempty"`
}

// Check statuses.
const (
	StatusPass    = "pass"
	StatusFail    = "fail"
	StatusWarn    = "warn"
	StatusSkipped = "skipped"
)

// Check is the result of one connection check, in words for a person.
type Check struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	Seen     string    `json:"seen,omitempty"`
	Advice   string    `json:"advice,omitempty"`
	Step     StepID    `json:"step,omitempty"` // the wizard step that fixes a failure
	At       time.Time `json:"at"`
	Duration int64     `json:"durationMs"`
}

// Secret kinds named by SecretKey.
const (
	SecretClientSecret = "client-secret"
	SecretCertPassword = "certificate-password"
	SecretRefreshToken = "refresh-token"
)

// SecretKey is the keyring key for one secret of this connection: it depends on the
// cloud, tenant and app, so two connections never share a secret.
func (c *Config) SecretKey(kind string) string {
	return strings.ToLower(c.Cloud + "/" + c.TenantID + "/" + c.ClientID + "/" + kind)
}

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

// Validate checks every field and returns FieldErrors naming each bad one, or nil.
func (c *Config) Validate() error {
	var fe FieldErrors
	add := func(field, format string, a ...any) {
		fe = append(fe, FieldError{field, fmt.Sprintf(format, a...)})
	}
	// The field validators' messages start with their label ("Tenant: ..."); keep the
	// advice and put the JSON field name in front instead.
	fromValidator := func(field string, err error) {
		if err != nil {
			msg := err.Error()
			if i := strings.Index(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			add(field, "%s", msg)
		}
	}
	if c.Schema != SchemaVersion {
		add("schema", "is %d, want %d", c.Schema, SchemaVersion)
	}
	switch c.Cloud {
	case CloudGlobal, CloudUSGov, CloudUSDoD, CloudChina:
		if c.Practice != nil {
			add("practice", "only the practice tenant has practice hosts; remove it or set cloud to %q", CloudPractice)
		}
	case CloudPractice:
		if c.Practice == nil {
			add("practice", "the practice tenant needs its hosts (authorityHost, graphBaseUrl, caCertFile)")
		} else {
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
					add(f.name, "%s", err.Error())
				}
			}
			if c.Practice.CACertFile == "" {
				add("practice.caCertFile", "name the practice tenant's CA certificate file (sandbox --info writes it)")
			} else if err := ValidateFilePath(c.Practice.CACertFile); err != nil {
				add("practice.caCertFile", "%s", err.Error())
			}
		}
	case "":
		add("cloud", "missing; one of global, usgov, usdod, china, practice")
	default:
		add("cloud", "%q is not one of global, usgov, usdod, china, practice", c.Cloud)
	}
	fromValidator("tenantId", ValidateTenant(c.TenantID))
	fromValidator("clientId", ValidateClientID(c.ClientID))
	switch c.AccessMode {
	case ModeSecret, ModeDelegated:
	case ModeCertificate:
		if c.Credential.CertificateFile == "" && !c.Credential.CertificateInKeyring {
			add("credential.certificateFile", "certificate mode needs the certificate file (.pfx or .pem)")
		}
	case "":
		add("accessMode", "missing; one of secret, certificate, delegated")
	default:
		add("accessMode", "%q is not one of secret, certificate, delegated", c.AccessMode)
	}
	if c.Credential.CertificateFile != "" {
		if err := ValidateFilePath(c.Credential.CertificateFile); err != nil {
			add("credential.certificateFile", "%s", err.Error())
		}
	}
	if !c.Features.Read && !c.Features.Write && !c.Features.Send {
		add("features", "choose at least one of read, readWrite, send")
	}
	if len(c.Mailboxes) == 0 {
		add("mailboxes", "add at least one mailbox")
	}
	seen := map[string]bool{}
	for i, m := range c.Mailboxes {
		field := fmt.Sprintf("mailboxes[%d]", i)
		if err := ValidateMailboxAddress(m.Address); err != nil {
			fromValidator(field+".address", err)
		} else if seen[strings.ToLower(m.Address)] {
			add(field+".address", "%s is listed twice", m.Address)
		}
		seen[strings.ToLower(m.Address)] = true
		if m.Kind != KindUser && m.Kind != KindShared {
			add(field+".kind", "must be %q or %q", KindUser, KindShared)
		}
	}
	if s := c.Sync; s != nil {
		if s.BackfillDays < 0 || s.BackfillDays > MaxBackfillDays {
			add("sync.backfillDays", "is %d; use 1 to %d days, or leave it out for 30", s.BackfillDays, MaxBackfillDays)
		}
		switch strings.ToLower(s.Body) {
		case "", "preview", "text", "html":
		default:
			add("sync.body", "%q is not one of preview, text, html", s.Body)
		}
		if s.Store != "" {
			if err := ValidateFilePath(s.Store); err != nil {
				add("sync.store", "%s", err.Error())
			}
		}
		for i, f := range s.Folders {
			if strings.TrimSpace(f) == "" {
				add(fmt.Sprintf("sync.folders[%d]", i), "is empty; name a folder id or a well-known name such as inbox")
			}
		}
	}
	if o := c.Outbox; o != nil {
		for _, p := range []struct{ field, v string }{{"outbox.database", o.Database}, {"outbox.folder", o.Folder}} {
			if p.v != "" {
				if err := ValidateFilePath(p.v); err != nil {
					add(p.field, "%s", err.Error())
				}
			}
		}
		if len(o.Policy.AllowedSenders) > 0 && !c.Features.Send {
			add("outbox.policy.allowedSenders", "senders are listed but the connection was not set up to send; choose send in Prerequisites and verify again")
		}
		for i, a := range o.Policy.AllowedSenders {
			if !c.HasMailbox(a) {
				add(fmt.Sprintf("outbox.policy.allowedSenders[%d]", i), "%q is not one of the connected mailboxes; add it under Mailboxes or remove it", a)
			}
		}
		for i, d := range o.Policy.InternalDomains {
			if !domainRE.MatchString(strings.TrimPrefix(strings.TrimSpace(d), "@")) {
				add(fmt.Sprintf("outbox.policy.internalDomains[%d]", i), "%q is not a domain such as contoso.com", d)
			}
		}
	}
	if c.Verification != nil {
		for i, ch := range c.Verification.Checks {
			switch ch.Status {
			case StatusPass, StatusFail, StatusWarn, StatusSkipped:
			default:
				add(fmt.Sprintf("verification.checks[%d].status", i), "%q is not one of pass, fail, warn, skipped", ch.Status)
			}
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// HasMailbox reports whether s names a connected mailbox, by address or by id
// (case-insensitive).
func (c *Config) HasMailbox(s string) bool {
	s = strings.TrimSpace(s)
	for _, m := range c.Mailboxes {
		if strings.EqualFold(m.Address, s) || (m.ID != "" && strings.EqualFold(m.ID, s)) {
			return true
		}
	}
	return false
}

// ValidateMailboxAddress checks one mailbox address (user@domain).
func ValidateMailboxAddress(s string) error {
	s = Clean(s)
	if s == "" {
		return errors.New("Mailbox: enter an address such as anna@contoso.com")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("Mailbox: %q is not an email address such as anna@contoso.com", s)
	}
	if at := strings.LastIndex(s, "@"); !domainRE.MatchString(s[at+1:]) {
		return fmt.Errorf("Mailbox: %q has no valid domain after the @", s)
	}
	return nil
}

// ExpiryWarnDays is how long before expiry the app and `verify` warn.
const ExpiryWarnDays = 30

// ExpiryWarning returns a warning when the secret or certificate expires within
// ExpiryWarnDays of now (or has expired), else "".
func (c *Config) ExpiryWarning(now time.Time) string {
	return ExpiryWarning(c.AccessMode, c.Credential.ExpiresAt, now)
}

// ExpiryWarning is Config.ExpiryWarning for values not yet in a config.
func ExpiryWarning(mode string, expires *time.Time, now time.Time) string {
	if expires == nil || expires.IsZero() || mode == ModeDelegated {
		return ""
	}
	what, fix := "client secret", "create a new client secret under Certificates & secrets, then Reset and paste it here"
	if mode == ModeCertificate {
		what, fix = "certificate", "upload a new certificate under Certificates & secrets, then Reset and choose it here"
	}
	days := int(expires.Sub(now).Hours() / 24)
	date := expires.Format("2 January 2006")
	switch {
	case !expires.After(now):
		return fmt.Sprintf("The %s expired on %s: the connection stops working; %s.", what, date, fix)
	case days < ExpiryWarnDays:
		return fmt.Sprintf("The %s expires on %s (in %d days): %s before then.", what, date, days, fix)
	}
	return ""
}

// ParseExpiryDate reads a date typed from the portal's Expires column: 2006-01-02,
// 1/2/2006 (US, as the portal shows it in en-US) or 2.1.2006. Empty means unknown.
func ParseExpiryDate(s string) (*time.Time, error) {
	s = Clean(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02", "1/2/2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("Secret expiry: %q is not a date; type it as 2027-05-31 (the Expires column under Certificates & secrets)", s)
}

// ValidateExpiryDate is ParseExpiryDate as a func(string) error for an entry.
func ValidateExpiryDate(s string) error {
	_, err := ParseExpiryDate(s)
	return err
}

// Marshal encodes the config as indented JSON, as written to disk and exported.
func (c *Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save validates c and writes it to path atomically (mode 0600).
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config not saved: %w", err)
	}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b, 0o600)
}

// WriteFileAtomic writes data to path so that a reader sees the old file or the new
// one, never a part: a temp file in the same folder, fsync, rename, fsync the folder.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	_ = f.Chmod(perm)    // not supported on Windows; the folder's ACL applies there
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LoadError says why a config file was refused, with the line and column when the
// problem is at a place in the text.
type LoadError struct {
	Path         string
	Line, Column int    // 0 when not known
	Field        string // JSON field, when known
	Err          error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d column %d", e.Line, e.Column)
	}
	if e.Field != "" {
		b.WriteString(" field " + e.Field)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// Load reads, migrates and validates a config file. A damaged, hand-edited or
// incomplete file is refused whole, with the line and field, never half-loaded.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			le.Path = path
		}
		return nil, err
	}
	return c, nil
}

// Parse is Load for bytes already read.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &LoadError{Err: fmt.Errorf("the file is larger than %d KiB, which no m365connect config is; choose the config file that export or save wrote", MaxConfigSize>>10)}
	}
	data, err := migrate(data)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := decodeStrict(data, &c); err != nil {
		return nil, err
	}
	c.TenantID = NormaliseTenant(c.TenantID) // a hand-edited file: the one form, as typed ones
	if err := c.Validate(); err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) && len(fe) > 0 {
			return nil, &LoadError{Field: fe[0].Field, Err: err}
		}
		return nil, &LoadError{Err: err}
	}
	if c.Verification != nil {
		// A record, not a credential: the verdict is recomputed from the checks.
		c.Verification.Passed = c.VerificationOutcome().Passed
	}
	return &c, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields and
// trailing data, and turns decoder errors into a LoadError with line and column.
func decodeStrict(data []byte, v any) error {
	if err := checkKeys(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(data, dec, err)
	}
	if _, err := dec.Token(); err == nil {
		off := dec.InputOffset()
		line, col := lineCol(data, off)
		return &LoadError{Line: line, Column: col, Err: errors.New("unexpected data after the end of the config")}
	}
	return nil
}

func decodeError(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the bad one included.
		line, col := lineCol(data, syn.Offset-1)
		return &LoadError{Line: line, Column: col, Err: fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(syn.Error(), "json: "))}
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return &LoadError{Line: line, Column: col, Field: typ.Field, Err: fmt.Errorf("must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)}
	case errors.Is(err, io.EOF):
		return &LoadError{Err: errors.New("the file is empty")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, int64(len(data)))
		return &LoadError{Line: line, Column: col, Err: errors.New("the file ends too early (cut off?)")}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		off := dec.InputOffset()
		// The decoder stops just past the key: find where the key starts.
		if i := bytes.LastIndex(data[:min(int(off), len(data))], []byte(`"`+name+`"`)); i >= 0 {
			off = int64(i)
		}
		line, col := lineCol(data, off)
		return &LoadError{Line: line, Column: col, Field: name, Err: errors.New("unknown field (misspelt, or written by another version?)")}
	default:
		return &LoadError{Err: err}
	}
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "text in quotes"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "a list [...]"
	default:
		return "an object {...}"
	}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
