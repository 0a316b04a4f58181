package emulator

import (
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
)

// handleOpenIDConfig serves the OpenID Connect discovery document. Shape:
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
// (and https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration).
// MSAL Go needs authorization_endpoint, token_endpoint and an issuer whose scheme and
// host match the authority host.
func (s *Server) handleOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	seg := r.PathValue("tenant")
	kind, terr := s.identity.resolveTenant(seg)
	// An unknown tenant is answered as login.microsoftonline.com answers it: HTTP 400,
	// error "invalid_tenant", error_description "AADSTS90002: Tenant '…' not found. …"
	// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes#aadsts-error-codes).
	// The wizard's "Test these values" and the Consent step read it before any browser opens.
	if terr != nil {
		terr.Error = "invalid_tenant"
		terr.write(w, r, now)
		return
	}
	if kind == "tenant" && s.identity.takeFault(stageDiscovery, "", false, false) != nil {
		e := errUnknownTenant(seg)
		e.Error = "invalid_tenant"
		e.write(w, r, now)
		return
	}
	base := baseURL(r)
	pathTenant := seg
	issuerTenant := "{tenantid}"
	if kind == "tenant" {
		pathTenant = s.identity.TenantID()
		issuerTenant = pathTenant
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + pathTenant + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + pathTenant + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                base + pathTenant + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + pathTenant + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + pathTenant + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":                     base + pathTenant + "/kerberos",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

// handleInstanceDiscovery answers MSAL's instance discovery
// (GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...), shape as
// https://login.microsoftonline.com/common/discovery/instance answers it; see
// https://learn.microsoft.com/en-us/entra/identity-platform/msal-net-instance-discovery .
func (s *Server) handleInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	base := baseURL(r)
	tenant := "common"
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		// .../{tenant}/oauth2/v2.0/authorize
		parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(ae, "https://"), "http://"), "/")
		if len(parts) > 1 && parts[1] != "" {
			tenant = parts[1]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": base + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

// handleJWKS publishes the token signing key (JSON Web Key Set, RFC 7517) as Entra ID
// does at {tenant}/discovery/v2.0/keys, with kid, x5t and x5c.
// https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-signature
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	id := s.identity
	pub := id.signingKey.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{
		"keys": []map[string]any{{
			"kty":    "RSA",
			"use":    "sig",
			"kid":    id.signingKid,
			"x5t":    id.signingKid,
			"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			"x5c":    []string{base64.StdEncoding.EncodeToString(id.signingDER)},
			"issuer": baseURL(r) + id.TenantID() + "/v2.0",
		}},
	})
}
