package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Application objects through Graph: create, read, update and delete an app
// registration (https://learn.microsoft.com/en-us/graph/api/resources/application),
// and their rendering in Graph's application shape.

// handleCreateApplication is POST /applications
// (https://learn.microsoft.com/en-us/graph/api/application-post-applications): needs
// Application.ReadWrite.All; any member may register apps by default. 201 with the
// application; displayName is required.
func (s *Server) handleCreateApplication(w http.ResponseWriter, r *http.Request) {
	var in wireApplication
	p, ok := s.callerWithBody(w, r, &in, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	if strings.TrimSpace(in.DisplayName) == "" {
		s.badRequest(w, r, "Property displayName is required.")
		return
	}
	id := s.identity
	now := id.now()
	keys, msg := parseKeyCredentials(in.KeyCredentials, now)
	if msg != "" {
		s.badRequest(w, r, msg)
		return
	}
	if len(in.PasswordCredentials) > 0 {
		s.badRequest(w, r, "Property passwordCredentials is read-only on create; use addPassword.")
		return
	}
	for _, rra := range in.RequiredResourceAccess {
		if !strings.EqualFold(rra.ResourceAppID, graphAppID) {
			s.badRequest(w, r, "The resource application '"+rra.ResourceAppID+"' is not known in this tenant.")
			return
		}
	}
	g := id.dir.reg
	reg := &registration{objectID: newGUID(), created: now, owner: p.UserID, displayName: in.DisplayName,
		signInAudience: in.SignInAudience, required: in.RequiredResourceAccess, creds: &appCredentials{keys: keys}}
	if reg.signInAudience == "" {
		reg.signInAudience = "AzureADandPersonalMicrosoftAccount"
	}
	if in.Web != nil {
		reg.web = in.Web.RedirectURIs
	}
	if in.PublicClient != nil {
		reg.public = in.PublicClient.RedirectURIs
	}
	if in.IsFallbackPublicClient != nil {
		reg.fallbackPublic = *in.IsFallbackPublicClient
	}
	reg.app = &App{ClientID: newGUID(), creds: reg.creds}
	g.mu.Lock()
	reg.spPending = g.spDelay
	tokenDelay := g.tokenDelay
	g.refresh(reg)
	g.apps[strings.ToLower(reg.app.ClientID)] = reg
	out := g.wire(reg)
	g.mu.Unlock()
	if tokenDelay > 0 {
		id.InjectFault(Fault{Kind: FaultAppNotFound, ClientID: reg.app.ClientID, Count: tokenDelay})
	}
	out.OdataContext = s.GraphBaseURL() + "/$metadata#applications/$entity"
	w.Header().Set("Location", s.GraphBaseURL()+"/applications/"+reg.objectID)
	writeJSON(w, http.StatusCreated, out)
}

// wire renders a registration (caller holds g.mu). Secrets and keys are never returned:
// a passwordCredential shows its hint, the secret's first three characters
// (https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential).
func (g *registry) wire(r *registration) wireApplication {
	passwords, keys := r.creds.snapshot()
	fb := r.fallbackPublic
	out := wireApplication{ID: r.objectID, AppID: r.app.ClientID, DisplayName: r.displayName, SignInAudience: r.signInAudience,
		CreatedDateTime: r.created.UTC().Format(time.RFC3339), IsFallbackPublicClient: &fb,
		RequiredResourceAccess: r.required, Web: &wireRedirects{RedirectURIs: nonNil(r.web)},
		PublicClient:   &wireRedirects{RedirectURIs: nonNil(r.public)},
		KeyCredentials: []wireKeyCredential{}, PasswordCredentials: []wirePasswordCredential{}}
	if out.RequiredResourceAccess == nil {
		out.RequiredResourceAccess = []wireRequiredResourceAccess{}
	}
	for _, k := range keys {
		out.KeyCredentials = append(out.KeyCredentials, wireKeyCredential{KeyID: k.keyID, DisplayName: k.displayName,
			Type: "AsymmetricX509Cert", Usage: "Verify", StartDateTime: k.start.UTC().Format(time.RFC3339), EndDateTime: k.end.UTC().Format(time.RFC3339)})
	}
	for _, p := range passwords {
		out.PasswordCredentials = append(out.PasswordCredentials, wirePasswordCredential{KeyID: p.keyID, DisplayName: p.displayName,
			Hint: p.secret[:3], StartDateTime: p.start.UTC().Format(time.RFC3339), EndDateTime: p.end.UTC().Format(time.RFC3339)})
	}
	return out
}

// handleGetApplication is GET /applications/{id} and /applications(appId='{appId}')
// (https://learn.microsoft.com/en-us/graph/api/application-get), for created and
// ready-made apps alike.
func (s *Server) handleGetApplication(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.caller(w, r, "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All"); !ok {
		return
	}
	g := s.identity.dir.reg
	g.mu.Lock()
	reg := g.lookup(r.PathValue("id"))
	var out wireApplication
	if reg != nil {
		out = g.wire(reg)
	}
	g.mu.Unlock()
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePatchApplication is PATCH /applications/{id}
// (https://learn.microsoft.com/en-us/graph/api/application-update): keyCredentials
// (replaces the whole collection: how a certificate is added or removed without a proof
// of possession), requiredResourceAccess, redirect URIs, displayName. 204.
func (s *Server) handlePatchApplication(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	p, ok := s.callerWithBody(w, r, &raw, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	changed := false
	s.changeApp(w, r, p, func(g *registry, reg *registration) {
		if msg := s.patchApplication(reg, raw); msg != "" {
			s.badRequest(w, r, msg)
			return
		}
		g.refresh(reg)
		changed = true
	})
	if changed {
		s.credentialsChanged() // before the answer: a client that saw 204 may restart the tenant
		w.WriteHeader(http.StatusNoContent)
	}
}

// patchApplication applies the properties of a PATCH body to reg, in order, and stops
// at the first invalid one with the message to answer (caller holds g.mu).
func (s *Server) patchApplication(reg *registration, raw map[string]json.RawMessage) string {
	field := func(name string) (json.RawMessage, bool) {
		for k, v := range raw {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	if v, ok := field("keyCredentials"); ok {
		var in []wireKeyCredential
		if json.Unmarshal(v, &in) != nil {
			return "Invalid value specified for property 'keyCredentials' of resource 'Application'."
		}
		keys, msg := parseKeyCredentials(in, s.identity.now())
		if msg != "" {
			return msg
		}
		reg.creds.setKeys(keys)
	}
	if v, ok := field("requiredResourceAccess"); ok {
		var in []wireRequiredResourceAccess
		if json.Unmarshal(v, &in) != nil {
			return "Invalid value specified for property 'requiredResourceAccess'."
		}
		reg.required = in
	}
	if v, ok := field("displayName"); ok {
		_ = json.Unmarshal(v, &reg.displayName)
	}
	return ""
}

// handleDeleteApplication is DELETE /applications/{id}
// (https://learn.microsoft.com/en-us/graph/api/application-delete): 204; the app's
// service principal, its app role assignments and grants go with it, and its tokens
// stop working. A ready-made app leaves the practice tenant's list too (until the next
// start, which builds it again from the seed).
func (s *Server) handleDeleteApplication(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var clientID string
	readyMade := false
	deleted := s.changeApp(w, r, p, func(g *registry, reg *registration) {
		clientID, readyMade = reg.app.ClientID, reg.readyMade
		delete(g.apps, strings.ToLower(clientID))
	})
	if !deleted {
		return
	}
	if readyMade { // outside the registry's lock: appByID takes the apps' lock first
		s.identity.dir.removeApp(clientID)
	}
	s.credentialsChanged()
	s.identity.RevokeTokens(clientID)
	w.WriteHeader(http.StatusNoContent)
}
