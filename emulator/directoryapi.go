package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/m365connect/m365connect/emulator/graphmail"
)

// The practice tenant's directory API under /v1.0 (applications, service principals,
// permission grants, /me/memberOf): its routes and what every handler shares — the
// caller's permission and role checks, Graph's error bodies, the JSON request body and
// finding the application a request names. The handlers live in applicationsapi.go,
// credentialsapi.go, serviceprincipalsapi.go, grantsapi.go and directoryroles.go.

// directoryRoutes serves the directory endpoints under /v1.0 and hands everything else
// to next (the mail surface). The caller is already validated by graphGate.
func (s *Server) directoryRoutes(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/applications", s.handleCreateApplication)
	mux.HandleFunc("GET /v1.0/applications/{id}", s.handleGetApplication)
	mux.HandleFunc("PATCH /v1.0/applications/{id}", s.handlePatchApplication)
	mux.HandleFunc("DELETE /v1.0/applications/{id}", s.handleDeleteApplication)
	mux.HandleFunc("POST /v1.0/applications/{id}/addPassword", s.handleAddPassword)
	mux.HandleFunc("POST /v1.0/applications/{id}/removePassword", s.handleRemovePassword)
	mux.HandleFunc("POST /v1.0/servicePrincipals", s.handleCreateServicePrincipal)
	mux.HandleFunc("GET /v1.0/servicePrincipals", s.handleListServicePrincipals)
	mux.HandleFunc("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.handleAppRoleAssignedTo)
	mux.HandleFunc("POST /v1.0/oauth2PermissionGrants", s.handleCreateGrant)
	mux.HandleFunc("GET /v1.0/me/memberOf", s.handleMemberOf)
	mux.Handle("/", next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /applications(appId='{appId}') addresses an application by its appId
		// (https://learn.microsoft.com/en-us/graph/api/application-get).
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/applications(appId='"); ok {
			if appID, tail, ok := strings.Cut(rest, "')"); ok {
				r.URL.Path = "/v1.0/applications/" + appID + tail
				r.URL.RawPath = ""
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// dirError answers Graph's error body, with one details entry when detail is set (as
// Entra's directory errors carry, e.g. NoBackingApplicationObject).
// https://learn.microsoft.com/en-us/graph/errors#json-representation
func (s *Server) dirError(w http.ResponseWriter, r *http.Request, status int, code, msg, detail, target string) {
	reqID := newGUID()
	body := map[string]any{"code": code, "message": msg, "innerError": map[string]string{
		"date": s.identity.now().UTC().Format("2006-01-02T15:04:05"), "request-id": reqID, "client-request-id": reqID}}
	if detail != "" {
		body["details"] = []map[string]string{{"code": detail, "message": msg, "target": target}}
	}
	w.Header().Set("request-id", reqID)
	writeJSON(w, status, map[string]any{"error": body})
}

// denied is the 403 Graph answers when the caller's permissions or directory role do
// not allow the operation.
func (s *Server) denied(w http.ResponseWriter, r *http.Request) {
	s.dirError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "", "")
}

// caller checks the token's permissions: a delegated caller needs one of scopes, an
// app-only caller one of the same names as roles. It answers 403 itself.
func (s *Server) caller(w http.ResponseWriter, r *http.Request, scopes ...string) (graphmail.Principal, bool) {
	p, ok := graphmail.PrincipalFrom(r.Context())
	if !ok {
		s.denied(w, r)
		return p, false
	}
	have := p.Scopes
	if p.AppOnly {
		have = p.Roles
	}
	for _, want := range scopes {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, want) }) {
			return p, true
		}
	}
	s.denied(w, r)
	return p, false
}

// callerWithBody checks the caller's permissions (as caller does) and then reads the
// JSON body into in, answering 403 or 400 itself.
func (s *Server) callerWithBody(w http.ResponseWriter, r *http.Request, in any, scopes ...string) (graphmail.Principal, bool) {
	p, ok := s.caller(w, r, scopes...)
	if !ok {
		return p, false
	}
	if !decode(r, in) {
		s.badRequest(w, r, "Invalid JSON in the request body.")
		return p, false
	}
	return p, true
}

// hasRole reports whether a delegated caller holds one of roles (app-only callers are
// judged by their permissions alone).
func (s *Server) hasRole(p graphmail.Principal, roles ...string) bool {
	if p.AppOnly {
		return true
	}
	for _, have := range s.identity.DirectoryRoles(p.UserID) {
		if slices.Contains(roles, have) {
			return true
		}
	}
	return false
}

// decode reads a JSON body (1 MiB at most); keys match case-insensitively.
func decode(r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, msg string) {
	s.dirError(w, r, http.StatusBadRequest, "Request_BadRequest", msg, "", "")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, id string) {
	s.dirError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.", "", "")
}

// lookup finds a registration by object id or appId (caller holds g.mu).
func (g *registry) lookup(id string) *registration {
	id = strings.TrimSuffix(strings.TrimPrefix(id, "(appId='"), "')")
	if r := g.apps[strings.ToLower(id)]; r != nil {
		return r
	}
	for _, r := range g.apps {
		if strings.EqualFold(r.objectID, id) {
			return r
		}
	}
	return nil
}

// appAdmin reports whether the caller is an Application, Cloud Application or Global
// Administrator, who may change any app
// (https://learn.microsoft.com/en-us/graph/api/application-update). Call it before
// taking the registry's lock: DirectoryRoles takes it.
func (s *Server) appAdmin(p graphmail.Principal) bool {
	return s.hasRole(p, RoleGlobalAdministrator, RoleApplicationAdministrator, RoleCloudApplicationAdministrator)
}

// mayManage: the owner (creator) of the app, or an administrator (admin, from
// appAdmin), may change it (caller holds g.mu). The ready-made practice apps have no
// owner: only an administrator (or an app holding Application.ReadWrite.All) may.
// https://learn.microsoft.com/en-us/graph/api/application-addpassword#permissions
func mayManage(p graphmail.Principal, admin bool, reg *registration) bool {
	return p.AppOnly || (reg.owner != "" && p.UserID == reg.owner) || admin
}

// changeApp runs change on the application the path names, under the registry's lock,
// if the caller may change it; otherwise it answers 404 or 403. It reports whether
// change ran.
func (s *Server) changeApp(w http.ResponseWriter, r *http.Request, p graphmail.Principal, change func(g *registry, reg *registration)) bool {
	admin := s.appAdmin(p)
	g := s.identity.dir.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	reg := g.lookup(r.PathValue("id"))
	if reg == nil {
		s.notFound(w, r, r.PathValue("id"))
		return false
	}
	if !mayManage(p, admin, reg) {
		s.denied(w, r)
		return false
	}
	change(g, reg)
	return true
}
