package connection

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The window's interactive intents (signin.go, consent.go, valuestest.go) end to end
// through the real SDKs against the practice tenant, the browser played by a plain
// HTTP client (the emulator's auto sign-in presses Accept).

// practiceState is the wizard's state for the practice tenant srv with the app named
// app in mode.
func practiceState(t *testing.T, srv *emulator.Server, mode, app string) *wizard.State {
	t.Helper()
	st := wizard.StateFromConfig(practiceConfig(t, srv, mode))
	a := srv.Identity().App(app)
	if a == nil {
		t.Fatalf("no practice app %q", app)
	}
	st.ClientID, st.ClientSecret = a.ClientID, a.ClientSecret()
	st.Permissions = graph.RequestedPermissions(graph.Mode(mode), GraphFeatures(st.Features()))
	return st
}

func newPracticeServer(t *testing.T) *emulator.Server {
	t.Helper()
	srv, err := emulator.New(emulator.Options{Seed: 5, Users: 4, MessagesPerMailbox: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.Identity().SetAutoSignIn(srv.Identity().Users()[0].Address) // a Global Administrator
	return srv
}

// TestConsentIntents: the tenant check finds the practice tenant and not a typo; admin
// consent grants the not-consented app (the tenant records it); the delegated sign-in
// returns who signed in and hands the refresh token over; the hand-off's reply is
// checked against its state, and against the tenant only when it was typed as an id.
func TestConsentIntents(t *testing.T) {
	srv := newPracticeServer(t)
	ctx := context.Background()
	b := Browser{Open: browser, Timeout: 20 * time.Second}

	st := practiceState(t, srv, wizard.ModeSecret, emulator.AppNotConsentedName)
	c, err := NewConsent(st)
	if err != nil {
		t.Fatal(err)
	}
	if c.Delegated() {
		t.Error("secret mode taken for a delegated sign-in")
	}
	if r := c.CheckTenant(ctx); r.Status != graph.StatusPass {
		t.Fatalf("the practice tenant was not found: %+v", r)
	}
	typo := *st
	typo.TenantID = "no-such-tenant.example"
	tc, err := NewConsent(&typo)
	if err != nil {
		t.Fatal(err)
	}
	if r := tc.CheckTenant(ctx); r.Status == graph.StatusPass {
		t.Error("a mistyped tenant was found")
	}
	if srv.Identity().AdminConsented(st.ClientID) {
		t.Fatal("the app is consented before the test")
	}
	res, err := c.AdminConsent(ctx, b)
	if err != nil || res.Outcome != graph.ConsentGranted {
		t.Fatalf("admin consent: %+v, %v", res, err)
	}
	if !srv.Identity().AdminConsented(st.ClientID) {
		t.Error("the tenant does not record the consent")
	}

	dst := practiceState(t, srv, wizard.ModeDelegated, emulator.AppIncomingDelegated)
	dc, err := NewConsent(dst)
	if err != nil {
		t.Fatal(err)
	}
	var refresh string
	in, err := dc.SignIn(ctx, b, func(rt string) { refresh = rt })
	if err != nil {
		t.Fatalf("delegated sign-in: %v", err)
	}
	if want := srv.Identity().Users()[0].Address; !strings.EqualFold(in.Account, want) || in.Credential == nil || refresh == "" {
		t.Errorf("signed in as %q (want %q), credential %v, refresh token kept %v", in.Account, want, in.Credential != nil, refresh != "")
	}

	h, err := ConsentHandoff(st, "m365connect")
	if err != nil || !strings.Contains(h.Message, st.ClientID) || h.State == "" {
		t.Fatalf("hand-off: %+v, %v", h, err)
	}
	reply := func(tenant, state string) string {
		return "http://localhost/?" + url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {state}}.Encode()
	}
	other := "11111111-2222-3333-4444-555555555555"
	for _, tc := range []struct {
		name, typed, tenant, state string
		want                       graph.ConsentOutcome
		wantErr                    bool
	}{
		{"granted", st.TenantID, st.TenantID, h.State, graph.ConsentGranted, false},
		{"another tenant's answer", st.TenantID, other, h.State, graph.ConsentWrongTenant, false},
		{"typed as a domain: not compared", srv.Identity().TenantDomain(), other, h.State, graph.ConsentGranted, false},
		{"another hand-off's state", st.TenantID, st.TenantID, "not-" + h.State, "", true},
	} {
		typed := *st
		typed.TenantID = tc.typed
		r, err := CheckHandoffReply(&typed, h, reply(tc.tenant, tc.state))
		if (err != nil) != tc.wantErr || !tc.wantErr && r.Outcome != tc.want {
			t.Errorf("%s: %+v, %v", tc.name, r, err)
		}
	}
}

// TestAdminSignInBrowserAndDeviceCode: the administrator signs in through the browser
// and with a device code typed elsewhere; either credential gets a token for the admin.
// A config naming no usable cloud fails before anything is sent.
func TestAdminSignInBrowserAndDeviceCode(t *testing.T) {
	srv := newPracticeServer(t)
	cfg := practiceConfig(t, srv, wizard.ModeSecret)
	cl, err := CloudFor(cfg.Cloud, cfg.Practice)
	if err != nil {
		t.Fatal(err)
	}
	admin := srv.Identity().Users()[0]
	var shownURL string
	browserCred, err := AdminSignIn(context.Background(), cfg, AdminSignInOptions{Browser: Browser{Open: browser, Timeout: 20 * time.Second,
		OnURL: func(u string) { shownURL = u }}})
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.HasPrefix(shownURL, cfg.Practice.BrowserAuthorityHost) {
		t.Errorf("the address shown is %q, not on the practice tenant's browser host", shownURL)
	}
	var code graph.DeviceCode
	deviceCred, err := AdminSignIn(context.Background(), cfg, AdminSignInOptions{DeviceCode: true, Browser: Browser{Timeout: 20 * time.Second},
		OnCode: func(dc graph.DeviceCode) {
			code = dc
			go func() {
				form := url.Values{"code": {dc.UserCode}, "user": {admin.ID}, "action": {"accept"}}
				if resp, err := (&http.Client{Timeout: 10 * time.Second}).PostForm(dc.VerificationURI, form); err == nil {
					resp.Body.Close()
				}
			}()
		}})
	if err != nil {
		t.Fatalf("device code: %v", err)
	}
	if code.UserCode == "" || !strings.Contains(code.Message, code.UserCode) {
		t.Errorf("device code shown: %+v", code)
	}
	for name, cred := range map[string]*graph.DelegatedCredential{"browser": browserCred, "device code": deviceCred} {
		_, claims, err := graph.GetToken(context.Background(), cl, cred)
		if err != nil || !strings.EqualFold(claims.UPN, admin.Address) {
			t.Errorf("%s: token for %q (want %q): %v", name, claims.UPN, admin.Address, err)
		}
	}
	if _, err := AdminSignIn(context.Background(), cfg, AdminSignInOptions{DeviceCode: true}); err == nil {
		t.Error("a device code sign-in started with nowhere to show the code")
	}
	bad := *cfg
	bad.Practice = nil
	if _, err := AdminSignIn(context.Background(), &bad, AdminSignInOptions{Browser: Browser{Open: func(string) error {
		t.Error("a browser opened for a config without its practice hosts")
		return nil
	}}}); err == nil {
		t.Error("a practice config without its hosts signed in")
	}
}

// TestValuesTest: the typed values only (no mailbox, no refresh token) are tested; the
// practice app's secret passes, a wrong one fails with Microsoft's code; a certificate
// file that cannot be read fails before anything is sent, as *CertificateError.
func TestValuesTest(t *testing.T) {
	srv := newPracticeServer(t)
	st := practiceState(t, srv, wizard.ModeSecret, emulator.AppSecretName)
	st.RefreshToken = "left over"
	vt, err := NewValuesTest(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vt.settings.Mailboxes) != 0 || vt.secrets.RefreshToken != "" || len(st.Mailboxes) == 0 {
		t.Errorf("the test reaches mailboxes %v or a sign-in %v", vt.settings.Mailboxes, vt.secrets.RefreshToken != "")
	}
	rs, err := vt.Run(context.Background(), nil)
	if err != nil || len(rs) == 0 || graph.Failed(rs) {
		t.Fatalf("the practice app's values: %+v, %v", rs, err)
	}
	st.ClientSecret = "wrong~" + st.ClientSecret
	vt, err = NewValuesTest(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err = vt.Run(context.Background(), nil)
	code := ""
	for _, r := range rs {
		if r.Status == graph.StatusFail && r.Advice != nil {
			code = r.Advice.Code
		}
	}
	if err != nil || code != "AADSTS7000215" {
		t.Errorf("a wrong secret: code %q, %v (%+v)", code, err, rs)
	}

	cst := practiceState(t, srv, wizard.ModeCertificate, emulator.AppCertificateName)
	cst.CertFile = filepath.Join(t.TempDir(), "missing.pfx")
	_, err = NewValuesTest(cst, nil)
	var ce *CertificateError
	if !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing certificate file: %v", err)
	}
	cst.CertFile = wizard.CertFileInKeyring
	if _, err := NewValuesTest(cst, nil); !errors.As(err, &ce) {
		t.Errorf("a certificate in a keyring that is not here: %v", err)
	}
}
