package graph

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzLoopbackCallback: the loopback handler never panics, answers only the documented
// statuses, and hands the flow a result without error only when the state matched.
func FuzzLoopbackCallback(f *testing.F) {
	f.Add("code=c&state=s1", "", false, "localhost:1")
	f.Add("state=s1&error=access_denied&error_description=AADSTS65004%3A+declined", "", false, "127.0.0.1:5")
	f.Add("admin_consent=True&tenant=t&state=s1", "", false, "[::1]:5")
	f.Add("", "code=c&state=s1", true, "localhost:1")
	f.Add("state=s1&state=s2", "", false, "localhost")
	f.Add("code=c&state=S1", "", false, "evil.example")
	f.Add("%zz", "state=%", true, "localhost:1")
	f.Fuzz(func(t *testing.T, rawQuery, body string, post bool, host string) {
		lb := &loopback{state: "s1", result: make(chan callbackResult, 1)}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Host: host, RemoteAddr: "127.0.0.1:40000", Header: http.Header{}}
		if post {
			r.Method = http.MethodPost
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Body = httpBody(body)
		}
		w := httptest.NewRecorder()
		lb.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict:
		default:
			t.Fatalf("status %d", w.Code)
		}
		select {
		case res := <-lb.result:
			if res.err == nil && res.query.Get("state") != "s1" {
				t.Fatalf("accepted state %q", res.query.Get("state"))
			}
			if res.err != nil && !errors.Is(res.err, ErrStateMismatch) {
				t.Fatalf("unexpected error %v", res.err)
			}
		default:
			if w.Code == http.StatusOK {
				t.Fatal("200 without a result")
			}
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Fatal("the page echoes markup")
		}
	})
}

func httpBody(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// FuzzOAuthErrorBody: the identity platform's error body (AADSTS codes) parses without
// panic; an error is made only from a body with an "error" string; its message is one line
// with no token or secret parameter in it, and the advice catalogue handles it.
func FuzzOAuthErrorBody(f *testing.F) {
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]}`))
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"AADSTS70008: expired refresh_token=0.AAAAsecret&x","error_codes":[70008]}`))
	f.Add(400, []byte(`{"error":"unauthorized_client","error_description":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghij"}`))
	f.Add(500, []byte(`{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}`))
	f.Add(429, []byte(`not json`))
	f.Add(400, []byte(`{"error":"","error_codes":[]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseOAuthErrorBody(status, body)
		if e == nil {
			return
		}
		if e.Code == "" {
			t.Fatal("an error without a code")
		}
		msg := e.Error()
		if strings.ContainsAny(msg, "\r\n") && !strings.ContainsAny(e.Code, "\r\n") {
			t.Fatalf("multi-line message %q", msg)
		}
		if jwtRE.MatchString(firstLine(e.Description)) {
			t.Fatalf("a token survived redaction: %q", msg)
		}
		if c := e.AADSTS(); c != "" && !strings.HasPrefix(c, "AADSTS") {
			t.Fatalf("AADSTS() = %q", c)
		}
		a := AdviceFor(e)
		if jwtRE.MatchString(a.Seen) {
			t.Fatalf("a token in the advice: %q", a.Seen)
		}
	})
}
