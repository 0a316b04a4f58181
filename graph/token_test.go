package graph

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
)

func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(b) + ".sig"
}

func TestDecodeClaims(t *testing.T) {
	tok := fakeJWT(t, map[string]any{"tid": "t1", "azp": "app", "oid": "o", "preferred_username": "a@b", "aud": "https://graph.microsoft.com",
		"scp": "Mail.Read offline_access", "exp": 1700000000})
	c, err := DecodeClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != "t1" || c.AppID != "app" || c.UPN != "a@b" || !slices.Equal(c.Scopes, []string{"Mail.Read", "offline_access"}) || c.Expires.Unix() != 1700000000 || c.AppOnly() {
		t.Fatalf("%+v", c)
	}
	c, err = DecodeClaims(fakeJWT(t, map[string]any{"appid": "a2", "roles": []string{"Mail.Read"}, "aud": []string{"x"}}))
	if err != nil || c.AppID != "a2" || !c.AppOnly() || c.Audience != "x" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c"} {
		if _, err := DecodeClaims(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestComparePermissions(t *testing.T) {
	tests := []struct {
		name           string
		mode           Mode
		f              Features
		roles, scopes  []string
		rt             bool
		missing, extra []string
	}{
		{"app read ok", ModeSecret, Features{Read: true}, []string{"Mail.Read"}, nil, false, nil, nil},
		{"app read via readwrite", ModeSecret, Features{Read: true}, []string{"Mail.ReadWrite"}, nil, false, nil, nil},
		{"app write needs readwrite", ModeCertificate, Features{Read: true, Write: true}, []string{"Mail.Read"}, nil, false, []string{"Mail.ReadWrite"}, []string{"Mail.Read"}},
		{"app send missing", ModeSecret, Features{Read: true, Send: true}, []string{"Mail.Read"}, nil, false, []string{"Mail.ReadWrite", "Mail.Send"}, []string{"Mail.Read"}},
		{"app send needs drafts", ModeSecret, Features{Send: true}, []string{"Mail.Send"}, nil, false, []string{"Mail.ReadWrite"}, nil},
		{"app both ok", ModeSecret, Features{Read: true, Send: true}, []string{"Mail.ReadWrite", "Mail.Send"}, nil, false, nil, nil},
		{"app redundant read", ModeSecret, Features{Read: true, Send: true}, []string{"Mail.Read", "Mail.ReadWrite", "Mail.Send"}, nil, false, nil, nil},
		{"app extra", ModeSecret, Features{Read: true}, []string{"Mail.Read", "Mail.Send", "User.Read.All"}, nil, false, nil, []string{"Mail.Send", "User.Read.All"}},
		{"app list users basic refused", ModeSecret, Features{Read: true, ListUsers: true}, []string{"Mail.Read", "User.ReadBasic.All"}, nil, false, []string{"User.Read.All"}, []string{"User.ReadBasic.All"}},
		{"app list users missing", ModeSecret, Features{ListUsers: true}, nil, nil, false, []string{"User.Read.All"}, nil},
		{"delegated list users", ModeDelegated, Features{Read: true, ListUsers: true}, nil, []string{"Mail.Read", "User.ReadBasic.All"}, true, nil, nil},
		{"delegated ok", ModeDelegated, Features{Read: true, Send: true}, nil, []string{"Mail.ReadWrite", "Mail.Send", "User.Read"}, true, nil, nil},
		{"delegated send without drafts", ModeDelegated, Features{Read: true, Send: true}, nil, []string{"Mail.Read", "Mail.Send"}, true, []string{"Mail.ReadWrite"}, []string{"Mail.Read"}},
		{"delegated no rt", ModeDelegated, Features{Read: true}, nil, []string{"Mail.Read"}, false, []string{"offline_access"}, nil},
		{"delegated shared", ModeDelegated, Features{Read: true, Send: true, Shared: true}, nil, []string{"Mail.Read", "Mail.Send"}, true, []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared"}, []string{"Mail.Read", "Mail.Send"}},
		{"delegated shared ok", ModeDelegated, Features{Read: true, Send: true, Shared: true}, nil, []string{"Mail.ReadWrite.Shared", "Mail.Send.Shared"}, true, nil, nil},
		{"delegated shared read ok", ModeDelegated, Features{Read: true, Shared: true}, nil, []string{"Mail.Read.Shared"}, true, nil, nil},
		{"roles ignored for delegated", ModeDelegated, Features{Read: true}, []string{"Mail.Read"}, nil, true, []string{"Mail.Read"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ComparePermissions(tt.mode, tt.f, Claims{Roles: tt.roles, Scopes: tt.scopes}, tt.rt)
			if !slices.Equal(r.Missing, tt.missing) || !slices.Equal(r.Extra, tt.extra) {
				t.Fatalf("missing %v extra %v; want %v %v", r.Missing, r.Extra, tt.missing, tt.extra)
			}
			if r.OK() != (len(tt.missing) == 0) {
				t.Fatal("OK disagrees")
			}
		})
	}
}
