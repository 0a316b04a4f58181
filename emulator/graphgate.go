package emulator

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// principal is the caller of a Graph request, taken from a validated access token.
type principal struct {
	tenantID, appID, userID string
	appOnly                 bool
	roles, scopes           []string
}

// graphGate validates the bearer token of every /v1.0 request (signature, lifetime,
// audience, issuer, revocation) and answers 401 InvalidAuthenticationToken itself
// (https://learn.microsoft.com/en-us/graph/errors,
// https://learn.microsoft.com/en-us/graph/resolve-auth-errors); a valid caller is put
// into the request context for the mail surface. Gzip request bodies (msgraph-sdk-go's
// compression handler sends Content-Encoding: gzip) are decompressed here once.
func (s *Server) graphGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, msg := s.validateBearer(r)
		if msg != "" {
			s.graphUnauthorized(w, r, msg)
			return
		}
		if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				s.graphError(w, r, http.StatusBadRequest, "BadRequest", "The request body is not valid gzip.")
				return
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{http.MaxBytesReader(w, io.NopCloser(zr), 64<<20), r.Body}
			r.Header.Del("Content-Encoding")
			r.Header.Del("Content-Length")
			r.ContentLength = -1
		}
		next.ServeHTTP(w, r.WithContext(s.mail.withPrincipal(r.Context(), p)))
	})
}

// validateBearer returns the caller, or the message of a 401.
func (s *Server) validateBearer(r *http.Request) (principal, string) {
	id := s.identity
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		raw, ok = strings.CutPrefix(h, "bearer ")
	}
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return principal{}, "Access token is empty."
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		return &id.signingKey.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(id.now), jwt.WithLeeway(5*time.Minute),
		jwt.WithExpirationRequired(), jwt.WithIssuer(id.stsIssuer()))
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet):
		return principal{}, "Lifetime validation failed, the token is expired."
	case errors.Is(err, jwt.ErrTokenMalformed):
		return principal{}, "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format."
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return principal{}, "Access token validation failure. Invalid signature."
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return principal{}, "Access token validation failure. Invalid issuer."
	default:
		return principal{}, "Access token validation failure."
	}
	aud, _ := claims.GetAudience()
	if len(aud) != 1 || (aud[0] != graphResource && aud[0] != graphResource+"/" && aud[0] != graphAppID) {
		return principal{}, "Access token validation failure. Invalid audience."
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	uti := str("uti")
	id.mu.Lock()
	rec := id.issued[uti]
	revoked := rec == nil || id.revoked(rec.clientID, rec.userID, rec.seq)
	id.mu.Unlock()
	if revoked {
		// The message Graph gives for a token issued before a revocation (CAE).
		return principal{}, "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
	}
	p := principal{tenantID: str("tid"), appID: str("appid")}
	if str("idtyp") == "app" {
		p.appOnly = true
		if rs, ok := claims["roles"].([]any); ok {
			for _, x := range rs {
				if s, ok := x.(string); ok {
					p.roles = append(p.roles, s)
				}
			}
		}
	} else {
		p.userID = str("oid")
		p.scopes = strings.Fields(str("scp"))
	}
	return p, ""
}

// graphUnauthorized answers 401 with Graph's error body and the WWW-Authenticate
// challenge Graph sends.
func (s *Server) graphUnauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.AuthorityHost()+`common/oauth2/authorize", client_id="`+graphAppID+`"`)
	s.graphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
}

// graphErrorBody is Graph's JSON error resource.
// https://learn.microsoft.com/en-us/graph/errors#json-representation
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

func (s *Server) graphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var b graphErrorBody
	b.Error.Code, b.Error.Message = code, msg
	reqID := newGUID()
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = reqID
	}
	b.Error.InnerError.Date = s.identity.now().UTC().Format("2006-01-02T15:04:05")
	b.Error.InnerError.RequestID = reqID
	b.Error.InnerError.ClientRequestID = crid
	w.Header().Set("request-id", reqID)
	w.Header().Set("client-request-id", crid)
	writeJSON(w, status, b)
}
