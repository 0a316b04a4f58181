package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/m365connect/m365connect/emulator"
)

// adminSignIn signs user in with the admin tool's client id, as the browser would.
func adminSignIn(t *testing.T, srv *emulator.Server, c Cloud, user string) (*DelegatedCredential, error) {
	t.Helper()
	srv.Identity().SetAutoSignIn(user)
	return AdminSignIn(context.Background(), SignInOptions{Cloud: c, TenantID: srv.Identity().TenantID(),
		OpenBrowser: fakeBrowser(t), Timeout: 20 * time.Second})
}

// instantWait retries without sleeping; the countdown still ticks once per wait.
func instantWait(attempts int) PropagationWait {
	return PropagationWait{Attempts: attempts, Backoff: func(i int) time.Duration { return time.Duration(i) * time.Second },
		Sleep: func(ctx context.Context, d time.Duration, tick func(time.Duration)) error {
			tick(d / 2)
			return ctx.Err()
		}}
}

// stepLog records progress reports.
type stepLog struct {
	mu    sync.Mutex
	steps []AppStep
}

func (l *stepLog) add(s AppStep) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, s)
}

func (l *stepLog) has(id string, st StepState) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.steps, func(s AppStep) bool { return s.ID == id && s.State == st })
}

func (l *stepLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, s := range l.steps {
		b.WriteString(s.ID + " " + string(s.State) + " " + s.Detail + "\n")
	}
	return b.String()
}

type appCreateCase struct {
	srv   *emulator.Server
	cloud Cloud
	users []string
	admin *DelegatedCredential
	log   *stepLog
}

func newAppCreateCase(t *testing.T, adminIndex int) *appCreateCase {
	t.Helper()
	srv, c := practice(t)
	users, _ := userMailboxes(srv)
	admin, err := adminSignIn(t, srv, c, users[adminIndex])
	if err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	return &appCreateCase{srv: srv, cloud: c, users: users, admin: admin, log: &stepLog{}}
}

func (a *appCreateCase) options(mode Mode, f Features) CreateAppOptions {
	return CreateAppOptions{Cloud: a.cloud, TenantID: a.srv.Identity().TenantID(), Admin: a.admin,
		Plan: PlanApp("", mode, f, 0), Wait: instantWait(4), Progress: a.log.add,
		Verify: Settings{Features: f, Mailboxes: a.users[2:3], DeliveryWait: 5 * time.Second, DeliveryPoll: 50 * time.Millisecond}}
}

func (a *appCreateCase) signInDelegated(t *testing.T, f Features) func(context.Context, string) (azcore.TokenCredential, error) {
	return func(ctx context.Context, clientID string) (azcore.TokenCredential, error) {
		a.srv.Identity().SetAutoSignIn(a.users[2])
		return SignIn(ctx, SignInOptions{Cloud: a.cloud, TenantID: a.srv.Identity().TenantID(), ClientID: clientID,
			Permissions: RequestedPermissions(ModeDelegated, f), OpenBrowser: fakeBrowser(t), Timeout: 20 * time.Second})
	}
}

func TestAppCreateEachModeAllChecksPass(t *testing.T) {
	f := Features{Read: true, Send: true}
	for _, mode := range []Mode{ModeSecret, ModeCertificate, ModeDelegated} {
		t.Run(string(mode), func(t *testing.T) {
			a := newAppCreateCase(t, 0) // Global Administrator
			o := a.options(mode, f)
			o.SignInDelegated = a.signInDelegated(t, f)
			got, err := CreateApp(context.Background(), o)
			if err != nil {
				t.Fatalf("create: %v\n%s", err, a.log.text())
			}
			if len(got.Checks) == 0 || Failed(got.Checks) {
				for _, r := range got.Checks {
					t.Logf("%s %s %s", r.ID, r.Status, r.Seen)
				}
				t.Fatalf("checks failed")
			}
			if !a.log.has(AppStepVerify, StepDone) || !strings.Contains(a.log.text(), "All checks passed") {
				t.Errorf("progress:\n%s", a.log.text())
			}
			apps := a.srv.Identity().CreatedApps()
			if len(apps) != 1 || apps[0].AppID != got.AppID || apps[0].ServicePrincipalID != got.ServicePrincipalID {
				t.Fatalf("tenant holds %+v, created %+v", apps, got)
			}
			want := RequestedPermissions(mode, f)
			held := apps[0].Roles
			if mode == ModeDelegated {
				held = apps[0].Scopes
			}
			slices.Sort(want)
			slices.Sort(held)
			if !slices.Equal(held, want) {
				t.Errorf("granted %v, the mode needs exactly %v", held, want)
			}
			switch mode {
			case ModeSecret:
				if got.ClientSecret == "" || got.CredentialKeyID == "" || apps[0].Passwords != 1 {
					t.Errorf("secret not created: %+v", apps[0])
				}
			case ModeCertificate:
				if !strings.Contains(string(got.CertificatePEM), "PRIVATE KEY") || apps[0].Certificates != 1 || apps[0].Passwords != 0 {
					t.Errorf("certificate not created: %+v", apps[0])
				}
			case ModeDelegated:
				if got.ClientSecret != "" || got.CertificatePEM != nil || !slices.Contains(apps[0].RedirectURIs, "http://localhost") {
					t.Errorf("delegated app: %+v", apps[0])
				}
			}
			if mode.AppOnly() {
				if d := time.Until(got.Expires); d < 364*24*time.Hour || d > 366*24*time.Hour {
					t.Errorf("credential expires in %v, want 12 months", d)
				}
			}
		})
	}
}

// expectNothingLeft asserts the tenant holds no created app.
func expectNothingLeft(t *testing.T, srv *emulator.Server) {
	t.Helper()
	if apps := srv.Identity().CreatedApps(); len(apps) != 0 {
		t.Errorf("orphaned in the tenant: %+v", apps)
	}
}

func TestAppCreateUserNotAdmin(t *testing.T) {
	// Application.ReadWrite.All and the grant permissions need an administrator's consent:
	// a plain user cannot even sign in to Microsoft Graph Command Line Tools for them.
	srv, c := practice(t)
	users, _ := userMailboxes(srv)
	if _, err := adminSignIn(t, srv, c, users[2]); AdviceFor(err).Code != "AADSTS90094" {
		t.Fatalf("plain user's sign-in: %v", err)
	}
	expectNothingLeft(t, srv)

	// Where an administrator consented to the tool for everyone, the plain user signs in
	// and the role check stops the creation before anything exists.
	srv.Identity().SetAdminConsent(AdminClientID(CloudPractice), true)
	admin, err := adminSignIn(t, srv, c, users[2])
	if err != nil {
		t.Fatal(err)
	}
	a := &appCreateCase{srv: srv, cloud: c, users: users, admin: admin, log: &stepLog{}}
	_, err = CreateApp(context.Background(), a.options(ModeSecret, Features{Read: true}))
	var ae *AppCreateError
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotAdmin) || ae.Step != AppStepRoles || len(ae.Created) != 0 {
		t.Fatalf("err = %v", err)
	}
	if ae.Advice.Code != "app_not_admin" || !strings.Contains(ae.Advice.Fix, RoleGlobalAdministrator) {
		t.Errorf("advice %+v", ae.Advice)
	}
	expectNothingLeft(t, a.srv)
}

func TestAppCreateRoleCannotGrantApplicationPermissions(t *testing.T) {
	a := newAppCreateCase(t, 1) // Application Administrator
	_, err := CreateApp(context.Background(), a.options(ModeCertificate, Features{Read: true}))
	var ae *AppCreateError
	if !errors.As(err, &ae) || !errors.Is(err, ErrRoleCannotGrant) || len(ae.Created) != 0 {
		t.Fatalf("err = %v", err)
	}
	if ae.Advice.Code != "app_role_cannot_grant" || !strings.Contains(ae.Advice.Fix, RolePrivilegedRoleAdministrator) ||
		!strings.Contains(err.Error(), RoleApplicationAdministrator) {
		t.Errorf("advice %+v / %v", ae.Advice, err)
	}
	expectNothingLeft(t, a.srv)

	// The practice tenant itself refuses the grant to that role, whatever the client does.
	d := directory{a.cloud, a.admin}
	var app struct{ ID, AppID string }
	if err := d.do(context.Background(), "POST", "/applications", map[string]any{"displayName": "probe"}, &app); err != nil {
		t.Fatal(err)
	}
	var sp struct{ ID string }
	if err := d.do(context.Background(), "POST", "/servicePrincipals", map[string]string{"appId": app.AppID}, &sp); err != nil {
		t.Fatal(err)
	}
	ids, err := lookupGraphPermissions(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	err = d.do(context.Background(), "POST", "/servicePrincipals/"+ids.spID+"/appRoleAssignedTo",
		map[string]string{"principalId": sp.ID, "resourceId": ids.spID, "appRoleId": ids.roles["mail.read"]}, nil)
	var he *Error
	if !errors.As(err, &he) || he.Status != 403 || he.Code != "Authorization_RequestDenied" {
		t.Errorf("appRoleAssignedTo as Application Administrator: %v", err)
	}
}

func TestAppCreateApplicationAdministratorDelegatedMode(t *testing.T) {
	f := Features{Read: true}
	a := newAppCreateCase(t, 1)
	o := a.options(ModeDelegated, f)
	o.SignInDelegated = a.signInDelegated(t, f)
	got, err := CreateApp(context.Background(), o)
	if err != nil || Failed(got.Checks) {
		t.Fatalf("an Application Administrator may grant delegated permissions: %v", err)
	}
}

func TestAppCreateConsentBlockedByConditionalAccess(t *testing.T) {
	srv, c := practice(t)
	users, _ := userMailboxes(srv)
	srv.Identity().InjectFault(emulator.Fault{Kind: emulator.FaultConditionalAccess, ClientID: AdminClientID(CloudPractice)})
	_, err := adminSignIn(t, srv, c, users[0])
	if err == nil {
		t.Fatal("sign-in passed a conditional access block")
	}
	if a := AdviceFor(err); a.Code != "AADSTS53003" || a.Fix == "" {
		t.Errorf("advice %+v", a)
	}
	expectNothingLeft(t, srv)
}

func TestAppCreateCancelMidwayRemovesWhatWasCreated(t *testing.T) {
	a := newAppCreateCase(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := a.options(ModeSecret, Features{Read: true})
	o.Progress = func(s AppStep) {
		a.log.add(s)
		if s.ID == AppStepCredential && s.State == StepRunning {
			cancel() // the admin presses Cancel while the secret is being made
		}
	}
	_, err := CreateApp(ctx, o)
	var ae *AppCreateError
	if !errors.As(err, &ae) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if !ae.Removed || len(ae.Created) < 2 || ae.Created[0].Kind != "application" {
		t.Errorf("created %+v removed %v", ae.Created, ae.Removed)
	}
	if ae.Advice.Code != "cancelled" || !a.log.has(AppStepCleanup, StepDone) {
		t.Errorf("advice %+v\n%s", ae.Advice, a.log.text())
	}
	expectNothingLeft(t, a.srv)
}

func TestAppCreatePropagationWithinTheWait(t *testing.T) {
	a := newAppCreateCase(t, 0)
	a.srv.Identity().SetPropagationDelay(2, 2)
	got, err := CreateApp(context.Background(), a.options(ModeSecret, Features{Read: true}))
	if err != nil || Failed(got.Checks) {
		t.Fatalf("create: %v\n%s", err, a.log.text())
	}
	var waits []AppStep
	for _, s := range a.log.steps {
		if s.State == StepWaiting {
			waits = append(waits, s)
		}
	}
	seen := map[string]bool{}
	for _, w := range waits {
		seen[w.ID] = true
		if w.Remaining <= 0 || w.Attempts != 4 || w.Attempt < 1 || !strings.Contains(w.Detail, "trying again in") {
			t.Errorf("countdown report %+v", w)
		}
	}
	if !seen[AppStepSP] || !seen[AppStepPropagation] {
		t.Errorf("no countdown for the service principal and the token endpoint:\n%s", a.log.text())
	}
}

func TestAppCreatePropagationSlowerThanTheWait(t *testing.T) {
	for _, keep := range []bool{false, true} {
		a := newAppCreateCase(t, 0)
		a.srv.Identity().SetPropagationDelay(0, 50)
		o := a.options(ModeCertificate, Features{Read: true})
		o.KeepOnFailure = keep
		_, err := CreateApp(context.Background(), o)
		var ae *AppCreateError
		if !errors.As(err, &ae) || !errors.Is(err, ErrPropagation) || ae.Step != AppStepPropagation {
			t.Fatalf("keep=%v err = %v", keep, err)
		}
		if ae.Advice.Code != "app_propagation" || !ae.Advice.Retryable {
			t.Errorf("advice %+v", ae.Advice)
		}
		kinds := map[string]bool{}
		for _, c := range ae.Created {
			kinds[c.Kind] = true
		}
		if !kinds["application"] || !kinds["service principal"] || !kinds["certificate"] || !kinds["app role assignment"] {
			t.Errorf("created list %+v", ae.Created)
		}
		if keep {
			if ae.Removed || len(a.srv.Identity().CreatedApps()) != 1 || !strings.Contains(err.Error(), "kept") {
				t.Errorf("kept on request: removed=%v apps=%d", ae.Removed, len(a.srv.Identity().CreatedApps()))
			}
		} else {
			if !ae.Removed {
				t.Error("not removed")
			}
			expectNothingLeft(t, a.srv)
		}
	}
}

func TestAppCreateSecretLifetimeRefusedByPolicy(t *testing.T) {
	a := newAppCreateCase(t, 0)
	a.srv.Identity().SetPasswordLifetimePolicy(180 * 24 * time.Hour)
	_, err := CreateApp(context.Background(), a.options(ModeSecret, Features{Read: true}))
	var ae *AppCreateError
	if !errors.As(err, &ae) || !errors.Is(err, ErrLifetimeRefused) || ae.Step != AppStepCredential || !ae.Removed {
		t.Fatalf("err = %v", err)
	}
	if ae.Advice.Code != "CredentialInvalidLifetimeAsPerAppPolicy" || !strings.Contains(ae.Advice.Fix, "certificate") {
		t.Errorf("advice %+v", ae.Advice)
	}
	expectNothingLeft(t, a.srv)

	// Offered a shorter lifetime, the admin takes 90 days.
	o := a.options(ModeSecret, Features{Read: true})
	var asked []time.Duration
	o.OnLifetimeRefused = func(tried time.Duration) (time.Duration, bool) {
		asked = append(asked, tried)
		return 90 * 24 * time.Hour, true
	}
	got, err := CreateApp(context.Background(), o)
	if err != nil || Failed(got.Checks) {
		t.Fatalf("shorter lifetime: %v", err)
	}
	if len(asked) != 1 || asked[0] != DefaultCredentialLifetime {
		t.Errorf("asked %v", asked)
	}
	if d := time.Until(got.Expires); d > 91*24*time.Hour || d < 89*24*time.Hour {
		t.Errorf("expires in %v", d)
	}
}

func TestAppCreateNoSecretInErrorsOrProgress(t *testing.T) {
	a := newAppCreateCase(t, 0)
	a.srv.Identity().SetPropagationDelay(0, 50)
	o := a.options(ModeSecret, Features{Read: true})
	o.KeepOnFailure = true
	_, err := CreateApp(context.Background(), o)
	var ae *AppCreateError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	// The secret exists in the tenant (kept); it must not appear in what is shown.
	apps := a.srv.Identity().CreatedApps()
	if len(apps) != 1 || apps[0].Passwords != 1 {
		t.Fatalf("apps %+v", apps)
	}
	for _, s := range []string{err.Error(), a.log.text(), ae.Advice.Seen, ae.Advice.Fix} {
		if strings.Contains(s, "8Q~") {
			t.Errorf("secret shown: %q", s)
		}
	}
}

func TestAppRotateSecretAndCertificateThenDelete(t *testing.T) {
	a := newAppCreateCase(t, 0)
	f := Features{Read: true}
	for _, mode := range []Mode{ModeSecret, ModeCertificate} {
		got, err := CreateApp(context.Background(), a.options(mode, f))
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		rot, err := RotateCredential(context.Background(), RotateOptions{Cloud: a.cloud, TenantID: got.TenantID, Admin: a.admin,
			AppID: got.AppID, Kind: got.Credential, OldKeyID: got.CredentialKeyID, OldCertificatePEM: got.CertificatePEM,
			Lifetime: 30 * 24 * time.Hour, Wait: instantWait(3)})
		if err != nil {
			t.Fatalf("%s rotate: %v", mode, err)
		}
		// The rotated credential lives 30 days (inside the warning window, wizard.ExpiresSoon);
		// the created one far longer.
		if month := 30 * 24 * time.Hour; time.Until(rot.Expires) > month || time.Until(got.Expires) <= month {
			t.Errorf("expiry warning data: new %v old %v", rot.Expires, got.Expires)
		}
		newCred, err := appCredential(a.cloud, got.TenantID, got.AppID, rot.ClientSecret, rot.CertificatePEM)
		if err != nil {
			t.Fatal(err)
		}
		if _, cl, err := GetToken(context.Background(), a.cloud, newCred); err != nil || !slices.Contains(cl.Roles, "Mail.Read") {
			t.Errorf("%s: new credential: %v %v", mode, err, cl.Roles)
		}
		oldCred, err := appCredential(a.cloud, got.TenantID, got.AppID, got.ClientSecret, got.CertificatePEM)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := GetToken(context.Background(), a.cloud, oldCred); err == nil {
			t.Errorf("%s: the old credential still works after rotation", mode)
		}
		if err := DeleteApp(context.Background(), a.cloud, a.admin, got.AppID); err != nil {
			t.Fatal(err)
		}
		// A fresh credential: azidentity caches the token it already has.
		afterDelete, err := appCredential(a.cloud, got.TenantID, got.AppID, rot.ClientSecret, rot.CertificatePEM)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := GetToken(context.Background(), a.cloud, afterDelete); AdviceFor(err).Code != "AADSTS700016" {
			t.Errorf("%s: deleted app: %v", mode, err)
		}
		expectNothingLeft(t, a.srv)
		// Rotating or deleting it again: the advice names the app registration, not a
		// mailbox (Graph answers Request_ResourceNotFound for both).
		_, err = RotateCredential(context.Background(), RotateOptions{Cloud: a.cloud, TenantID: got.TenantID, Admin: a.admin,
			AppID: got.AppID, Kind: got.Credential, OldCertificatePEM: got.CertificatePEM, Wait: instantWait(3)})
		if !errors.Is(err, ErrAppNotFound) || AdviceFor(err).Code != "app_not_found" || AdviceFor(err).Step != StepAppRegistration {
			t.Errorf("%s: rotating a deleted app: %v, advice %+v", mode, err, AdviceFor(err))
		}
		if err := DeleteApp(context.Background(), a.cloud, a.admin, got.AppID); !errors.Is(err, ErrAppNotFound) {
			t.Errorf("%s: deleting it twice: %v", mode, err)
		}
	}
}

func TestPlanAppSummary(t *testing.T) {
	for _, tc := range []struct {
		mode  Mode
		f     Features
		cred  CredentialKind
		lines []string
	}{
		{ModeSecret, Features{Read: true, Send: true}, CredentialSecret, []string{"client secret valid 365 days", "application permission Mail.Send: "}},
		{ModeCertificate, Features{Write: true}, CredentialCertificate, []string{"certificate made on this computer", "application permission Mail.ReadWrite: "}},
		{ModeDelegated, Features{Read: true, Shared: true}, CredentialNone, []string{"Redirect URI (mobile and desktop): http://localhost", "delegated permission offline_access: ", "Mail.Read.Shared"}},
	} {
		p := PlanApp("", tc.mode, tc.f, 0)
		var names []string
		for _, x := range p.Permissions {
			names = append(names, x.Name)
			if x.Reason == "" {
				t.Errorf("%s: %s has no reason", tc.mode, x.Name)
			}
		}
		// Exactly the permissions table's set for the mode.
		if p.DisplayName != DefaultAppName || p.Credential != tc.cred || !slices.Equal(names, RequestedPermissions(tc.mode, tc.f)) {
			t.Errorf("%s: plan %+v", tc.mode, p)
		}
		sum := strings.Join(p.Summary(), "\n")
		for _, l := range tc.lines {
			if !strings.Contains(sum, l) {
				t.Errorf("%s: summary lacks %q:\n%s", tc.mode, l, sum)
			}
		}
	}
	if p := PlanApp("x", ModeSecret, Features{Read: true}, 10*365*24*time.Hour); p.Lifetime != MaxCredentialLifetime {
		t.Errorf("lifetime not capped: %v", p.Lifetime)
	}
}

// enterDeviceCode plays the person on another device: opens the verification page and
// signs in as user (or cancels).
func enterDeviceCode(t *testing.T, dc DeviceCode, userID, action string) {
	t.Helper()
	form := url.Values{"code": {dc.UserCode}, "user": {userID}, "action": {action}}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).PostForm(dc.VerificationURI, form)
	if err != nil {
		t.Errorf("device login page: %v", err)
		return
	}
	resp.Body.Close()
}

func TestAppCreateWithDeviceCodeSignIn(t *testing.T) {
	srv, c := practice(t)
	users := srv.Identity().Users()
	for _, action := range []string{"cancel", "accept"} {
		admin, err := AdminDeviceCodeSignIn(context.Background(), DeviceCodeOptions{Cloud: c, TenantID: srv.Identity().TenantID(), Timeout: 20 * time.Second,
			OnCode: func(dc DeviceCode) {
				if dc.UserCode == "" || !strings.Contains(dc.Message, dc.UserCode) {
					t.Errorf("code %+v", dc)
				}
				go enterDeviceCode(t, dc, users[0].ID, action)
			}})
		if action == "cancel" {
			if !errors.Is(err, ErrConsentDeclined) || AdviceFor(err).Code != "consent_declined" {
				t.Fatalf("declined device sign-in: %v", err)
			}
			expectNothingLeft(t, srv)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		mailboxes, _ := userMailboxes(srv)
		o := CreateAppOptions{Cloud: c, TenantID: srv.Identity().TenantID(), Admin: admin, Plan: PlanApp("", ModeCertificate, Features{Read: true}, 0),
			Wait: instantWait(3), Verify: Settings{Features: Features{Read: true}, Mailboxes: mailboxes[:1]}}
		got, err := CreateApp(context.Background(), o)
		if err != nil || Failed(got.Checks) {
			t.Fatalf("create after device code sign-in: %v", err)
		}
	}
}
