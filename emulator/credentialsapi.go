package emulator

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// An application's credentials through Graph — created and ready-made apps alike
// (appcredentials.go holds them): client secrets added and removed with addPassword /
// removePassword, certificates given as keyCredentials on create or PATCH. Checking
// them at the token endpoint is clientauth.go's part.

// parseKeyCredentials turns keyCredentials of a request into certificates. Only
// AsymmetricX509Cert / Verify keys are accepted, key = base64 of the certificate.
func parseKeyCredentials(in []wireKeyCredential, now time.Time) ([]keyCred, string) {
	var out []keyCred
	for _, k := range in {
		if !strings.EqualFold(k.Type, "AsymmetricX509Cert") || !strings.EqualFold(k.Usage, "Verify") || k.Key == nil {
			return nil, "Invalid value specified for property 'keyCredentials' of resource 'Application'."
		}
		der, err := base64.StdEncoding.DecodeString(*k.Key)
		if err != nil {
			return nil, "Invalid value specified for property 'key' of resource 'keyCredential'."
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, "Key credential is not a valid X509 certificate."
		}
		id := k.KeyID
		if id == "" {
			id = newGUID()
		}
		out = append(out, newKeyCred(id, k.DisplayName, cert))
	}
	_ = now
	return out, ""
}

// handleAddPassword is POST /applications/{id}/addPassword
// (https://learn.microsoft.com/en-us/graph/api/application-addpassword): 200 with the
// passwordCredential whose secretText is shown this once; endDateTime defaults to
// start + 2 years. A tenant app management policy may refuse the lifetime: 400
// CredentialInvalidLifetimeAsPerAppPolicy with an InvalidKeyEndDate detail, as Graph
// answers ("Credential lifetime exceeds the max value allowed as per assigned policy").
func (s *Server) handleAddPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PasswordCredential wirePasswordCredential `json:"passwordCredential"`
	}
	p, ok := s.callerWithBody(w, r, &in, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	now := s.identity.now()
	start, end := now, now.AddDate(2, 0, 0)
	if t, err := time.Parse(time.RFC3339, in.PasswordCredential.StartDateTime); err == nil {
		start = t
	}
	if t, err := time.Parse(time.RFC3339, in.PasswordCredential.EndDateTime); err == nil {
		end = t
	} else if in.PasswordCredential.EndDateTime != "" {
		s.badRequest(w, r, "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.")
		return
	}
	var answer map[string]any
	s.changeApp(w, r, p, func(g *registry, reg *registration) {
		if g.maxPwdLife > 0 && end.Sub(start) > g.maxPwdLife {
			s.dirError(w, r, http.StatusBadRequest, "CredentialInvalidLifetimeAsPerAppPolicy",
				"Credential lifetime exceeds the max value allowed as per assigned policy '"+g.policyID+"'.", "InvalidKeyEndDate", "EndDate")
			return
		}
		secret := newClientSecret()
		pc := passwordCred{keyID: newGUID(), displayName: in.PasswordCredential.DisplayName, secret: secret, start: start, end: end}
		reg.creds.addPassword(pc)
		g.refresh(reg)
		answer = map[string]any{
			"@odata.context":      s.GraphBaseURL() + "/$metadata#microsoft.graph.passwordCredential",
			"customKeyIdentifier": nil, "displayName": pc.displayName, "endDateTime": end.UTC().Format(time.RFC3339),
			"hint": secret[:3], "keyId": pc.keyID, "secretText": secret, "startDateTime": start.UTC().Format(time.RFC3339)}
	})
	if answer != nil {
		s.credentialsChanged() // before the answer: a client that saw the secret may restart the tenant
		writeJSON(w, http.StatusOK, answer)
	}
}

// handleRemovePassword is POST /applications/{id}/removePassword
// (https://learn.microsoft.com/en-us/graph/api/application-removepassword): {keyId}, 204.
func (s *Server) handleRemovePassword(w http.ResponseWriter, r *http.Request) {
	p, ok := s.caller(w, r, "Application.ReadWrite.All", "Directory.ReadWrite.All")
	if !ok {
		return
	}
	var in struct {
		KeyID string `json:"keyId"`
	}
	if !decode(r, &in) || in.KeyID == "" {
		s.badRequest(w, r, "Property keyId is required.")
		return
	}
	removed := false
	s.changeApp(w, r, p, func(g *registry, reg *registration) {
		if !reg.creds.removePassword(in.KeyID) {
			s.dirError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "No password credential found with keyId '"+in.KeyID+"'.", "", "")
			return
		}
		g.refresh(reg)
		removed = true
	})
	if removed {
		s.credentialsChanged()
		w.WriteHeader(http.StatusNoContent)
	}
}
