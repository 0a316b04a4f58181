package emulator

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The device authorization grant, for sign-ins where no browser can be opened here
// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code):
// POST /{tenant}/oauth2/v2.0/devicecode gives a user_code and verification_uri; the
// person enters the code on the verification page (on any device) and signs in; the app
// polls the token endpoint with grant_type urn:ietf:params:oauth:grant-type:device_code
// and gets authorization_pending until then, authorization_declined when the person
// cancels, expired_token after expires_in.

const deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

// deviceCodeLifetime is expires_in (Microsoft answers 900 s); the practice tenant asks
// for polls every second (Microsoft: 5) so tests and the practice run stay quick.
const (
	deviceCodeLifetime = 15 * time.Minute
	deviceCodeInterval = 1
)

// deviceCode is one pending device sign-in.
type deviceCode struct {
	clientID string
	userCode string
	scopes   []string
	oidc     []string
	expires  time.Time
	userID   string // set when the person signed in
	declined bool
	redeemed bool
}

// handleDeviceCode is POST /{tenant}/oauth2/v2.0/devicecode (client_id, scope).
func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	now := id.now()
	if err := r.ParseForm(); err != nil {
		errMissingParam("client_id").write(w, r, now)
		return
	}
	if _, terr := id.resolveTenant(r.PathValue("tenant")); terr != nil {
		terr.write(w, r, now)
		return
	}
	clientID := r.PostForm.Get("client_id")
	app := id.dir.appByID(clientID)
	if app == nil {
		errAppNotFound(clientID, id.TenantID()).write(w, r, now)
		return
	}
	if !app.Public {
		errConfidentialNoCredential().write(w, r, now)
		return
	}
	if fl := id.takeFault(stageToken, app.ClientID, false, true); fl != nil {
		s.faultError(fl, app, "").write(w, r, now)
		return
	}
	graph, oidc, serr := normaliseScopes(app, r.PostForm.Get("scope"))
	if serr != nil {
		serr.write(w, r, now)
		return
	}
	device := randomToken(32)
	user := strings.ToUpper(randomToken(9))[:9]
	dc := &deviceCode{clientID: app.ClientID, userCode: user, scopes: graph, oidc: oidc, expires: now.Add(deviceCodeLifetime)}
	id.mu.Lock()
	auto := id.autoSignIn
	id.mu.Unlock()
	if auto != "" {
		if u, ok := id.findUser(auto); ok {
			if id.consentAsUser(app, graph, u.ID) == nil {
				dc.userID = u.ID
			} else {
				dc.declined = true
			}
		}
	}
	g := id.dir.reg
	g.mu.Lock()
	if g.devices == nil {
		g.devices = map[string]*deviceCode{}
	}
	g.devices[device] = dc
	g.mu.Unlock()
	verify := s.BrowserAuthorityHost() + "devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{"device_code": device, "user_code": user, "verification_uri": verify,
		"expires_in": int(deviceCodeLifetime.Seconds()), "interval": deviceCodeInterval,
		"message": "To sign in, use a web browser to open the page " + verify + " and enter the code " + user + " to authenticate."})
}

// grantDeviceCode answers a device code poll.
func (s *Server) grantDeviceCode(w http.ResponseWriter, r *http.Request, app *App, auth clientAuth) {
	id := s.identity
	now := id.now()
	code := r.PostForm.Get("device_code")
	g := id.dir.reg
	g.mu.Lock()
	dc := g.devices[code]
	var e *stsError
	switch {
	case dc == nil || !strings.EqualFold(dc.clientID, app.ClientID) || dc.redeemed:
		e = new(stsError{Status: 400, Error: "bad_verification_code", Code: 70000, Desc: "The device code is not valid."})
	case now.After(dc.expires):
		e = new(stsError{Status: 400, Error: "expired_token", Code: 70020, Desc: "The provided value for the input parameter 'device_code' is not valid. This device code has expired."})
	case dc.declined:
		e = new(stsError{Status: 400, Error: "authorization_declined", Code: 70000, Desc: "The user declined the sign-in request."})
	case dc.userID == "":
		e = new(stsError{Status: 400, Error: "authorization_pending", Code: 70016, Desc: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."})
	default:
		dc.redeemed = true
	}
	var got deviceCode
	if dc != nil {
		got = *dc
	}
	g.mu.Unlock()
	if e != nil {
		e.write(w, r, now)
		return
	}
	s.issueDelegated(w, r, app, auth, redeemed{kind: "device code", userID: got.userID, scopes: append(got.scopes, got.oidc...), wantID: slices.Contains(got.oidc, "openid")})
}

// deviceLoginPage is the verification page's template.
func deviceLoginPage() *template.Template {
	return template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html><head><title>Enter code</title></head><body><h1>Enter code</h1>
<p>Practice tenant (emulated): enter the code shown by the app, then choose who signs in.</p>
<form method="POST" action="/devicelogin">
<p><input name="code" autofocus></p>
<p><select name="user">{{range .}}<option value="{{.ID}}">{{.DisplayName}} &lt;{{.Address}}&gt;</option>{{end}}</select></p>
<p><button name="action" value="accept">Sign in</button> <button name="action" value="cancel">Cancel</button></p>
</form></body></html>`))
}

// handleDeviceLogin is the verification page (GET shows it, POST signs in or declines).
func (s *Server) handleDeviceLogin(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = deviceLoginPage().Execute(w, id.Users())
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("code")))
	u, ok := id.findUser(r.PostForm.Get("user"))
	g := id.dir.reg
	g.mu.Lock()
	var dc *deviceCode
	for _, d := range g.devices {
		if d.userCode == code && !d.redeemed && id.now().Before(d.expires) {
			dc = d
		}
	}
	if dc != nil {
		if r.PostForm.Get("action") != "accept" || !ok {
			dc.declined = true
		} else {
			dc.userID = u.ID
		}
	}
	accepted := dc != nil && !dc.declined
	g.mu.Unlock()
	if dc == nil {
		s.errorPage(w, r, stsError{Code: 70000, Desc: "The code you entered has expired or is not valid."})
		return
	}
	if app := id.dir.appByID(dc.clientID); app != nil && accepted && id.consentAsUser(app, dc.scopes, u.ID) != nil {
		g.mu.Lock()
		dc.userID, dc.declined = "", true
		g.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!DOCTYPE html><html><body><p>You can close this window and return to the app.</p></body></html>"))
}
