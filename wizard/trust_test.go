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

// practiceConfig is a valid practice-tenant config.
func practiceConfig() *Config {
	c := validConfig()
	c.Cloud = CloudPractice
	c.Practice = &PracticeHosts{AuthorityHost: "https://127.0.0.1:8443/", BrowserAuthorityHost: "http://127.0.0.1:8080/",
		GraphBaseURL: "https://127.0.0.1:8443/v1.0", CACertFile: filepath.Join(string(filepath.Separator)+"tmp", "ca.pem")}
	return c
}

// Finding 1 (an imported practice config naming any host) and finding 4 (an unchecked
// browserAuthorityHost opened in the browser): every attempt is refused with the field
// named and the fix given.
func TestPracticeHostsMustBeLoopback(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *PracticeHosts)
		field  string // "" = valid
		msg    string
	}{
		{"valid", func(p *PracticeHosts) {}, "", ""},
		{"ipv6 loopback", func(p *PracticeHosts) { p.GraphBaseURL = "https://[::1]:8443/v1.0" }, "", ""},
		{"127/8", func(p *PracticeHosts) { p.AuthorityHost = "https://127.9.9.9:1/" }, "", ""},
		{"no browser host", func(p *PracticeHosts) { p.BrowserAuthorityHost = "" }, "", ""},
		{"evil authority", func(p *PracticeHosts) { p.AuthorityHost = "https://evil.example/" }, "practice.authorityHost", "not this computer's loopback"},
		{"evil graph", func(p *PracticeHosts) { p.GraphBaseURL = "https://203.0.113.9/v1.0" }, "practice.graphBaseUrl", "not this computer's loopback"},
		{"localhost name", func(p *PracticeHosts) { p.GraphBaseURL = "https://localhost:8443/v1.0" }, "practice.graphBaseUrl", "sandbox --info"},
		{"dns trick", func(p *PracticeHosts) { p.AuthorityHost = "https://127.0.0.1.evil.example/" }, "practice.authorityHost", "loopback"},
		{"userinfo trick", func(p *PracticeHosts) { p.AuthorityHost = "https://127.0.0.1@evil.example/" }, "practice.authorityHost", ""},
		{"http authority", func(p *PracticeHosts) { p.AuthorityHost = "http://127.0.0.1:1/" }, "practice.authorityHost", "https URL"},
		{"browser file", func(p *PracticeHosts) { p.BrowserAuthorityHost = "file:///etc/passwd" }, "practice.browserAuthorityHost", ""},
		{"browser javascript", func(p *PracticeHosts) { p.BrowserAuthorityHost = "javascript:alert(1)" }, "practice.browserAuthorityHost", ""},
		{"browser data", func(p *PracticeHosts) { p.BrowserAuthorityHost = "data:text/html,<script>x</script>" }, "practice.browserAuthorityHost", ""},
		{"browser evil https", func(p *PracticeHosts) { p.BrowserAuthorityHost = "https://evil.example/" }, "practice.browserAuthorityHost", "not this computer's loopback"},
		{"browser query", func(p *PracticeHosts) { p.BrowserAuthorityHost = "http://127.0.0.1:1/?next=https://evil" }, "practice.browserAuthorityHost", "no user name, query"},
		{"relative ca", func(p *PracticeHosts) { p.CACertFile = "ca.pem" }, "practice.caCertFile", "not a full path"},
		{"ca newline", func(p *PracticeHosts) { p.CACertFile = "/tmp/ca.pem\n/etc/x" }, "practice.caCertFile", "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := practiceConfig()
			tc.mutate(c.Practice)
			// Through the loader, as an imported file arrives.
			b, _ := c.Marshal()
			_, err := Parse(b)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			if !strings.Contains(err.Error(), tc.field+":") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want field %s with %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestFilePathsValidated(t *testing.T) {
	c := validConfig()
	c.Sync = &SyncSettings{Store: "mail.db?_pragma=journal_mode(off)"}
	c.Outbox = &OutboxSettings{Database: "", Folder: "drop"}
	err := c.Validate()
	for _, want := range []string{"sync.store: ", "outbox.folder: ", "not a full path"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// Finding 3: a hand-written verification block never makes the report say "passed".
func TestVerificationIsRecomputed(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		v          func(c *Config) *Verification
		passed     bool
		summary    string
		reportWant string
	}{
		{"no block", func(c *Config) *Verification { return nil }, false, "Not verified: no checks were run", "Not verified"},
		{"passed true, zero checks", func(c *Config) *Verification { return &Verification{At: at, Passed: true} }, false, "no checks were run", "Not verified"},
		{"passed true, a failed check", func(c *Config) *Verification {
			v := passedVerification(c)
			v.Checks[1].Status = StatusFail
			return v
		}, false, "FAILED: 1 of", "FAILED"},
		{"passed true, send skipped", func(c *Config) *Verification {
			v := passedVerification(c)
			v.Checks[len(v.Checks)-1].Status = StatusSkipped
			return v
		}, false, "required checks did not run (send)", "did not run"},
		{"passed true, one unrelated check", func(c *Config) *Verification {
			return &Verification{At: at, Passed: true, Checks: []Check{{ID: "token", Status: StatusPass, At: at}}}
		}, false, "required checks did not run (credentials, tenant", "did not run"},
		{"passed false but all passed", func(c *Config) *Verification {
			v := passedVerification(c)
			v.Passed = false
			return v
		}, true, "Every required check passed", "Every required check passed"},
		{"imported", func(c *Config) *Verification {
			v := passedVerification(c)
			v.Imported = true
			return v
		}, true, "not verified on this machine", "not verified on this machine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.Verification = tc.v(c)
			b, _ := c.Marshal()
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			o := got.VerificationOutcome()
			if o.Passed != tc.passed || !strings.Contains(o.Summary, tc.summary) {
				t.Fatalf("outcome %+v, want passed=%v and %q", o, tc.passed, tc.summary)
			}
			if got.Verification != nil && got.Verification.Passed != tc.passed {
				t.Errorf("loaded block says passed=%v, want it recomputed to %v", got.Verification.Passed, tc.passed)
			}
			var rep bytes.Buffer
			if err := WriteReport(&rep, got, at); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rep.String(), tc.reportWant) {
				t.Errorf("report lacks %q", tc.reportWant)
			}
			if !tc.passed && strings.Contains(rep.String(), "Every required check passed") {
				t.Errorf("report claims a pass:\n%s", rep.String())
			}
			// Only a pass on this computer opens the steps after Verify.
			st := StateFromConfig(got)
			if (st.Verification != nil) != (tc.passed && !o.Imported) {
				t.Errorf("state verification = %+v, want set only for a local pass", st.Verification)
			}
		})
	}
}

func TestMarkImported(t *testing.T) {
	c := validConfig()
	c.Verification = passedVerification(c)
	c.MarkImported()
	b, _ := c.Marshal()
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if o := got.VerificationOutcome(); !o.Imported || !strings.Contains(o.Summary, "not verified on this machine") {
		t.Fatalf("outcome after import: %+v", o)
	}
}

// The loader: size limit, case-insensitive duplicate keys and wrong-case keys refused with
// the key named.
func TestLoaderRefusesAmbiguousKeys(t *testing.T) {
	good, _ := validConfig().Marshal()
	gs := string(good)
	tests := []struct {
		name, data, field, msg string
	}{
		{"duplicate exact", strings.Replace(gs, `"tenantId":`, `"tenantId": "evil.example",`+"\n  "+`"tenantId":`, 1), "tenantId", "written twice"},
		{"duplicate by case", strings.Replace(gs, `"locked": false`, `"locked": false,`+"\n  "+`"LOCKED": true`, 1), "LOCKED", `as "locked" and "LOCKED"`},
		{"duplicate by kelvin sign", strings.Replace(gs, `"locked": false`, "\"locked\": false,\n  \"loc\u212aed\": true", 1), "loc\u212aed", "written twice"},
		{"wrong case first", strings.Replace(gs, `"clientId":`, `"CLIENTID": "00000000-1111-2222-3333-555555555555",`+"\n  "+`"clientId":`, 1), "CLIENTID", `write the key as "clientId"`},
		{"wrong case only", strings.Replace(gs, `"tenantId":`, `"TenantID":`, 1), "TenantID", `write the key as "tenantId"`},
		{"nested duplicate", strings.Replace(gs, `"address": "anna@contoso.com",`, `"address": "anna@contoso.com", "Address": "boss@evil.example",`, 1), "mailboxes[0].Address", "written twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LoadError", err)
			}
			if le.Field != tc.field || !strings.Contains(err.Error(), tc.msg) || le.Line == 0 {
				t.Fatalf("err = %v (field %q line %d), want field %q with %q", err, le.Field, le.Line, tc.field, tc.msg)
			}
		})
	}
	t.Run("size limit", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.json")
		big := strings.Replace(gs, `"appVersion": "1.2.3"`, `"appVersion": "`+strings.Repeat("x", MaxConfigSize)+`"`, 1)
		if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") || !strings.Contains(err.Error(), path) {
			t.Fatalf("err = %v", err)
		}
	})
}
