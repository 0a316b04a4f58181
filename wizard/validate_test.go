package wizard

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBackfillDays: the one default and bounds of the backfill window, as the config,
// the sync engine and `sync --days` resolve it.
func TestBackfillDays(t *testing.T) {
	for _, tc := range []struct {
		in, want int
		wantErr  bool
	}{
		{0, DefaultBackfillDays, false},
		{1, 1, false},
		{30, 30, false},
		{MaxBackfillDays, MaxBackfillDays, false},
		{MaxBackfillDays + 1, 0, true},
		{-1, 0, true},
		{-30, 0, true},
	} {
		got, err := BackfillDays(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("BackfillDays(%d) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "use 1 to 3650 days, or leave it out for 30") {
			t.Errorf("BackfillDays(%d): %q does not name the bounds", tc.in, err)
		}
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		name    string
		fn      func(string) error
		in      string
		wantErr string // "" = valid; otherwise a substring of the message
	}{
		{"tenant guid", ValidateTenant, "72f988bf-86f1-41af-91ab-2d7cd011db47", ""},
		{"tenant guid with CRLF", ValidateTenant, "72f988bf-86f1-41af-91ab-2d7cd011db47\r\n", ""},
		{"tenant domain", ValidateTenant, "contoso.onmicrosoft.com", ""},
		{"tenant quoted", ValidateTenant, `"contoso.com"`, ""},
		{"tenant empty", ValidateTenant, "  ", "Tenant: enter"},
		{"tenant common", ValidateTenant, "common", "not a tenant"},
		{"tenant email", ValidateTenant, "admin@contoso.com", "email address"},
		{"tenant url", ValidateTenant, "https://login.microsoftonline.com/contoso.com", "not a URL"},
		{"tenant junk", ValidateTenant, "contoso", "Tenant: not a tenant ID"},
		{"client guid", ValidateClientID, "00000000-1111-2222-3333-444444444444", ""},
		{"client empty", ValidateClientID, "", "Client ID: enter"},
		{"client short", ValidateClientID, "1234", "Client ID: must be a GUID"},
		{"secret ok", ValidateClientSecret, "Abc8Q~xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzx", ""},
		{"secret is id", ValidateClientSecret, "00000000-1111-2222-3333-444444444444", "secret's ID, not its Value"},
		{"secret empty", ValidateClientSecret, "", "Client secret: enter"},
		{"secret short", ValidateClientSecret, "abc", "too short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("%q: unexpected error %v", tc.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%q: err = %v, want containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestSecretNeverInMessage(t *testing.T) {
	secret := "Abc8Q"
	if err := ValidateClientSecret(secret); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("message must not echo the secret: %v", err)
	}
}

// One form for a tenant from every entry point: what the field, a config file or a flag
// gives is normalised the same way before it is validated or sent.
func TestNormaliseTenant(t *testing.T) {
	for in, want := range map[string]string{
		"  Contoso.OnMicrosoft.com \r\n":          "contoso.onmicrosoft.com",
		`"CONTOSO.com"`:                           "contoso.com",
		"'72F988BF-86F1-41AF-91AB-2D7CD011DB47'":  "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"72f988bf-86f1-41af-91ab-2d7cd011db47":    "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"https://login.microsoftonline.com/X.com": "https://login.microsoftonline.com/x.com", // refused by ValidateTenant, not rewritten
	} {
		if got := NormaliseTenant(in); got != want {
			t.Errorf("NormaliseTenant(%q) = %q, want %q", in, got, want)
		}
		if NormaliseTenant(NormaliseTenant(in)) != NormaliseTenant(in) {
			t.Errorf("NormaliseTenant(%q) is not idempotent", in)
		}
	}
	// A hand-edited config reaches the model in the same form.
	c := validConfig()
	c.TenantID = "  CONTOSO.onmicrosoft.com "
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.TenantID != "contoso.onmicrosoft.com" {
		t.Fatalf("loaded tenant %q", got.TenantID)
	}
}
