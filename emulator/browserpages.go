package emulator

import (
	"html/template"
	"net/http"
)

// The HTML pages the practice tenant's sign-in service shows in the browser: the
// sign-in and consent prompt, the error page for what cannot be sent to the app, and
// the auto-submitting form of response_mode=form_post.

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
