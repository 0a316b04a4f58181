package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/emulator/graphmail"
)

// practice starts an emulator and the matching Cloud.
func practice(t *testing.T) (*emulator.Server, Cloud) {
	t.Helper()
	srv, err := emulator.New(emulator.Options{Seed: 7, MessagesPerMailbox: 15, Users: 4, SharedMailboxes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := PracticeCloud(srv.AuthorityHost(), srv.BrowserAuthorityHost(), srv.GraphBaseURL(), srv.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func userMailboxes(srv *emulator.Server) (users, shared []string) {
	for _, m := range srv.Mail().Mailboxes() {
		if m.Kind == graphmail.KindShared {
			shared = append(shared, m.Address)
		} else {
			users = append(users, m.Address)
		}
	}
	return
}

// browser plays the system browser: a plain http.Client that follows the
// authorize/consent redirects to the loopback listener.
func fakeBrowser(t *testing.T) func(string) error {
	return func(u string) error {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
		if err != nil {
			t.Logf("browser: %v", err)
			return nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
}

func byID(rs []CheckResult) map[string]CheckResult {
	m := map[string]CheckResult{}
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

func requirePass(t *testing.T, rs []CheckResult, ids ...string) {
	t.Helper()
	m := byID(rs)
	for _, id := range ids {
		r, ok := m[id]
		if !ok {
			t.Errorf("no check %s", id)
			continue
		}
		if r.Status != StatusPass {
			adv := ""
			if r.Advice != nil {
				adv = r.Advice.Code + " " + r.Advice.Title
			}
			t.Errorf("%s: %s (%s) %s", id, r.Status, r.Seen, adv)
		}
	}
}

func TestE2ESecretModeAllChecks(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret,
		Features: Features{Read: true, Send: true, ListUsers: true}, Mailboxes: users[:2], DeliveryWait: 5 * time.Second, DeliveryPoll: 100 * time.Millisecond}
	var progress []string
	rs, err := Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, func(done, total int, r CheckResult) {
		progress = append(progress, r.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, rs, "preflight.tenant", "preflight.secret", "credentials", "tenant", "permissions", "mailbox:"+users[0], "mailbox:"+users[1], "read", "send")
	if len(progress) != len(rs) {
		t.Fatalf("progress %d, results %d", len(progress), len(rs))
	}
	m := byID(rs)
	if sc := m["scoping"]; sc.Status != StatusWarn || sc.Advice == nil || !strings.Contains(sc.Advice.Title, "every mailbox") {
		t.Errorf("unscoped app: %+v", sc)
	}
	if msgs, ok := m["read"].Data.([]MessageSummary); !ok || len(msgs) == 0 || msgs[0].Subject == "" || msgs[0].From == "" {
		t.Errorf("read data: %#v", m["read"].Data)
	}
	sr, ok := m["send"].Data.(SendResult)
	if !ok || !sr.Delivered || sr.InternetID == "" {
		t.Errorf("send data: %#v", m["send"].Data)
	}
	if !sr.InSentItems {
		// Microsoft: after sending a draft created with Prefer: IdType="ImmutableId",
		// GET /messages/{that id} returns the Sent Items copy.
		// https://learn.microsoft.com/en-us/graph/outlook-immutable-id#immutable-id-with-sending-mail
		t.Errorf("Sent Items copy not found by the draft's immutable id (emulator/graphmail serveSendDraft assigns a new immutable id; the docs say it is kept)")
	}

	// Scope the app to the two mailboxes: the outside one is refused.
	srv.Mail().SetAccessPolicy(app.ClientID, graphmail.AccessPolicy{Mode: graphmail.RestrictAccess, MailboxIDs: users[:2]})
	s.Features.Send = false
	s.Scoped = true
	rs, _ = Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, nil)
	requirePass(t, rs, "scoping", "mailbox:"+users[0])
	if d := byID(rs)["scoping"].Data.(ScopingData); !d.OutsideRefused || d.Outside == "" {
		t.Errorf("%+v", d)
	}
	// A chosen mailbox outside the policy gets the access-policy advice.
	s.Mailboxes = []string{users[0], users[2]}
	rs, _ = Verify(context.Background(), s, Secrets{ClientSecret: app.ClientSecret()}, nil)
	if r := byID(rs)["mailbox:"+users[2]]; r.Status != StatusFail || r.Advice == nil || (r.Advice.Code != "AccessPolicyDenied" && r.Advice.Code != "ErrorAccessDenied") {
		t.Errorf("outside mailbox: %+v %+v", r, r.Advice)
	}
}

func TestE2ECertificateMode(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppCertificateName)
	users, _ := userMailboxes(srv)
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantDomain(), ClientID: app.ClientID, Mode: ModeCertificate,
		Features: Features{Read: true, ListUsers: true}, Mailboxes: users[:1]}
	rs, err := Verify(context.Background(), s, Secrets{Certificate: app.CertificatePEM()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, rs, "preflight.tenant", "credentials", "tenant", "mailbox:"+users[0], "read")
	// Mailbox picker through the same credential.
	cl, claims, err := Connect(context.Background(), s, Secrets{Certificate: app.CertificatePEM()})
	if err != nil || !slices.Contains(claims.Roles, "User.Read.All") {
		t.Fatal(claims, err)
	}
	p, err := cl.ListMailboxes(context.Background(), "", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) == 0 || p.Next == "" {
		t.Fatalf("first page: %+v", p)
	}
	total := len(p.Entries)
	shared := 0
	for p.Next != "" {
		if p, err = cl.ListMailboxes(context.Background(), "", p.Next, 2); err != nil {
			t.Fatal(err)
		}
		total += len(p.Entries)
		for _, e := range p.Entries {
			if e.LikelyShared {
				shared++
			}
		}
	}
	if total < 5 {
		t.Errorf("paged %d mailboxes", total)
	}
	t.Logf("paged %d mailboxes, %d look shared", total, shared)
	q, err := cl.ListMailboxes(context.Background(), users[0][:3], "", 50)
	if err != nil || len(q.Entries) == 0 {
		t.Fatalf("search: %+v %v", q, err)
	}
}

func TestE2EDelegatedSignInAndRefresh(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppDelegatedName)
	users, shared := userMailboxes(srv)
	srv.Identity().SetAutoSignIn(users[1])
	var mu sync.Mutex
	var rts []string
	save := func(rt string) { mu.Lock(); rts = append(rts, rt); mu.Unlock() }
	f := Features{Read: true, Send: true}
	cred, err := SignIn(context.Background(), SignInOptions{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID,
		Permissions: RequestedPermissions(ModeDelegated, f), OpenBrowser: fakeBrowser(t), OnRefreshToken: save, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("%v → %+v", err, AdviceFor(err))
	}
	if len(rts) != 1 || rts[0] == "" {
		t.Fatalf("refresh token not handed over: %d", len(rts))
	}
	s := Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeDelegated, Features: f,
		Mailboxes: []string{users[1]}, DeliveryWait: 5 * time.Second, DeliveryPoll: 100 * time.Millisecond}
	rs, _ := Verify(context.Background(), s, Secrets{Credential: cred}, nil)
	requirePass(t, rs, "preflight.tenant", "preflight.loopback", "credentials", "tenant", "permissions", "mailbox:"+users[1], "read", "send")
	if cl := byID(rs)["credentials"].Data.(Claims); !strings.EqualFold(cl.UPN, users[1]) || cl.AppOnly() {
		t.Errorf("claims %+v", cl)
	}
	// Headless: only the saved refresh token. The refresh goes to the token endpoint.
	var rotated []string
	rs, _ = Verify(context.Background(), s, Secrets{RefreshToken: rts[0], OnRefreshToken: func(rt string) { rotated = append(rotated, rt) }}, nil)
	requirePass(t, rs, "credentials", "permissions", "read")
	t.Logf("refresh tokens rotated: %d", len(rotated))
	_ = shared
}

func TestE2EAdminConsent(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppNotConsentedName)
	users, _ := userMailboxes(srv)
	id := srv.Identity()
	run := func() (ConsentResult, error) {
		return RequestAdminConsent(context.Background(), ConsentOptions{Cloud: c, TenantID: id.TenantID(), ClientID: app.ClientID, OpenBrowser: fakeBrowser(t), Timeout: 20 * time.Second})
	}
	id.SetAutoSignIn(users[1]) // not an admin
	r, err := run()
	if err != nil || r.Outcome != ConsentApprovalRequired || r.Advice == nil || r.Advice.Code != "AADSTS90094" {
		t.Fatalf("non-admin: %+v %v", r, err)
	}
	id.SetAutoSignIn(users[0])
	id.InjectFault(emulator.Fault{Kind: emulator.FaultConsentDeclined, Count: 1})
	r, err = run()
	if err != nil || r.Outcome != ConsentDeclined {
		t.Fatalf("declined: %+v %v", r, err)
	}
	r, err = run()
	if err != nil || r.Outcome != ConsentGranted || !strings.EqualFold(r.Tenant, id.TenantID()) {
		t.Fatalf("admin: %+v %v", r, err)
	}
	if !id.AdminConsented(app.ClientID) {
		t.Fatal("emulator did not record the consent")
	}
	// Browser cannot be opened: the URL is still offered and the flow waits.
	var offered string
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var berr error
	_, err = RequestAdminConsent(ctx, ConsentOptions{Cloud: c, TenantID: id.TenantID(), ClientID: app.ClientID,
		OpenBrowser: func(string) error { return errors.New("exit status 3") }, OnURL: func(u string) { offered = u }, OnBrowserError: func(e error) { berr = e }})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(offered, "/v2.0/adminconsent") || !errors.Is(berr, ErrBrowserUnavailable) {
		t.Fatalf("%v %q %v", err, offered, berr)
	}
}

// TestE2EIdentityFaults: each identity-side fault yields its advice.
func TestE2EIdentityFaults(t *testing.T) {
	srv, c := practice(t)
	id := srv.Identity()
	secretApp := id.App(emulator.AppSecretName)
	delegated := id.App(emulator.AppDelegatedName)
	users, _ := userMailboxes(srv)
	id.SetAutoSignIn(users[1])
	appOnly := func() []CheckResult {
		rs, _ := Verify(context.Background(), Settings{Cloud: c, TenantID: id.TenantID(), ClientID: secretApp.ClientID, Mode: ModeSecret,
			Features: Features{Read: true}}, Secrets{ClientSecret: secretApp.ClientSecret()}, nil)
		return rs
	}
	signIn := func() error {
		_, err := SignIn(context.Background(), SignInOptions{Cloud: c, TenantID: id.TenantID(), ClientID: delegated.ClientID,
			Permissions: []string{"Mail.Read"}, OpenBrowser: fakeBrowser(t), Timeout: 2 * time.Second})
		return err
	}
	tests := []struct {
		kind  emulator.FaultKind
		check string // "" → delegated sign-in
		code  string
	}{
		{emulator.FaultInvalidSecret, "credentials", "AADSTS7000215"},
		{emulator.FaultExpiredSecret, "credentials", "AADSTS7000222"},
		{emulator.FaultAppNotFound, "credentials", "AADSTS700016"},
		{emulator.FaultUnknownTenant, "preflight.tenant", "AADSTS90002"},
		{emulator.FaultConsentMissing, "credentials", "AADSTS65001"},
		{emulator.FaultConditionalAccess, "credentials", "AADSTS53003"},
		{emulator.FaultConsentDeclined, "", "AADSTS65004"},
		{emulator.FaultAdminApprovalRequired, "", "AADSTS90094"},
		{emulator.FaultUserNotAssigned, "", "AADSTS50105"},
		{emulator.FaultPersonalAccount, "", "AADSTS50020"},
		{emulator.FaultRedirectMismatch, "", "timeout"}, // an error page in the browser; the app hears nothing
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			id.ClearFaults()
			id.InjectFault(emulator.Fault{Kind: tt.kind})
			defer id.ClearFaults()
			var a Advice
			if tt.check == "" {
				err := signIn()
				if err == nil {
					t.Fatal("sign-in succeeded")
				}
				a = AdviceFor(err)
			} else {
				r := byID(appOnly())[tt.check]
				if r.Status != StatusFail || r.Advice == nil {
					t.Fatalf("%s: %+v", tt.check, r)
				}
				a = *r.Advice
			}
			if a.Code != tt.code {
				t.Fatalf("advice %s (%s), want %s", a.Code, a.Seen, tt.code)
			}
		})
	}
}

// TestE2EGraphFaults: each Graph-side fault yields its advice on the mailbox check.
func TestE2EGraphFaults(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	tests := []struct {
		kind graphmail.FaultKind
		code string
		wait bool
	}{
		{graphmail.FaultMailboxNotFound, "ErrorInvalidUser", false},
		{graphmail.FaultRESTDisabled, "MailboxNotEnabledForRESTAPI", false},
		{graphmail.FaultAccessDenied, "ErrorAccessDenied", false},
		{graphmail.FaultThrottle, "TooManyRequests", true},
		{graphmail.FaultUnavailable, "ServiceUnavailable", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			srv.Mail().ClearFaults()
			srv.Mail().InjectFault(graphmail.Fault{Kind: tt.kind, Mailbox: users[0], PathContains: "/mailFolders", RetryAfter: 4 * time.Second})
			defer srv.Mail().ClearFaults()
			rs, _ := Verify(context.Background(), Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret,
				Features: Features{Read: true}, Mailboxes: users[:1]}, Secrets{ClientSecret: app.ClientSecret()}, nil)
			r := byID(rs)["mailbox:"+users[0]]
			if r.Status != StatusFail || r.Advice == nil || r.Advice.Code != tt.code {
				t.Fatalf("%+v %+v", r, r.Advice)
			}
			if tt.wait && r.Advice.RetryAfter != 4*time.Second {
				t.Errorf("Retry-After %v", r.Advice.RetryAfter)
			}
		})
	}
}

// TestE2ENoSecretsInErrors runs failing flows with known secrets and checks
// that no error, Seen text or advice carries them.
func TestE2ENoSecretsInErrors(t *testing.T) {
	srv, c := practice(t)
	id := srv.Identity()
	app := id.App(emulator.AppSecretName)
	delegated := id.App(emulator.AppDelegatedName)
	const secret = "Zq8~KnownSecretValue.ShouldNeverLeak_0123"
	const rt = "0.KnownRefreshTokenValueThatMustNotLeak-0123456789"
	var texts []string
	collect := func(rs []CheckResult) {
		for _, r := range rs {
			texts = append(texts, r.Seen)
			if r.Advice != nil {
				texts = append(texts, r.Advice.Seen, r.Advice.Title, r.Advice.Cause, r.Advice.Fix)
			}
		}
	}
	rs, _ := Verify(context.Background(), Settings{Cloud: c, TenantID: id.TenantID(), ClientID: app.ClientID, Mode: ModeSecret, Features: Features{Read: true}},
		Secrets{ClientSecret: secret}, nil)
	collect(rs)
	if byID(rs)["credentials"].Status != StatusFail {
		t.Fatal("a wrong secret was accepted")
	}
	cred, _ := NewSecretCredential(c, id.TenantID(), app.ClientID, secret)
	_, _, err := GetToken(context.Background(), c, cred)
	texts = append(texts, err.Error())
	d := NewDelegatedCredential(c, id.TenantID(), delegated.ClientID, []string{"Mail.Read"}, rt, nil)
	_, _, err = GetToken(context.Background(), c, d)
	if err == nil {
		t.Fatal("a made-up refresh token was accepted")
	}
	texts = append(texts, err.Error(), AdviceFor(err).Seen)
	rs, _ = Verify(context.Background(), Settings{Cloud: c, TenantID: id.TenantID(), ClientID: delegated.ClientID, Mode: ModeDelegated, Features: Features{Read: true}},
		Secrets{RefreshToken: rt}, nil)
	collect(rs)
	for _, s := range texts {
		if strings.Contains(s, secret) || strings.Contains(s, rt) || strings.Contains(s, "KnownSecret") || strings.Contains(s, "KnownRefresh") {
			t.Errorf("secret leaked: %q", s)
		}
	}
	if a := AdviceFor(err); a.Step != StepConsent {
		t.Errorf("bad refresh token advice: %+v", a)
	}
}

// TestE2ENonDeliveryReport: the practice tenant has no mail transport to
// the outside, so the test plays Exchange and drops a non-delivery report
// (subject "Undeliverable: ...", from the postmaster) into the sender's inbox
// once the test message appears in Sent Items; the check must call it a bounce.
func TestE2ENonDeliveryReport(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	users, _ := userMailboxes(srv)
	from := users[0]
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			msgs, _ := srv.Mail().Messages(from, "sentitems")
			for _, m := range msgs {
				if strings.HasPrefix(m.Subject, "m365connect test message ") {
					_, _ = srv.Mail().DeliverMessage(from, graphmail.Message{
						Subject: "Undeliverable: " + m.Subject, Body: "Delivery has failed to these recipients or groups.", BodyContentType: "text",
						From: graphmail.Recipient{Name: "Microsoft Outlook", Address: "postmaster@" + srv.Identity().TenantDomain()},
						To:   []graphmail.Recipient{{Address: from}}, Received: time.Now(), Sent: time.Now(),
					})
					return
				}
			}
		}
	}()
	rs, _ := Verify(context.Background(), Settings{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID, Mode: ModeSecret,
		Features: Features{Send: true}, Mailboxes: []string{from}, TestRecipient: "nobody@fabrikam.example",
		DeliveryWait: 10 * time.Second, DeliveryPoll: 100 * time.Millisecond}, Secrets{ClientSecret: app.ClientSecret()}, nil)
	r := byID(rs)["send"]
	if r.Status != StatusFail || r.Advice == nil || r.Advice.Code != "ndr" {
		t.Fatalf("%+v %+v", r, r.Advice)
	}
	if sr := r.Data.(SendResult); sr.NonDelivery == nil || !sr.NonDelivery.IsNonDelivery {
		t.Fatalf("%+v", sr)
	}
}

// FolderTotal counts what a sync window will hold ($count with the window's filter),
// not the whole folder, so the engine's progress ends at 100%.
func TestE2EFolderTotalInWindow(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppSecretName)
	cred, err := NewSecretCredential(c, srv.Identity().TenantID(), app.ClientID, app.ClientSecret())
	if err != nil {
		t.Fatal(err)
	}
	users, _ := userMailboxes(srv)
	mb, _ := srv.Mail().Lookup(users[0])
	msgs, err := srv.Mail().Messages(mb.ID, "inbox")
	if err != nil || len(msgs) < 3 {
		t.Fatalf("inbox: %d messages, %v", len(msgs), err)
	}
	// A window that starts at the third-newest message holds exactly the newest three.
	var times []time.Time
	for _, m := range msgs {
		times = append(times, m.Received)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	since := times[2].Truncate(time.Second)
	want := 0
	for _, tm := range times {
		if !tm.Before(since) {
			want++
		}
	}
	mc := NewMailSourceClient(c.GraphBaseURL, c.HTTPClient(), cred, c.DefaultScope())
	got, err := mc.FolderTotal(context.Background(), users[0], "inbox", since)
	if err != nil || got != int64(want) || want == len(msgs) {
		t.Fatalf("window count = %d, %v; want %d of %d", got, err, want, len(msgs))
	}
	all, err := mc.FolderTotal(context.Background(), users[0], "inbox", time.Time{})
	if err != nil || all != int64(len(msgs)) {
		t.Fatalf("folder total = %d, %v; want %d", all, err, len(msgs))
	}
}
