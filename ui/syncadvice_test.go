package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/graph"
)

// TestSyncTabAdvice: a 403, a 429 and a 401 from the practice tenant reach the Sync
// tab's rows as the advice catalogue's words, read from the failure's fields (the engine
// keeps them; nothing parses the error's text). TestSyncCommandAdvice (cmd/m365connect)
// drives the same three through `m365connect sync` and expects the same words.
func TestSyncTabAdvice(t *testing.T) {
	h := newHarness(t)
	mbs := h.users(3)
	denied, throttled, revoked := mbs[0], mbs[1], mbs[2]
	sv := h.saveWith(mbs...)
	p := sv.sync
	words := func(key string) string {
		a, ok := graph.LookupAdvice(key)
		if !ok {
			t.Fatalf("no advice %s", key)
		}
		return conn.AdviceText(a)
	}
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultAccessDenied, Mailbox: denied, PathContains: "/delta"})
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultThrottle, Mailbox: throttled, PathContains: "/delta", RetryAfter: time.Second})
	h.do(func() {
		h.z.opts.SyncPoll = 300 * time.Millisecond
		sv.tabs.Select(sv.syncTab)
	})
	h.tap(p.button)
	last := map[string]string{} // what each Inbox row said when last looked at (for a failure)
	t.Cleanup(func() {
		if t.Failed() {
			for mb, text := range last {
				t.Logf("Inbox of %s said: %q", mb, text)
			}
		}
	})
	inbox := func(mb, prefix, advice string) func() bool {
		return func() bool {
			for _, r := range p.byKey {
				if r.mailbox == mb && r.name.Text == "Inbox" {
					last[mb] = r.detail.Text
					return strings.HasPrefix(r.detail.Text, prefix) && strings.Contains(r.detail.Text, advice)
				}
			}
			return false
		}
	}
	h.waitFor("the 403 advice", inbox(denied, "Stopped: ", words("ErrorAccessDenied")))
	// The 403 stops the whole mailbox: its Sent Items row stops too (it was left
	// "Syncing" for ever when its store call saw the cancellation).
	h.waitFor("the denied mailbox's Sent Items to stop", func() bool {
		for _, r := range p.byKey {
			if r.mailbox == denied && r.name.Text == "Sent Items" {
				return !strings.HasPrefix(r.detail.Text, "Syncing")
			}
		}
		return false
	})
	h.waitFor("the 429 advice", inbox(throttled, "Waiting: ", words("TooManyRequests")+" Try again in 1s."))
	h.waitFor("the synced mailbox", inbox(revoked, "Up to date", ""))
	h.shot("6-sync-advice")
	// Long advice wraps onto several lines; the rows below move down rather than lie
	// under it (each row starts where the one above ends).
	h.do(func() {
		objs := p.rows.Objects
		for i := 1; i < len(objs); i++ {
			above, row := objs[i-1], objs[i]
			if row.Position().Y < above.Position().Y+above.Size().Height-1 {
				t.Errorf("row %d (y %.0f) overlaps row %d (y %.0f, height %.0f)", i, row.Position().Y, i-1, above.Position().Y, above.Size().Height)
			}
			if above.Size().Height < above.MinSize().Height-1 {
				t.Errorf("row %d is %.0f high, its content needs %.0f", i-1, above.Size().Height, above.MinSize().Height)
			}
		}
	})
	h.srv.Identity().RevokeTokens(h.z.saveConfig().ClientID)
	h.waitFor("the 401 advice", inbox(revoked, "Reconnect needed: ", words("InvalidAuthenticationToken")))
	h.do(func() {
		for _, r := range p.byKey {
			if strings.Contains(r.detail.Text, "ErrorAccessDenied:") || strings.Contains(r.detail.Text, "giving up") {
				t.Errorf("%s %s shows the error's text, not its advice: %q", r.mailbox, r.name.Text, r.detail.Text)
			}
		}
	})
	// With the app's tokens revoked every mailbox stops soon on its own; Stop ends what
	// is left (a tap on a stopped sync would start a new one).
	h.do(func() {
		if p.running {
			test.Tap(p.button)
		}
	})
	h.waitFor("the sync to stop", func() bool { return !p.running })
}
