package emulator

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// pendingPrompt is a sign-in/consent page waiting for the person's Accept or Cancel.
type pendingPrompt struct {
	admin    bool // admin consent rather than authorize
	tenant   string
	app      *App
	params   url.Values
	scopes   []string // normalised delegated scopes (authorize)
	oidc     []string
	redirect string
	expires  time.Time
}

// redirectAllowed applies Microsoft's redirect URI matching: exact match, except that
// for loopback URIs (http://localhost, http://127.0.0.1) the port is ignored and
// either loopback name matches; [::1] is not supported.
// https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
func redirectAllowed(app *App, uri string) bool {
	if uri == "" {
		return false
	}
	req, err := url.Parse(uri)
	if err != nil || req.Fragment != "" {
		return false
	}
	for _, reg := range app.RedirectURIs {
		if reg == uri {
			return true
		}
		ru, err := url.Parse(reg)
		if err != nil {
			continue
		}
		if req.Scheme == "http" && ru.Scheme == "http" && isLoopbackName(req.Hostname()) && isLoopbackName(ru.Hostname()) &&
			strings.TrimSuffix(req.Path, "/") == strings.TrimSuffix(ru.Path, "/") && req.RawQuery == ru.RawQuery {
			return true
		}
	}
	return false
}

func isLoopbackName(h string) bool { return strings.EqualFold(h, "localhost") || h == "127.0.0.1" }

// handleAuthorize is GET /{tenant}/oauth2/v2.0/authorize
// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code).
// Errors that cannot be trusted to the redirect URI (unknown tenant or app, unregistered
// redirect URI) are shown as a page; all others are sent to the app's redirect URI as
// error/error_description/state, as documented on the same page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	now := id.now()
	q := r.URL.Query()
	seg := r.PathValue("tenant")
	kind, terr := id.resolveTenant(seg)
	if terr != nil {
		s.errorPage(w, r, *terr)
		return
	}
	clientID := q.Get("client_id")
	app := id.dir.appByID(clientID)
	if kind == "consumers" {
		s.errorPage(w, r, errConsumers(clientID))
		return
	}
	redirect := q.Get("redirect_uri")
	fault, ok := s.browserAppChecks(w, r, app, clientID, redirect, true)
	if !ok {
		return
	}
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	if mode != "query" && mode != "form_post" && mode != "fragment" {
		e := errMissingParam("response_mode")
		e.Desc = "The provided value for the input parameter 'response_mode' is not valid. Expected values are 'query', 'fragment' or 'form_post'."
		s.errorPage(w, r, e)
		return
	}
	fail := func(e stsError) { s.redirectError(w, r, redirect, mode, q.Get("state"), e) }
	if q.Get("response_type") != "code" {
		fail(errUnsupportedResponseType())
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if app.Public && challenge == "" {
		fail(errPKCERequired())
		return
	}
	if challenge != "" && method != "S256" {
		e := errPKCERequired()
		e.Desc = "The code_challenge_method must be 'S256'."
		fail(e)
		return
	}
	graph, oidc, serr := normaliseScopes(app, q.Get("scope"))
	if serr != nil {
		fail(*serr)
		return
	}
	if len(graph) == 0 && len(oidc) == 0 {
		fail(errMissingParam("scope"))
		return
	}
	if fault != nil {
		e := s.faultError(fault, app, "")
		if fault.Kind == FaultConsentMissing {
			e = errConsentRequired(app.ClientID, app.Name)
		} else if e.Error != "access_denied" {
			e.Error = "access_denied"
		}
		fail(e)
		return
	}
	p := &pendingPrompt{tenant: seg, app: app, params: q, scopes: graph, oidc: oidc, redirect: redirect, expires: now.Add(15 * time.Minute)}

	id.mu.Lock()
	auto := id.autoSignIn
	id.mu.Unlock()
	hint := q.Get("login_hint")
	prompt := q.Get("prompt")
	if prompt == "none" || auto != "" {
		who := hint
		if who == "" {
			who = auto
		}
		if who == "" {
			fail(errLoginRequired())
			return
		}
		u, ok := id.findUser(who)
		if !ok {
			e := errLoginRequired()
			e.Code, e.Desc = 50034, "The user account {EUII Hidden} does not exist in the "+id.TenantID()+" directory. To sign into this application, the account must be added to the directory."
			fail(e)
			return
		}
		if !id.consentedFor(app, u.ID) {
			if prompt == "none" {
				fail(errConsentRequired(app.ClientID, app.Name))
				return
			}
			if !id.userMayConsent(app, graph, u.ID) {
				fail(errAdminApprovalRequired(app.Name))
				return
			}
			id.grantUserConsent(app, u.ID)
		}
		s.issueCode(w, r, p, u)
		return
	}
	s.showPrompt(w, r, p)
}

// grantUserConsent records a user's own consent to a delegated app.
func (id *Identity) grantUserConsent(app *App, userID string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.userConsent[strings.ToLower(app.ClientID)+"|"+userID] = true
}

// issueCode creates a single-use authorization code and sends it to the app.
// browserAppChecks answers, on Entra's own error page (never redirected to the app),
// what the sign-in and admin-consent pages refuse before anything else: an unknown app,
// an app or tenant fault, a redirect URI that is not registered (AADSTS50011). It
// returns the fault still to apply, and ok=false when the page was written.
func (s *Server) browserAppChecks(w http.ResponseWriter, r *http.Request, app *App, clientID, redirect string, delegated bool) (*Fault, bool) {
	if app == nil {
		s.errorPage(w, r, errAppNotFound(clientID, s.identity.TenantID()))
		return nil, false
	}
	fault := s.identity.takeFault(stageBrowser, app.ClientID, false, delegated)
	if fault != nil {
		switch fault.Kind {
		case FaultAppNotFound, FaultUnknownTenant:
			s.errorPage(w, r, s.faultError(fault, app, ""))
			return nil, false
		case FaultRedirectMismatch:
			s.errorPage(w, r, errRedirectMismatch(redirect, app.ClientID))
			return nil, false
		}
	}
	if !redirectAllowed(app, redirect) {
		s.errorPage(w, r, errRedirectMismatch(redirect, app.ClientID))
		return nil, false
	}
	return fault, true
}

func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, p *pendingPrompt, u User) {
	id := s.identity
	code := randomToken(48)
	scopes := append(slices.Clone(p.scopes), p.oidc...)
	id.mu.Lock()
	now := id.now()
	for k, c := range id.codes {
		if now.After(c.expires.Add(time.Hour)) {
			delete(id.codes, k)
		}
	}
	id.codes[code] = &authCode{
		clientID: p.app.ClientID, userID: u.ID, redirectURI: p.redirect, scopes: scopes,
		challenge: p.params.Get("code_challenge"), nonce: p.params.Get("nonce"),
		expires: now.Add(authCodeLifetime), seq: id.nextSeq(), requestedOIDC: slices.Contains(p.oidc, "openid"),
	}
	id.mu.Unlock()
	v := url.Values{}
	v.Set("code", code)
	if st := p.params.Get("state"); st != "" {
		v.Set("state", st)
	}
	v.Set("session_state", newGUID())
	mode := p.params.Get("response_mode")
	s.sendToApp(w, r, p.redirect, mode, v)
}

// sendToApp delivers parameters to the app's redirect URI: a 302 with a query string
// (or fragment), or an auto-submitting form for response_mode=form_post.
func (s *Server) sendToApp(w http.ResponseWriter, r *http.Request, redirect, mode string, v url.Values) {
	switch mode {
	case "form_post":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = s.pages.formPost.Execute(w, struct {
			Action string
			Fields url.Values
		}{redirect, v})
	case "fragment":
		http.Redirect(w, r, redirect+"#"+v.Encode(), http.StatusFound)
	default:
		u, _ := url.Parse(redirect)
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
}

// redirectError sends an error to the app's redirect URI (state echoed).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirect, mode, state string, e stsError) {
	v := e.redirectQuery(r, s.identity.now())
	if state != "" {
		v.Set("state", state)
	}
	s.sendToApp(w, r, redirect, mode, v)
}

// errorPage shows an error that cannot be sent to the app (as the STS's
// "Sorry, but we're having trouble signing you in" page does).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e stsError) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	b := e.body(r, s.identity.now())
	_ = s.pages.errorPage.Execute(w, struct {
		Code    int
		Message string
		Trace   string
		Corr    string
		Time    string
	}{e.Code, e.Desc, b.TraceID, b.CorrelationID, b.Timestamp})
}

// showPrompt renders the sign-in and consent page with Accept / Cancel.
func (s *Server) showPrompt(w http.ResponseWriter, r *http.Request, p *pendingPrompt) {
	id := s.identity
	key := randomToken(24)
	id.mu.Lock()
	now := id.now()
	for k, pp := range id.pending {
		if now.After(pp.expires) {
			delete(id.pending, k)
		}
	}
	id.pending[key] = p
	id.mu.Unlock()
	perms := p.scopes
	if p.admin {
		perms = id.grantedRoles(p.app) // under the lock: AddAppRoles/RemoveAppRoles may change them (grants.go)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = s.pages.prompt.Execute(w, struct {
		Admin      bool
		Tenant     string
		App        string
		Perms      []string
		Users      []User
		Prompt     string
		Action     string
		LoginHint  string
		TenantName string
	}{p.admin, id.TenantDomain(), p.app.Name, perms, id.Users(), key, r.URL.Path, p.params.Get("login_hint"), id.dir.tenantName})
}

// takePending removes and returns a pending prompt.
func (id *Identity) takePending(key string, admin bool) *pendingPrompt {
	id.mu.Lock()
	defer id.mu.Unlock()
	p := id.pending[key]
	delete(id.pending, key)
	if p == nil || p.admin != admin || id.now().After(p.expires) {
		return nil
	}
	return p
}

// handleAuthorizeDecision is the page's form post: Accept signs the chosen user in
// (and records their consent), Cancel sends AADSTS65004 access_denied to the app.
func (s *Server) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := id.takePending(r.PostForm.Get("prompt"), false)
	if p == nil {
		s.errorPage(w, r, errBadGrant("sign-in session (it expired or was already used)"))
		return
	}
	mode := p.params.Get("response_mode")
	if r.PostForm.Get("action") != "accept" {
		s.redirectError(w, r, p.redirect, mode, p.params.Get("state"), errConsentDeclined())
		return
	}
	u, ok := id.findUser(r.PostForm.Get("user"))
	if !ok {
		s.errorPage(w, r, errLoginRequired())
		return
	}
	if !id.consentedFor(p.app, u.ID) {
		if !id.userMayConsent(p.app, p.scopes, u.ID) {
			s.redirectError(w, r, p.redirect, mode, p.params.Get("state"), errAdminApprovalRequired(p.app.Name))
			return
		}
		id.grantUserConsent(p.app, u.ID)
	}
	s.issueCode(w, r, p, u)
}

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
	id := s.identity
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := id.takePending(r.PostForm.Get("prompt"), true)
	if p == nil {
		s.errorPage(w, r, errBadGrant("consent session (it expired or was already used)"))
		return
	}
	if r.PostForm.Get("action") != "accept" {
		s.redirectError(w, r, p.redirect, "query", p.params.Get("state"), errConsentDeclined())
		return
	}
	u, ok := id.findUser(r.PostForm.Get("user"))
	if !ok {
		s.errorPage(w, r, errLoginRequired())
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

const formPostHTML = `<!DOCTYPE html>
<html><head><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" action="{{.Action}}">
{{range $k, $vs := .Fields}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form></body></html>`

const errorPageHTML = `<!DOCTYPE html>
<html><head><title>Sign in to your account</title>
<style>body{font-family:Segoe UI,Helvetica,Arial,sans-serif;max-width:36em;margin:3em auto;color:#1b1b1b}code{background:#f3f3f3;padding:2px 4px}</style></head>
<body><h1>Sorry, but we're having trouble signing you in.</h1>
<p><b>AADSTS{{.Code}}:</b> {{.Message}}</p>
<p><small>Practice tenant (emulated). Request Id: {{.Trace}}<br>Correlation Id: {{.Corr}}<br>Timestamp: {{.Time}}</small></p>
</body></html>`

const promptPageHTML = `<!DOCTYPE html>
<html><head><title>{{if .Admin}}Permissions requested - review for your organization{{else}}Sign in to your account{{end}}</title>
<style>body{font-family:Segoe UI,Helvetica,Arial,sans-serif;max-width:32em;margin:3em auto;color:#1b1b1b}
.box{border:1px solid #ccc;padding:1.5em 2em;box-shadow:0 2px 6px rgba(0,0,0,.2)}button{padding:.5em 2em;margin-right:1em}
.accept{background:#0067b8;color:#fff;border:none}.note{color:#666;font-size:.85em}</style></head>
<body><div class="box">
<p class="note">{{.TenantName}} &middot; practice tenant (emulated Microsoft Entra ID)</p>
<h2>{{if .Admin}}Permissions requested<br><small>Accept for your organization</small>{{else}}Permissions requested{{end}}</h2>
<p><b>{{.App}}</b> would like to:</p>
<ul>{{range .Perms}}<li>{{.}}</li>{{end}}</ul>
<form method="POST" action="{{.Action}}">
<input type="hidden" name="prompt" value="{{.Prompt}}">
<p><label>Sign in as <select name="user">{{range .Users}}<option value="{{.ID}}"{{if eq .Address $.LoginHint}} selected{{end}}>{{.DisplayName}} &lt;{{.Address}}&gt;{{if .Admin}} (Global Administrator){{end}}</option>{{end}}</select></label></p>
<p class="note">{{if .Admin}}Only a Global Administrator can grant consent on behalf of the organization.{{else}}Accepting lets the app act as the chosen user with the permissions above.{{end}}</p>
<button class="accept" name="action" value="accept" type="submit">Accept</button>
<button name="action" value="cancel" type="submit">Cancel</button>
</form></div></body></html>`

// pages holds the parsed HTML templates of the browser-facing pages.
type pages struct {
	formPost, errorPage, prompt *template.Template
}

func newPages() pages {
	return pages{
		formPost:  template.Must(template.New("formpost").Parse(formPostHTML)),
		errorPage: template.Must(template.New("error").Parse(errorPageHTML)),
		prompt:    template.Must(template.New("prompt").Parse(promptPageHTML)),
	}
}
