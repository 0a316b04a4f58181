package connection

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/mailsync"
	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// CloudFor returns the graph cloud for a config. For the practice tenant the hosts and
// the CA file come from the config (as `m365connect sandbox --info` wrote them).
func CloudFor(cloud string, practice *wizard.PracticeHosts) (graph.Cloud, error) {
	if cloud == wizard.CloudPractice {
		if practice == nil {
			return graph.Cloud{}, errors.New("the practice tenant's hosts are not in the config; start `m365connect sandbox --info FILE` and pass --sandbox-info FILE")
		}
		pem, err := os.ReadFile(practice.CACertFile)
		if err != nil {
			return graph.Cloud{}, fmt.Errorf("practice tenant CA certificate: %w (is the practice tenant still running?)", err)
		}
		return graph.PracticeCloud(practice.AuthorityHost, practice.BrowserAuthorityHost, practice.GraphBaseURL, pem)
	}
	c, ok := graph.CloudByName(cloud)
	if !ok {
		return graph.Cloud{}, fmt.Errorf("unknown cloud %q", cloud)
	}
	return c, nil
}

// GraphFeatures converts the config's features.
func GraphFeatures(f wizard.Features) graph.Features {
	return graph.Features{Read: f.Read, Write: f.Write, Send: f.Send, ListUsers: f.ListUsers, Shared: f.Shared}
}

// SettingsFor builds the checks' non-secret inputs from a config.
func SettingsFor(c *wizard.Config) (graph.Settings, error) {
	cl, err := CloudFor(c.Cloud, c.Practice)
	if err != nil {
		return graph.Settings{}, err
	}
	s := graph.Settings{Cloud: cl, TenantID: c.TenantID, ClientID: c.ClientID, Mode: graph.Mode(c.AccessMode), Features: GraphFeatures(c.Features)}
	for _, m := range c.Mailboxes {
		s.Mailboxes = append(s.Mailboxes, m.Address)
	}
	return s, nil
}

// SecretSource finds the secrets of a connection: the keyring in the app, the keyring
// or an environment variable in the subcommands.
type SecretSource interface {
	Get(key string) (string, error)
}

// Setter is implemented by a SecretSource that can also store (the keyring): a delegated
// connection's rotated refresh token is written back through it.
type Setter interface {
	Set(key, value string) error
}

// SecretsFor gathers the secret inputs for a config: client secret, certificate file
// and its password, or the delegated refresh token.
func SecretsFor(c *wizard.Config, src SecretSource) (graph.Secrets, error) {
	var sec graph.Secrets
	var err error
	switch c.AccessMode {
	case wizard.ModeSecret:
		sec.ClientSecret, err = src.Get(c.SecretKey(wizard.SecretClientSecret))
		if err != nil {
			return sec, fmt.Errorf("client secret: %w", err)
		}
	case wizard.ModeCertificate:
		if c.Credential.CertificateInKeyring {
			pemData, gerr := src.Get(c.SecretKey(SecretCertificate))
			if gerr != nil {
				return sec, fmt.Errorf("certificate: %w", gerr)
			}
			sec.Certificate = []byte(pemData)
			break
		}
		sec.Certificate, err = os.ReadFile(c.Credential.CertificateFile)
		if err != nil {
			return sec, fmt.Errorf("certificate file: %w", err)
		}
		sec.CertificatePassword, _ = src.Get(c.SecretKey(wizard.SecretCertPassword)) // none = empty password
	case wizard.ModeDelegated:
		key := c.SecretKey(wizard.SecretRefreshToken)
		sec.RefreshToken, err = src.Get(key)
		if err != nil {
			return sec, fmt.Errorf("saved sign-in: %w", err)
		}
		if st, ok := src.(Setter); ok {
			// Entra rotates refresh tokens; keep the newest so the next start signs in.
			sec.OnRefreshToken = func(rt string) { _ = st.Set(key, rt) }
		}
	}
	return sec, nil
}

// CheckFrom turns one graph result into the wizard's record of it.
func CheckFrom(r graph.CheckResult) wizard.Check {
	c := wizard.Check{ID: r.ID, Name: r.Title, Seen: r.Seen, At: r.Started.UTC(), Duration: r.Duration.Milliseconds()}
	switch r.Status {
	case graph.StatusPass:
		c.Status = wizard.StatusPass
	case graph.StatusWarn:
		c.Status = wizard.StatusWarn
	case graph.StatusFail:
		c.Status = wizard.StatusFail
	default:
		c.Status = wizard.StatusSkipped
	}
	if a := r.Advice; a != nil {
		c.Advice = AdviceText(*a)
		c.Step = wizard.StepID(a.Step)
	}
	return c
}

// AdviceText is one paragraph of advice: what happened and the fix.
func AdviceText(a graph.Advice) string {
	parts := []string{}
	for _, p := range []string{a.Title, a.Cause, a.Fix} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, strings.TrimSuffix(p, ".")+".")
		}
	}
	if a.Retryable && a.RetryAfter > 0 {
		parts = append(parts, fmt.Sprintf("Try again in %s.", a.RetryAfter.Round(time.Second)))
	}
	return strings.Join(parts, " ")
}

// VerificationFrom summarises a run.
func VerificationFrom(rs []graph.CheckResult, at time.Time) *wizard.Verification {
	// Passed only when every check ran: a run cut short (cancelled, timed out) leaves the
	// rest skipped, which is not a pass. Only a pre-flight check may be skipped as not
	// applicable (e.g. the secret's shape when a credential was given).
	passed := !graph.Failed(rs) && len(rs) > 0
	for _, r := range rs {
		if r.Status == graph.StatusSkip && !strings.HasPrefix(r.ID, "preflight.") {
			passed = false
		}
	}
	v := &wizard.Verification{At: at.UTC(), Passed: passed}
	for _, r := range rs {
		v.Checks = append(v.Checks, CheckFrom(r))
	}
	return v
}

// Verify runs every check of package graph for a config with its secrets, then the
// credential's expiry (VerifyValues, the path the window's Verify step takes too).
func Verify(ctx context.Context, c *wizard.Config, src SecretSource, progress graph.Progress) ([]graph.CheckResult, error) {
	sec, err := SecretsFor(c, src)
	if err != nil {
		return nil, err
	}
	return VerifyValues(ctx, c, sec, VerifyOptions{}, progress)
}

// Conn is an open connection: the config, its cloud and a credential that has already
// obtained a token, so a wrong secret or missing consent shows up in Open, with advice.
type Conn struct {
	Config     *wizard.Config
	Cloud      graph.Cloud
	Credential azcore.TokenCredential
	Claims     graph.Claims
}

// Open builds the config's credential and gets a first token. Its errors are those of
// package graph: graph.AdviceFor explains them.
func Open(ctx context.Context, c *wizard.Config, src SecretSource) (*Conn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s, err := SettingsFor(c)
	if err != nil {
		return nil, err
	}
	sec, err := SecretsFor(c, src)
	if err != nil {
		return nil, err
	}
	gc, claims, err := graph.Connect(ctx, s, sec)
	if err != nil {
		return nil, err
	}
	return &Conn{Config: c, Cloud: s.Cloud, Credential: gc.Credential(), Claims: claims}, nil
}

// MailSource is the sync engine's view of Graph for this connection.
func (c *Conn) MailSource() mailsync.Source {
	return graph.NewMailSourceClient(c.Cloud.GraphBaseURL, c.Cloud.HTTPClient(), c.Credential, c.Cloud.DefaultScope())
}

// OutboxGraph is the outbox engine's view of Graph for this connection.
func (c *Conn) OutboxGraph() (outbox.Graph, error) {
	oc, err := graph.NewOutboxClient(graph.OutboxClientOptions{GraphBaseURL: c.Cloud.GraphBaseURL, HTTPClient: c.Cloud.HTTPClient(),
		Credential: c.Credential, Resource: c.Cloud.GraphResource})
	if err != nil {
		return nil, err
	}
	return oc, nil
}

// Mailboxes are the config's mailboxes as the sync engine names them: the Graph user id
// when the wizard recorded it (it survives a renamed address), else the address.
func Mailboxes(c *wizard.Config) []mailsync.Mailbox {
	out := make([]mailsync.Mailbox, 0, len(c.Mailboxes))
	for _, m := range c.Mailboxes {
		id := m.ID
		if id == "" {
			id = m.Address
		}
		out = append(out, mailsync.Mailbox{ID: id, Address: m.Address})
	}
	return out
}

// StoreFileName is the local mail store's file name in the data folder.
const StoreFileName = "mail.db"

// SyncOptions are the sync engine's options from the config's sync section, with the
// store in dataDir unless the config names one. Callers set Once, PollInterval and the
// rest.
func SyncOptions(c *wizard.Config, dataDir string) mailsync.Options {
	o := mailsync.Options{Mailboxes: Mailboxes(c), StorePath: filepath.Join(dataDir, StoreFileName), EstimateTotal: true}
	if s := c.Sync; s != nil {
		o.BackfillDays, o.Folders, o.Body = s.BackfillDays, s.Folders, s.Body
		if s.Store != "" {
			o.StorePath = s.Store
		}
	}
	return o
}

// OutboxFiles are the outbox's database and drop folder: from the config's outbox
// section, else outbox.db and outbox/ in dataDir.
func OutboxFiles(c *wizard.Config, dataDir string) (db, folder string) {
	db, folder = filepath.Join(dataDir, outbox.FileName), filepath.Join(dataDir, "outbox")
	if o := c.Outbox; o != nil {
		if o.Database != "" {
			db = o.Database
		}
		if o.Folder != "" {
			folder = o.Folder
		}
	}
	return db, folder
}

// OutboxPolicy is the config's sending policy; with no outbox section, nothing may be
// sent (no allowed senders).
func OutboxPolicy(c *wizard.Config) outbox.Policy {
	if c.Outbox == nil {
		return outbox.Policy{RequireApproval: true}
	}
	return outbox.Policy(c.Outbox.Policy)
}

// DataDir is the app's data folder (appdirs), created when missing.
func DataDir() (string, error) {
	d, err := appdirs.DataDir()
	if err != nil {
		return "", fmt.Errorf("find the app's data folder: %w", err)
	}
	return d, appdirs.Ensure(d)
}
