package emulator

import (
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
	app, fault, ok := s.authorizeApp(w, r, seg, q)
	if !ok {
		return
	}
	redirect := q.Get("redirect_uri")
	mode, ok := s.responseMode(w, r, q)
	if !ok {
		return
	}
	fail := func(e stsError) { s.redirectError(w, r, redirect, mode, q.Get("state"), e) }
	graph, oidc, e := checkAuthorizeRequest(app, q)
	if e != nil {
		fail(*e)
		return
	}
	if fault != nil {
		fail(s.authorizeFaultError(fault, app))
		return
	}
	p := &pendingPrompt{tenant: seg, app: app, params: q, scopes: graph, oidc: oidc, redirect: redirect, expires: now.Add(15 * time.Minute)}
	u, e, silent := s.signInSilently(app, graph, q)
	switch {
	case !silent:
		s.showPrompt(w, r, p)
	case e != nil:
		fail(*e)
	default:
		s.issueCode(w, r, p, u)
	}
}

// authorizeApp answers, on the error page, what makes an authorize request
// untrustworthy: an unknown tenant, /consumers, an unknown app or an unregistered
// redirect URI (browserAppChecks). It returns the app and the fault still to apply;
// ok=false when the page was written.
func (s *Server) authorizeApp(w http.ResponseWriter, r *http.Request, seg string, q url.Values) (*App, *Fault, bool) {
	id := s.identity
	kind, terr := id.resolveTenant(seg)
	if terr != nil {
		s.errorPage(w, r, *terr)
		return nil, nil, false
	}
	clientID := q.Get("client_id")
	app := id.dir.appByID(clientID)
	if kind == "consumers" {
		s.errorPage(w, r, errConsumers(clientID))
		return nil, nil, false
	}
	fault, ok := s.browserAppChecks(w, r, app, clientID, q.Get("redirect_uri"), true)
	return app, fault, ok
}

// responseMode reads response_mode (query by default; query, fragment or form_post),
// answering an unknown one on the error page (ok=false).
func (s *Server) responseMode(w http.ResponseWriter, r *http.Request, q url.Values) (string, bool) {
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	if mode != "query" && mode != "form_post" && mode != "fragment" {
		e := errMissingParam("response_mode")
		e.Desc = "The provided value for the input parameter 'response_mode' is not valid. Expected values are 'query', 'fragment' or 'form_post'."
		s.errorPage(w, r, e)
		return "", false
	}
	return mode, true
}

// checkAuthorizeRequest checks what the app asked for: response_type=code, a PKCE
// challenge (required of public clients, S256 only) and the scopes, returned as Graph
// permissions and OIDC scopes; the error goes to the app's redirect URI.
func checkAuthorizeRequest(app *App, q url.Values) (graph, oidc []string, e *stsError) {
	if q.Get("response_type") != "code" {
		return nil, nil, new(errUnsupportedResponseType())
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if app.Public && challenge == "" {
		return nil, nil, new(errPKCERequired())
	}
	if challenge != "" && method != "S256" {
		x := errPKCERequired()
		x.Desc = "The code_challenge_method must be 'S256'."
		return nil, nil, &x
	}
	graph, oidc, e = normaliseScopes(app, q.Get("scope"))
	if e != nil {
		return nil, nil, e
	}
	if len(graph) == 0 && len(oidc) == 0 {
		return nil, nil, new(errMissingParam("scope"))
	}
	return graph, oidc, nil
}

// authorizeFaultError is the error a switched-on fault sends to the app from the
// authorize endpoint: consent_required for missing consent, else access_denied.
func (s *Server) authorizeFaultError(fault *Fault, app *App) stsError {
	e := s.faultError(fault, app, "")
	if fault.Kind == FaultConsentMissing {
		e = errConsentRequired(app.ClientID, app.Name)
	} else if e.Error != "access_denied" {
		e.Error = "access_denied"
	}
	return e
}

// signInSilently signs a user in without a page, for prompt=none and for the practice
// tenant's automatic sign-in (SetAutoSignIn): the login_hint's user, else the automatic
// one, if they exist and have consented or may consent now. silent=false means the
// sign-in page is needed; e is the error to send to the app.
func (s *Server) signInSilently(app *App, graph []string, q url.Values) (u User, e *stsError, silent bool) {
	id := s.identity
	id.mu.Lock()
	auto := id.autoSignIn
	id.mu.Unlock()
	prompt := q.Get("prompt")
	if prompt != "none" && auto == "" {
		return User{}, nil, false
	}
	who := q.Get("login_hint")
	if who == "" {
		who = auto
	}
	if who == "" {
		return User{}, new(errLoginRequired()), true
	}
	u, ok := id.findUser(who)
	if !ok {
		x := errLoginRequired()
		x.Code, x.Desc = 50034, "The user account {EUII Hidden} does not exist in the "+id.TenantID()+" directory. To sign into this application, the account must be added to the directory."
		return User{}, &x, true
	}
	if prompt == "none" && !id.consentedFor(app, u.ID) {
		return User{}, new(errConsentRequired(app.ClientID, app.Name)), true
	}
	if e := id.consentAsUser(app, graph, u.ID); e != nil {
		return User{}, e, true
	}
	return u, nil, true
}

// consentAsUser makes sure a user has consented to app: already, or now by their own
// consent if they may give it (otherwise AADSTS90094, admin approval required).
func (id *Identity) consentAsUser(app *App, scopes []string, userID string) *stsError {
	if id.consentedFor(app, userID) {
		return nil
	}
	if !id.userMayConsent(app, scopes, userID) {
		return new(errAdminApprovalRequired(app.Name))
	}
	id.grantUserConsent(app, userID)
	return nil
}

// grantUserConsent records a user's own consent to a delegated app.
func (id *Identity) grantUserConsent(app *App, userID string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.userConsent[strings.ToLower(app.ClientID)+"|"+userID] = true
}

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

// issueCode creates a single-use authorization code and sends it to the app.
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
	p, u, ok := s.decision(w, r, false)
	if !ok {
		return
	}
	if e := s.identity.consentAsUser(p.app, p.scopes, u.ID); e != nil {
		s.redirectError(w, r, p.redirect, p.params.Get("response_mode"), p.params.Get("state"), *e)
		return
	}
	s.issueCode(w, r, p, u)
}

// decision reads the Accept / Cancel post of the sign-in page (admin=false) or the
// admin consent page: the pending prompt and the chosen user. A bad form, an expired
// or replayed prompt, Cancel (AADSTS65004 to the app) and an unknown user are answered
// here, with ok=false.
func (s *Server) decision(w http.ResponseWriter, r *http.Request, admin bool) (*pendingPrompt, User, bool) {
	id := s.identity
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, User{}, false
	}
	p := id.takePending(r.PostForm.Get("prompt"), admin)
	if p == nil {
		what := "sign-in session (it expired or was already used)"
		if admin {
			what = "consent session (it expired or was already used)"
		}
		s.errorPage(w, r, errBadGrant(what))
		return nil, User{}, false
	}
	if r.PostForm.Get("action") != "accept" {
		mode := p.params.Get("response_mode")
		if admin {
			mode = "query"
		}
		s.redirectError(w, r, p.redirect, mode, p.params.Get("state"), errConsentDeclined())
		return nil, User{}, false
	}
	u, ok := id.findUser(r.PostForm.Get("user"))
	if !ok {
		s.errorPage(w, r, errLoginRequired())
		return nil, User{}, false
	}
	return p, u, true
}
