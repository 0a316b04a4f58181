package wizard

import (
	"strings"
	"testing"
)

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
