package wizard

import (
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
	// BackfillDays is how far back the first sync reaches; 0 means DefaultBackfillDays
	// (see BackfillDays for the bounds).
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
