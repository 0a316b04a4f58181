package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// CreateAppOptions are the inputs of CreateApp.
type CreateAppOptions struct {
	Cloud    Cloud
	TenantID string
	// Admin is the signed-in admin (AdminSignIn).
	Admin azcore.TokenCredential
	Plan  AppPlan
	// Verify is the connection to check when everything is created: its Cloud,
	// TenantID, ClientID and Mode are filled in here; Features and Mailboxes come from
	// the caller. No mailboxes: the verify step checks the token and permissions only.
	Verify Settings
	// SignInDelegated, for the delegated mode, signs the mailbox account in with the new
	// app (the browser again); nil skips the delegated verify.
	SignInDelegated func(ctx context.Context, clientID string) (azcore.TokenCredential, error)
	// OnLifetimeRefused is asked when the tenant's app management policy refuses the
	// secret's lifetime: return a shorter one to retry, or false to stop.
	OnLifetimeRefused func(tried time.Duration) (time.Duration, bool)
	// KeepOnFailure keeps what was created when a step fails (default: remove it).
	KeepOnFailure bool
	Wait          PropagationWait
	Progress      func(AppStep)
}

// CreatedApp is the result: ids, the credential to store in the keyring, the checks.
// ClientSecret and CertificatePEM are secrets: keyring only, never logs or files.
type CreatedApp struct {
	TenantID, AppID, ObjectID, ServicePrincipalID, DisplayName string
	Mode                                                       Mode
	Credential                                                 CredentialKind
	ClientSecret                                               string
	CertificatePEM                                             []byte // certificate + PKCS#8 private key
	CredentialKeyID                                            string
	Expires                                                    time.Time
	Granted                                                    []string
	Created                                                    []CreatedObject
	Checks                                                     []CheckResult
}

// AppCreateError is a failed creation: the step, the cause, what had been created and
// whether it was removed, and the advice.
type AppCreateError struct {
	Step       string
	Err        error
	Created    []CreatedObject
	Removed    bool  // everything created was deleted again
	CleanupErr error // removal failed: Created is still in the tenant
	Advice     Advice
}

func (e *AppCreateError) Error() string {
	s := fmt.Sprintf("create app: %s: %v", e.Step, e.Err)
	switch {
	case len(e.Created) == 0:
	case e.Removed:
		s += " (what was created was removed)"
	case e.CleanupErr != nil:
		s += fmt.Sprintf(" (removing what was created failed: %v)", e.CleanupErr)
	default:
		s += " (what was created was kept)"
	}
	return s
}

func (e *AppCreateError) Unwrap() error { return e.Err }

// Sentinel errors of the creation.
var (
	// ErrNotAdmin: the signed-in account holds no role that can grant the mode's permissions
	// and no administrator role at all.
	ErrNotAdmin = errors.New("the signed-in account is not an administrator")
	// ErrRoleCannotGrant: an administrator, but not one that may grant these permissions.
	ErrRoleCannotGrant = errors.New("the signed-in administrator's role cannot grant these permissions")
	// ErrPropagation: Microsoft did not know the new app before the wait ended.
	ErrPropagation = errors.New("the new app was not visible to Microsoft before the wait ended")
	// ErrLifetimeRefused: the tenant's app management policy refused the secret lifetime.
	ErrLifetimeRefused = errors.New("the tenant's app management policy refused the credential lifetime")
)

// creation is one run of CreateApp.
type creation struct {
	o       CreateAppOptions
	dir     directory
	created []CreatedObject
	out     CreatedApp
	wait    PropagationWait
}

func (c *creation) report(id string, st StepState, detail string) {
	if c.o.Progress != nil {
		c.o.Progress(AppStep{ID: id, Title: AppStepTitle(id), State: st, Detail: detail})
	}
}

// retry runs f up to wait.Attempts times while retriable(err), counting down between.
func (c *creation) retry(ctx context.Context, step string, retriable func(error) bool, f func() error) error {
	var err error
	for i := 1; i <= c.wait.Attempts; i++ {
		if err = f(); err == nil || !retriable(err) {
			return err
		}
		if i == c.wait.Attempts {
			break
		}
		d := c.wait.Backoff(i)
		tick := func(left time.Duration) {
			if c.o.Progress != nil {
				c.o.Progress(AppStep{ID: step, Title: AppStepTitle(step), State: StepWaiting, Remaining: left, Attempt: i, Attempts: c.wait.Attempts,
					Detail: fmt.Sprintf("Microsoft has not published the new app yet; trying again in %s (attempt %d of %d)", left.Round(time.Second), i+1, c.wait.Attempts)})
			}
		}
		tick(d)
		if serr := c.wait.Sleep(ctx, d, tick); serr != nil {
			return serr
		}
	}
	return fmt.Errorf("%w: %w", ErrPropagation, err)
}

// CreateApp creates the app registration of the plan with one admin sign-in: role
// check, Microsoft Graph's permission ids, the application (with its certificate), its
// service principal, a secret, the grants (appRoleAssignedTo on Microsoft Graph's
// service principal for application permissions, an AllPrincipals
// oauth2PermissionGrant for delegated ones), the wait for propagation, then the full
// verify. Any failure before the verify removes what was created (unless
// KeepOnFailure) and returns an *AppCreateError listing it.
// https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph
func CreateApp(ctx context.Context, o CreateAppOptions) (*CreatedApp, error) {
	if o.Admin == nil {
		return nil, errors.New("create app: no admin sign-in")
	}
	if err := checkTenant(o.TenantID); err != nil {
		return nil, err
	}
	c := &creation{o: o, dir: directory{o.Cloud, o.Admin}, wait: o.Wait.normalised()}
	c.out = CreatedApp{TenantID: o.TenantID, DisplayName: o.Plan.DisplayName, Mode: o.Plan.Mode, Credential: o.Plan.Credential}
	step, err := c.run(ctx)
	if err == nil {
		c.out.Created = c.created
		return &c.out, nil
	}
	c.report(step, StepFailed, AdviceFor(err).Title)
	e := &AppCreateError{Step: step, Err: err, Created: c.created, Advice: c.advice(err)}
	if len(c.created) > 0 && !o.KeepOnFailure {
		c.report(AppStepCleanup, StepRunning, "")
		// Cleanup must run even when ctx was cancelled (Cancel midway).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*requestTimeout)
		defer cancel()
		if cerr := c.cleanup(cctx); cerr != nil {
			e.CleanupErr = cerr
			c.report(AppStepCleanup, StepFailed, "")
		} else {
			e.Removed = true
			c.report(AppStepCleanup, StepDone, fmt.Sprintf("removed %d objects", len(c.created)))
		}
	}
	return nil, e
}

// advice picks the advice for a failure of the creation.
func (c *creation) advice(err error) Advice {
	switch {
	case errors.Is(err, ErrNotAdmin):
		a := adviceCode("app_not_admin", err.Error())
		a.Fix += " Roles that can: " + strings.Join(RolesThatCanGrant(c.o.Plan.Mode), ", ") + "."
		return a
	case errors.Is(err, ErrRoleCannotGrant):
		a := adviceCode("app_role_cannot_grant", err.Error())
		a.Fix += " Roles that can: " + strings.Join(RolesThatCanGrant(c.o.Plan.Mode), ", ") + "."
		return a
	case errors.Is(err, ErrPropagation):
		return adviceCode("app_propagation", err.Error())
	case errors.Is(err, ErrLifetimeRefused):
		return adviceCode("CredentialInvalidLifetimeAsPerAppPolicy", err.Error())
	}
	return AdviceFor(err)
}

// run performs the steps; it returns the step that failed.
func (c *creation) run(ctx context.Context) (string, error) {
	o := c.o
	c.report(AppStepRoles, StepRunning, "")
	roles, err := CheckAdminRoles(ctx, o.Cloud, o.Admin)
	if err != nil {
		return AppStepRoles, err
	}
	if !roles.CanGrant(o.Plan.Mode) {
		if len(roles.Roles) == 0 {
			return AppStepRoles, ErrNotAdmin
		}
		return AppStepRoles, fmt.Errorf("%w (you are %s)", ErrRoleCannotGrant, strings.Join(roles.Roles, ", "))
	}
	c.report(AppStepRoles, StepDone, strings.Join(roles.Roles, ", "))

	c.report(AppStepLookup, StepRunning, "")
	ids, err := lookupGraphPermissions(ctx, c.dir)
	if err != nil {
		return AppStepLookup, err
	}
	access, err := resourceAccess(o.Plan, ids)
	if err != nil {
		return AppStepLookup, err
	}
	c.report(AppStepLookup, StepDone, "")

	if err := ctx.Err(); err != nil {
		return AppStepApplication, err
	}
	c.report(AppStepApplication, StepRunning, "")
	if err := c.createApplication(ctx, access); err != nil {
		return AppStepApplication, err
	}
	c.report(AppStepApplication, StepDone, "Application (client) ID "+c.out.AppID)

	c.report(AppStepSP, StepRunning, "")
	if err := c.createServicePrincipal(ctx); err != nil {
		return AppStepSP, err
	}
	c.report(AppStepSP, StepDone, "")

	c.report(AppStepCredential, StepRunning, "")
	if err := c.createCredential(ctx); err != nil {
		return AppStepCredential, err
	}
	c.report(AppStepCredential, StepDone, string(c.out.Credential))

	c.report(AppStepGrant, StepRunning, "")
	if err := c.grant(ctx, ids); err != nil {
		return AppStepGrant, err
	}
	c.report(AppStepGrant, StepDone, strings.Join(c.out.Granted, ", "))

	if o.Plan.Mode.AppOnly() {
		c.report(AppStepPropagation, StepRunning, "")
		if err := c.waitForToken(ctx); err != nil {
			return AppStepPropagation, err
		}
		c.report(AppStepPropagation, StepDone, "")
	} else {
		c.report(AppStepPropagation, StepSkipped, "the mailbox account's sign-in waits for it")
	}

	c.report(AppStepVerify, StepRunning, "")
	if err := c.verify(ctx); err != nil {
		return AppStepVerify, err
	}
	if Failed(c.out.Checks) {
		c.report(AppStepVerify, StepFailed, "some checks failed; the app is kept")
	} else {
		c.report(AppStepVerify, StepDone, "All checks passed")
	}
	return "", nil
}

type requiredAccess struct {
	ResourceAppID  string `json:"resourceAppId"`
	ResourceAccess []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"resourceAccess"`
}

// resourceAccess maps the plan's permission names to Microsoft Graph's ids.
// https://learn.microsoft.com/en-us/graph/api/resources/requiredresourceaccess
func resourceAccess(p AppPlan, ids graphPermissionIDs) (requiredAccess, error) {
	ra := requiredAccess{ResourceAppID: graphAppID}
	for _, perm := range p.Permissions {
		id, typ := ids.roles[strings.ToLower(perm.Name)], "Role"
		if perm.Kind == "delegated" {
			id, typ = ids.scopes[strings.ToLower(perm.Name)], "Scope"
		}
		if id == "" {
			return ra, fmt.Errorf("microsoft graph publishes no %s permission %q in this tenant", perm.Kind, perm.Name)
		}
		ra.ResourceAccess = append(ra.ResourceAccess, struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}{id, typ})
	}
	return ra, nil
}

// createApplication is POST /applications with requiredResourceAccess, the redirect URIs
// and, for the certificate mode, the first certificate in keyCredentials (addKey needs
// a proof signed by an existing key, so it is for rotation only).
// https://learn.microsoft.com/en-us/graph/api/application-post-applications
func (c *creation) createApplication(ctx context.Context, access requiredAccess) error {
	p := c.o.Plan
	body := map[string]any{
		"displayName":            p.DisplayName,
		"signInAudience":         "AzureADMyOrg",
		"requiredResourceAccess": []requiredAccess{access},
	}
	if len(p.RedirectURIs) > 0 {
		body["publicClient"] = map[string]any{"redirectUris": p.RedirectURIs}
		body["isFallbackPublicClient"] = true
	}
	if p.Credential == CredentialCertificate {
		pemData, der, expires, err := newCertificate(p.DisplayName, p.Lifetime)
		if err != nil {
			return err
		}
		c.out.CertificatePEM, c.out.Expires = pemData, expires
		body["keyCredentials"] = []map[string]any{keyCredential(der, credentialName())}
	}
	var app struct {
		ID    string `json:"id"`
		AppID string `json:"appId"`
	}
	if err := c.dir.do(ctx, http.MethodPost, "/applications", body, &app); err != nil {
		return err
	}
	c.out.ObjectID, c.out.AppID = app.ID, app.AppID
	c.created = append(c.created, CreatedObject{Kind: "application", ID: app.AppID, Name: p.DisplayName})
	if p.Credential == CredentialCertificate {
		c.created = append(c.created, CreatedObject{Kind: "certificate", Name: "on the application"})
	}
	return nil
}

// createServicePrincipal is POST /servicePrincipals {appId}, retried while Graph
// answers 400 NoBackingApplicationObject (the new application is not replicated yet).
// https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals
func (c *creation) createServicePrincipal(ctx context.Context) error {
	var sp struct {
		ID string `json:"id"`
	}
	err := c.retry(ctx, AppStepSP, isNotYetVisible, func() error {
		return c.dir.do(ctx, http.MethodPost, "/servicePrincipals", map[string]string{"appId": c.out.AppID}, &sp)
	})
	if err != nil {
		return err
	}
	c.out.ServicePrincipalID = sp.ID
	c.created = append(c.created, CreatedObject{Kind: "service principal", ID: sp.ID, Name: c.o.Plan.DisplayName})
	return nil
}

// grant gives the permissions without a consent page: appRoleAssignedTo on Microsoft
// Graph's service principal per application permission, or one AllPrincipals
// oauth2PermissionGrant with the delegated scopes.
// https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
// https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post
func (c *creation) grant(ctx context.Context, ids graphPermissionIDs) error {
	if c.o.Plan.Mode.AppOnly() {
		for _, perm := range c.o.Plan.Permissions {
			var a struct {
				ID string `json:"id"`
			}
			body := map[string]string{"principalId": c.out.ServicePrincipalID, "resourceId": ids.spID, "appRoleId": ids.roles[strings.ToLower(perm.Name)]}
			err := c.retry(ctx, AppStepGrant, isNotYetVisible, func() error {
				return c.dir.do(ctx, http.MethodPost, "/servicePrincipals/"+url.PathEscape(ids.spID)+"/appRoleAssignedTo", body, &a)
			})
			if err != nil {
				return err
			}
			c.out.Granted = append(c.out.Granted, perm.Name)
			c.created = append(c.created, CreatedObject{Kind: "app role assignment", ID: a.ID, Name: perm.Name})
		}
		return nil
	}
	var scopes []string
	for _, perm := range c.o.Plan.Permissions {
		scopes = append(scopes, perm.Name)
	}
	var g struct {
		ID string `json:"id"`
	}
	body := map[string]string{"clientId": c.out.ServicePrincipalID, "consentType": "AllPrincipals", "resourceId": ids.spID, "scope": strings.Join(scopes, " ")}
	err := c.retry(ctx, AppStepGrant, isNotYetVisible, func() error {
		return c.dir.do(ctx, http.MethodPost, "/oauth2PermissionGrants", body, &g)
	})
	if err != nil {
		return err
	}
	c.out.Granted = scopes
	c.created = append(c.created, CreatedObject{Kind: "delegated permission grant", ID: g.ID, Name: strings.Join(scopes, " ")})
	return nil
}

// cleanup deletes the application; its service principal, credentials, app role
// assignments and grants go with it.
// https://learn.microsoft.com/en-us/graph/api/application-delete
func (c *creation) cleanup(ctx context.Context) error {
	if c.out.ObjectID == "" {
		return nil
	}
	return c.dir.do(ctx, http.MethodDelete, "/applications/"+url.PathEscape(c.out.ObjectID), nil, nil)
}
