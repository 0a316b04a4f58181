package ui

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/wizard"
)

// remoteSignIn plays a browser on another computer: it signs in on the practice
// tenant's page and stops where Microsoft redirects to http://localhost:PORT (which it
// cannot reach), handing over the address left in its address bar.
func remoteSignIn(t *testing.T, addr chan<- string) func(string) error {
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Hostname() == "localhost" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return func(u string) error {
		go func() {
			resp, err := c.Get(u)
			if err != nil {
				t.Errorf("remote browser: %v", err)
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			act, pr := formActionRE.FindSubmatch(page), promptRE.FindSubmatch(page)
			if act == nil || pr == nil {
				t.Errorf("no sign-in form: %s", page)
				return
			}
			user := ""
			for _, o := range optionRE.FindAllSubmatch(page, -1) {
				if user == "" || len(o[2]) > 0 {
					user = string(o[1])
				}
			}
			base, _ := url.Parse(u)
			target, _ := base.Parse(string(act[1]))
			resp, err = c.PostForm(target.String(), url.Values{"prompt": {string(pr[1])}, "user": {user}, "action": {"accept"}})
			if err != nil {
				t.Errorf("remote browser: %v", err)
				return
			}
			resp.Body.Close()
			addr <- resp.Header.Get("Location")
		}()
		return nil
	}
}

// TestDelegatedSignInPasteBack: the delegated sign-in finishes from the address pasted
// back from a browser that could not reach this computer's listener.
func TestDelegatedSignInPasteBack(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	pre := h.z.screens[wizard.StepPrerequisites].(*prerequisitesScreen)
	h.do(func() {
		for _, m := range wizard.ModeChoices(wizard.Features{}) {
			if m.Mode == wizard.ModeDelegated {
				pre.mode.SetSelected(modeLabel(m))
			}
		}
	})
	h.next(wizard.StepAppRegistration)
	h.next(wizard.StepConsent)
	addr := make(chan string, 1)
	cs := h.z.screens[wizard.StepConsent].(*consentScreen)
	h.do(func() { h.z.opts.OpenBrowser = remoteSignIn(t, addr) })
	h.tap(cs.start)
	var got string
	select {
	case got = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("the remote browser never reached the redirect")
	}
	if !strings.HasPrefix(got, "http://localhost:") || !strings.Contains(got, "code=") {
		t.Fatalf("redirect %q", got)
	}
	h.waitFor("the paste-back box", func() bool { return cs.pb.box.Visible() })
	h.do(func() {
		cs.pb.entry.SetText(got)
		cs.pb.submit()
	})
	h.waitFor("the sign-in to finish", func() bool { return h.z.NextEnabled() || cs.outcome.Text != "" })
	h.do(func() {
		if !h.z.state.SignedIn || !h.z.NextEnabled() || cs.pb.box.Visible() {
			t.Fatalf("after paste-back: signed in %v, outcome %q %q", h.z.state.SignedIn, cs.outcome.Text, cs.advice.Text)
		}
	})
}
