package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/m365connect/m365connect/emulator"
)

// remoteBrowser plays a browser on another machine: it follows the practice tenant's
// sign-in up to the redirect to http://localhost:PORT but never reaches this machine's
// listener; it returns the address left in its address bar. rewrite, when set, edits
// the sign-in URL first (to forge a code for another PKCE challenge).
func remoteBrowser(t *testing.T, rewrite func(*url.URL)) (open func(string) error, address <-chan string) {
	ch := make(chan string, 1)
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() == "localhost" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return func(u string) error {
		pu, err := url.Parse(u)
		if err != nil {
			return err
		}
		if rewrite != nil {
			rewrite(pu)
		}
		resp, err := c.Get(pu.String())
		if err != nil {
			t.Errorf("remote browser: %v", err)
			return nil
		}
		resp.Body.Close()
		ch <- resp.Header.Get("Location")
		return nil
	}, ch
}

// TestE2EDelegatedPasteBack: with the redirect never reaching the listener, the admin
// pastes the redirected address; the flow checks it like a callback (address, state,
// one shot), redeems the code with its PKCE verifier and signs in. A code issued for
// another PKCE challenge is refused by the token endpoint; a wrong state ends the flow.
func TestE2EDelegatedPasteBack(t *testing.T) {
	srv, c := practice(t)
	app := srv.Identity().App(emulator.AppDelegatedName)
	users, _ := userMailboxes(srv)
	srv.Identity().SetAutoSignIn(users[0])
	perms := RequestedPermissions(ModeDelegated, Features{Read: true})

	type run struct {
		cred *DelegatedCredential
		err  error
	}
	start := func(rewrite func(*url.URL)) (paste func(string) error, addr string, done <-chan run) {
		open, ch := remoteBrowser(t, rewrite)
		pasteCh := make(chan func(string) error, 1)
		out := make(chan run, 1)
		go func() {
			cred, err := SignIn(context.Background(), SignInOptions{Cloud: c, TenantID: srv.Identity().TenantID(), ClientID: app.ClientID,
				Permissions: perms, OpenBrowser: open, Timeout: 20 * time.Second,
				OnPasteBack: func(p func(string) error) { pasteCh <- p }})
			out <- run{cred, err}
		}()
		paste = <-pasteCh
		select {
		case addr = <-ch:
		case r := <-out:
			t.Fatalf("sign-in ended before the paste: %v", r.err)
		}
		if !strings.HasPrefix(addr, "http://localhost:") || !strings.Contains(addr, "code=") {
			t.Fatalf("redirected address %q", addr)
		}
		return paste, addr, out
	}

	t.Run("good paste signs in", func(t *testing.T) {
		paste, addr, done := start(nil)
		u, _ := url.Parse(addr)
		for _, bad := range []string{"", "not a url", "https://localhost:" + u.Port() + "/?code=x&state=y",
			"http://evil.example:" + u.Port() + "/?code=x&state=y", "http://localhost:1/?code=x&state=y",
			"http://localhost:" + u.Port() + "/", "http://localhost:" + u.Port() + "/other?code=x"} {
			if err := paste(bad); !errors.Is(err, ErrNotRedirect) {
				t.Errorf("paste(%q) = %v, want ErrNotRedirect", bad, err)
			}
		}
		if err := paste("  " + addr + "\n"); err != nil {
			t.Fatalf("paste: %v", err)
		}
		if err := paste(addr); !errors.Is(err, ErrCallbackUsed) {
			t.Errorf("second paste: %v", err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("%v → %+v", r.err, AdviceFor(r.err))
		}
		if !r.cred.HasRefreshToken() {
			t.Fatal("no refresh token after paste-back")
		}
		if _, err := r.cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{c.DefaultScope()}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wrong state ends the flow", func(t *testing.T) {
		paste, addr, done := start(nil)
		u, _ := url.Parse(addr)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		if err := paste(u.String()); !errors.Is(err, ErrStateMismatch) {
			t.Fatalf("paste = %v", err)
		}
		if r := <-done; !errors.Is(r.err, ErrStateMismatch) {
			t.Fatalf("flow ended with %v", r.err)
		}
	})

	t.Run("code for another PKCE challenge is refused", func(t *testing.T) {
		other := strings.Repeat("A", 43) // a challenge this flow's verifier does not match
		paste, addr, done := start(func(u *url.URL) {
			q := u.Query()
			q.Set("code_challenge", other)
			u.RawQuery = q.Encode()
		})
		if err := paste(addr); err != nil {
			t.Fatalf("paste: %v", err)
		}
		r := <-done
		var oe *Error
		if !errors.As(r.err, &oe) || oe.Code != "invalid_grant" {
			t.Fatalf("flow ended with %v, want invalid_grant from the token endpoint", r.err)
		}
	})
}

// FuzzAcceptPasted: whatever is pasted, acceptPasted never panics, and it hands a
// result to the flow only for this flow's address (http, localhost or 127.0.0.1, its
// port, path /) carrying the exact state.
func FuzzAcceptPasted(f *testing.F) {
	for _, s := range []string{"http://localhost:5000/?code=abc&state=S", "http://127.0.0.1:5000/?error=access_denied&state=S",
		"http://localhost:5000/?code=abc&state=T", "https://localhost:5000/?code=a&state=S", "http://localhost:5000", "%", "", "http://[::1]:5000/?code=a&state=S",
		"http://localhost:5000/?code=a&state=S&state=T", "http://user@localhost:5000/?code=a&state=S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pasted string) {
		l := &loopback{state: "S", port: 5000, result: make(chan callbackResult, 1)}
		err := l.acceptPasted(pasted)
		if err != nil {
			select {
			case r := <-l.result:
				if !errors.Is(r.err, ErrStateMismatch) {
					t.Fatalf("refused %q but handed over %+v", pasted, r)
				}
			default:
			}
			return
		}
		r := <-l.result
		u, perr := url.Parse(strings.TrimSpace(pasted))
		if perr != nil || r.err != nil || u.Scheme != "http" || (u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1") || u.Port() != "5000" ||
			u.Query().Get("state") != "S" || (u.Query().Get("code") == "" && u.Query().Get("error") == "") {
			t.Fatalf("accepted %q → %+v", pasted, r)
		}
	})
}
