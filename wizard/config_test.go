package wizard

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validConfig() *Config {
	exp := time.Date(2027, 5, 31, 0, 0, 0, 0, time.UTC)
	return &Config{
		Schema: SchemaVersion, AppVersion: "1.2.3", SavedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Cloud: CloudGlobal, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ClientID: "00000000-1111-2222-3333-444444444444",
		AccessMode: ModeSecret, Features: Features{Read: true, Send: true}, Permissions: []string{"Mail.Read", "Mail.Send"},
		Credential: Credential{ExpiresAt: &exp},
		Mailboxes:  []Mailbox{{Address: "anna@contoso.com", Kind: KindUser}, {Address: "info@contoso.com", Kind: KindShared}},
	}
}

// passedVerification is a run in which every required check of c passed.
func passedVerification(c *Config) *Verification {
	v := &Verification{At: c.SavedAt, Passed: true}
	for _, id := range c.RequiredChecks() {
		v.Checks = append(v.Checks, Check{ID: id, Name: id, Status: StatusPass, Seen: "ok", At: c.SavedAt, Duration: 120})
	}
	return v
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		field  string // "" = valid
		msg    string
	}{
		{"valid", func(c *Config) {}, "", ""},
		{"schema", func(c *Config) { c.Schema = 1 }, "schema", "want 2"},
		{"no cloud", func(c *Config) { c.Cloud = "" }, "cloud", "missing"},
		{"bad cloud", func(c *Config) { c.Cloud = "azure" }, "cloud", `"azure" is not one of`},
		{"practice without hosts", func(c *Config) { c.Cloud = CloudPractice }, "practice", "needs its hosts"},
		{"practice http", func(c *Config) {
			c.Cloud = CloudPractice
			c.Practice = &PracticeHosts{AuthorityHost: "http://127.0.0.1:1/", GraphBaseURL: "https://127.0.0.1:1/v1.0", CACertFile: "ca.pem"}
		}, "practice.authorityHost", "https URL"},
		{"practice hosts on global", func(c *Config) { c.Practice = &PracticeHosts{} }, "practice", "only the practice tenant"},
		{"tenant", func(c *Config) { c.TenantID = "common" }, "tenantId", "not a tenant"},
		{"client", func(c *Config) { c.ClientID = "abc" }, "clientId", "must be a GUID"},
		{"mode", func(c *Config) { c.AccessMode = "password" }, "accessMode", "not one of"},
		{"cert file", func(c *Config) { c.AccessMode = ModeCertificate }, "credential.certificateFile", "needs the certificate file"},
		{"features", func(c *Config) { c.Features = Features{} }, "features", "at least one"},
		{"no mailboxes", func(c *Config) { c.Mailboxes = nil }, "mailboxes", "at least one"},
		{"bad address", func(c *Config) { c.Mailboxes[1].Address = "info at contoso" }, "mailboxes[1].address", "not an email address"},
		{"duplicate", func(c *Config) { c.Mailboxes[1].Address = "Anna@contoso.com" }, "mailboxes[1].address", "listed twice"},
		{"kind", func(c *Config) { c.Mailboxes[0].Kind = "room" }, "mailboxes[0].kind", "must be"},
		{"sync and outbox", func(c *Config) {
			c.Sync = &SyncSettings{BackfillDays: 90, Folders: []string{"inbox", "archive"}, Body: "Text"}
			c.Outbox = &OutboxSettings{Policy: OutboxPolicy{AllowedSenders: []string{"INFO@contoso.com"}, InternalDomains: []string{"contoso.com"}, RequireApproval: true}}
		}, "", ""},
		{"backfill negative", func(c *Config) { c.Sync = &SyncSettings{BackfillDays: -1} }, "sync.backfillDays", "use 1 to 3650"},
		{"backfill too far", func(c *Config) { c.Sync = &SyncSettings{BackfillDays: 5000} }, "sync.backfillDays", "use 1 to 3650"},
		{"sync body", func(c *Config) { c.Sync = &SyncSettings{Body: "mime"} }, "sync.body", "not one of preview"},
		{"sync empty folder", func(c *Config) { c.Sync = &SyncSettings{Folders: []string{"inbox", " "}} }, "sync.folders[1]", "is empty"},
		{"sender not connected", func(c *Config) {
			c.Outbox = &OutboxSettings{Policy: OutboxPolicy{AllowedSenders: []string{"boss@contoso.com"}}}
		}, "outbox.policy.allowedSenders[0]", "not one of the connected mailboxes"},
		{"sender without send", func(c *Config) {
			c.Features.Send = false
			c.Outbox = &OutboxSettings{Policy: OutboxPolicy{AllowedSenders: []string{"anna@contoso.com"}}}
		}, "outbox.policy.allowedSenders", "not set up to send"},
		{"internal domain", func(c *Config) {
			c.Outbox = &OutboxSettings{Policy: OutboxPolicy{InternalDomains: []string{"contoso"}}}
		}, "outbox.policy.internalDomains[0]", "not a domain"},
		{"check status", func(c *Config) { c.Verification = &Verification{Checks: []Check{{Status: "ok"}}} }, "verification.checks[0].status", "not one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mutate(c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FieldErrors", err)
			}
			for _, e := range fe {
				if e.Field == tc.field && strings.Contains(e.Message, tc.msg) {
					return
				}
			}
			t.Fatalf("err = %v, want field %s with %q", err, tc.field, tc.msg)
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	c := validConfig()
	c.Verification = passedVerification(c)
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Marshal()
	b, _ := got.Marshal()
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip changed the config:\n%s\n%s", a, b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
	// An invalid config is never written, and the old file stays.
	c.ClientID = "nope"
	if err := c.Save(path); err == nil || !strings.Contains(err.Error(), "clientId") {
		t.Fatalf("Save of an invalid config: %v", err)
	}
	if again, err := Load(path); err != nil || again.ClientID != "00000000-1111-2222-3333-444444444444" {
		t.Fatalf("old file damaged: %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	good, _ := validConfig().Marshal()
	goodS := string(good)
	tests := []struct {
		name       string
		data       string
		line, col  int // 0 = don't check
		field, msg string
	}{
		{"empty", "", 0, 0, "", "empty"},
		{"syntax", "{\n  \"schema\": 2,\n  \"cloud\": \"global\"\n  \"tenantId\": \"x\"\n}", 4, 3, "", "not valid JSON"},
		{"cut off", goodS[:len(goodS)/2], 0, 0, "", ""},
		{"unknown field", strings.Replace(goodS, `"clientId"`, `"clientID2": "x",`+"\n  "+`"clientId"`, 1), 7, 3, "clientID2", "unknown field"},
		{"wrong type", strings.Replace(goodS, `"locked": false`, `"locked": "no"`, 1), 0, 0, "locked", "true or false"},
		{"trailing data", goodS + "{}", 0, 0, "", "after the end"},
		{"newer schema", strings.Replace(goodS, `"schema": 2`, `"schema": 9`, 1), 0, 0, "schema", "newer m365connect"},
		{"not a config", `{"hello": 1}`, 0, 0, "schema", "does not look like"},
		{"invalid value", strings.Replace(goodS, `"accessMode": "secret"`, `"accessMode": "pin"`, 1), 0, 0, "accessMode", "not one of"},
		{"array", `[1,2]`, 0, 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.json")
			os.WriteFile(path, []byte(tc.data), 0o600)
			c, err := Load(path)
			if err == nil || c != nil {
				t.Fatalf("loaded %+v, want refusal", c)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err %T %v, want *LoadError", err, err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message does not name the file: %v", err)
			}
			if tc.line != 0 && (le.Line != tc.line || le.Column != tc.col) {
				t.Errorf("at %d:%d, want %d:%d (%v)", le.Line, le.Column, tc.line, tc.col, err)
			}
			if tc.field != "" && le.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", le.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestMigrateV1toV2(t *testing.T) {
	v1 := `{
  "version": 1,
  "environment": "gcchigh",
  "tenant": "contoso.onmicrosoft.us",
  "client_id": "00000000-1111-2222-3333-444444444444",
  "auth": "user",
  "mailboxes": "anna@contoso.us; ben@contoso.us",
  "shared_mailboxes": "info@contoso.us",
  "read_only": true
}`
	c, err := Parse([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != 2 || c.Cloud != CloudUSGov || c.AccessMode != ModeDelegated || c.TenantID != "contoso.onmicrosoft.us" {
		t.Fatalf("migrated: %+v", c)
	}
	if !c.Features.Read || c.Features.Write || c.Features.Send || !c.Features.Shared {
		t.Fatalf("features: %+v", c.Features)
	}
	want := []Mailbox{{Address: "anna@contoso.us", Kind: KindUser}, {Address: "ben@contoso.us", Kind: KindUser}, {Address: "info@contoso.us", Kind: KindShared}}
	if len(c.Mailboxes) != len(want) {
		t.Fatalf("mailboxes %+v", c.Mailboxes)
	}
	for i := range want {
		if c.Mailboxes[i] != want[i] {
			t.Fatalf("mailbox %d = %+v, want %+v", i, c.Mailboxes[i], want[i])
		}
	}
	// A damaged v1 file is refused with the v1 field and position.
	bad := strings.Replace(v1, `"auth": "user",`, `"auth": "user",`+"\n  "+`"pasword": "x",`, 1)
	_, err = Parse([]byte(bad))
	var le *LoadError
	if !errors.As(err, &le) || le.Field != "pasword" || le.Line != 7 {
		t.Fatalf("damaged v1: %v (%+v)", err, le)
	}
	_, err = Parse([]byte(strings.Replace(v1, "gcchigh", "mars", 1)))
	if !errors.As(err, &le) || le.Field != "environment" {
		t.Fatalf("bad v1 environment: %v", err)
	}
}

func TestExpiryWarning(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	tests := []struct {
		name, mode string
		exp        *time.Time
		want       string // "" = no warning
	}{
		{"unknown", ModeSecret, nil, ""},
		{"far", ModeSecret, at(90 * 24 * time.Hour), ""},
		{"31 days", ModeSecret, at(31 * 24 * time.Hour), ""},
		{"exactly 30 days", ModeSecret, at(30 * 24 * time.Hour), ""},
		{"a second under 30 days", ModeSecret, at(30*24*time.Hour - time.Second), "(in 29 days)"},
		{"29 days", ModeSecret, at(29*24*time.Hour + time.Hour), "client secret expires on 24 December 2026 (in 29 days)"},
		{"cert soon", ModeCertificate, at(2 * 24 * time.Hour), "certificate expires"},
		{"expired", ModeSecret, at(-time.Hour), "expired on"},
		{"delegated ignores", ModeDelegated, at(time.Hour), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ExpiryWarning(tc.mode, tc.exp, now)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestExpiresSoon: the one expiry rule (warning, verify, rotation offer) at its edges.
func TestExpiresSoon(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		end  time.Time
		want bool
	}{
		{"unknown", time.Time{}, false},
		{"a year", now.Add(365 * day), false},
		{"exactly ExpiryWarnDays", now.Add(ExpiryWarnDays * day), false},
		{"a second inside", now.Add(ExpiryWarnDays*day - time.Second), true},
		{"tomorrow", now.Add(day), true},
		{"expired", now.Add(-day), true},
	} {
		if got := ExpiresSoon(tc.end, now); got != tc.want {
			t.Errorf("%s: ExpiresSoon = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseExpiryDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" = nil, "err" = error
	}{
		{"", ""}, {"2027-05-31", "2027-05-31"}, {"5/31/2027", "2027-05-31"}, {"31.5.2027", "2027-05-31"},
		{"31/05/2027", "err"}, {"next year", "err"},
	} {
		got, err := ParseExpiryDate(tc.in)
		switch {
		case tc.want == "err":
			if err == nil || !strings.Contains(err.Error(), "Secret expiry") {
				t.Errorf("%q: err %v", tc.in, err)
			}
		case tc.want == "":
			if got != nil || err != nil {
				t.Errorf("%q: %v %v", tc.in, got, err)
			}
		default:
			if err != nil || got.Format("2006-01-02") != tc.want {
				t.Errorf("%q: %v %v", tc.in, got, err)
			}
		}
	}
}

func TestStateConfigRoundTrip(t *testing.T) {
	s := &State{Cloud: CloudGlobal, Incoming: true, ReadWrite: true, Outgoing: true, Mode: ModeSecret,
		TenantID: " contoso.com\r\n", ClientID: "00000000-1111-2222-3333-444444444444",
		ClientSecret: "Abc8Q~xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzx", SecretExpiry: "2027-05-31",
		Permissions: []string{"Mail.ReadWrite", "Mail.Send"}, Mailboxes: []Mailbox{{Address: "anna@contoso.com", Kind: KindUser}}}
	c := s.Config("1.0.0", time.Now())
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := c.Marshal()
	if bytes.Contains(b, []byte(s.ClientSecret)) {
		t.Fatal("config contains the secret")
	}
	if c.TenantID != "contoso.com" || !c.Features.Write || c.Credential.ExpiresAt == nil {
		t.Fatalf("config: %+v", c)
	}
	back := StateFromConfig(c)
	if back.ClientSecret != "" || back.SecretExpiry != "2027-05-31" || !back.ReadWrite || !back.Outgoing || back.Mode != ModeSecret {
		t.Fatalf("state from config: %+v", back)
	}
}

func TestReportEscapesAndHasNoSecret(t *testing.T) {
	c := validConfig()
	c.Mailboxes[0].DisplayName = `<script>alert(1)</script>`
	c.Verification = &Verification{At: c.SavedAt, Passed: false, Checks: []Check{
		{Name: "Test read", Status: StatusPass, Seen: "5 messages", At: c.SavedAt, Duration: 40},
		{Name: "Test send", Status: StatusFail, Seen: "403 ErrorAccessDenied", Advice: "Grant Mail.Send & consent", At: c.SavedAt},
	}}
	var b bytes.Buffer
	if err := WriteReport(&b, c, time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{c.TenantID, "Microsoft 365 (worldwide)", "Application with a client secret", "anna@contoso.com",
		"Test send", `class="fail"`, "Grant Mail.Send &amp; consent", "FAILED: 1 of 2 checks failed", "&lt;script&gt;", "1.2.3", "expires on 31 May 2027"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>alert") {
		t.Error("report does not escape")
	}
}
