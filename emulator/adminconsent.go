package emulator

import (
	"net/http"
	"net/url"
	"time"
)

// The admin consent endpoint (/{tenant}/v2.0/adminconsent): an administrator grants an
// app's permissions for the whole tenant, on the consent page or by the practice
// tenant's automatic sign-in, and the browser returns to the app's redirect URI.

// handleAdminConsent is GET /{tenant}/v2.0/adminconsent
// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent): an
// administrator grants the app's permissions tenant-wide; the browser then goes to
// redirect_uri with admin_consent=True&tenant=..&state=..&scope=.., or with
// error=..&error_description=..&state=.. . The tenant must be named: 'common' is refused
// (the page says not to use it), 'consumers' cannot consent for a tenant.
func (s *Server) handleAdminConsent(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	q := r.URL.Query()
	seg := r.PathValue("tenant")
	kind, terr := id.resolveTenant(seg)
	if terr != nil {
		s.errorPage(w, r, *terr)
		return
	}
	clientID := q.Get("client_id")
	switch kind {
	case "common":
		s.errorPage(w, r, errNoTenant())
		return
	case "consumers":
		s.errorPage(w, r, errConsumers(clientID))
		return
	}
	app := id.dir.appByID(clientID)
	redirect := q.Get("redirect_uri")
	fault, ok := s.browserAppChecks(w, r, app, clientID, redirect, false)
	if !ok {
		return
	}
	state := q.Get("state")
	if fault != nil {
		e := s.faultError(fault, app, "")
		e.Error = "access_denied"
		s.redirectError(w, r, redirect, "query", state, e)
		return
	}
	p := &pendingPrompt{admin: true, tenant: seg, app: app, params: q, redirect: redirect, expires: id.now().Add(15 * time.Minute)}
	id.mu.Lock()
	auto := id.autoSignIn
	id.mu.Unlock()
	if auto != "" {
		u, ok := id.findUser(auto)
		if !ok {
			s.redirectError(w, r, redirect, "query", state, errLoginRequired())
			return
		}
		s.finishAdminConsent(w, r, p, u)
		return
	}
	s.showPrompt(w, r, p)
}

// handleAdminConsentDecision is the admin consent page's form post.
func (s *Server) handleAdminConsentDecision(w http.ResponseWriter, r *http.Request) {
	p, u, ok := s.decision(w, r, true)
	if !ok {
		return
	}
	s.finishAdminConsent(w, r, p, u)
}

// finishAdminConsent grants tenant-wide consent if u is an administrator (otherwise
// AADSTS90094, admin approval required) and redirects to the app.
func (s *Server) finishAdminConsent(w http.ResponseWriter, r *http.Request, p *pendingPrompt, u User) {
	id := s.identity
	state := p.params.Get("state")
	if !u.Admin {
		e := errAdminApprovalRequired(p.app.Name)
		s.redirectError(w, r, p.redirect, "query", state, e)
		return
	}
	id.SetAdminConsent(p.app.ClientID, true)
	v := url.Values{}
	v.Set("admin_consent", "True")
	v.Set("tenant", id.TenantID())
	if state != "" {
		v.Set("state", state)
	}
	if sc := p.params.Get("scope"); sc != "" {
		v.Set("scope", sc)
	}
	s.sendToApp(w, r, p.redirect, "query", v)
}
