package ui

import (
	"strings"
	"testing"

	"github.com/m365connect/m365connect/wizard"
)

// TestVerifyShowsDetailsAndExpiry: after a practice-tenant walk, the Verify record has
// the test read's recipients and received time, the test send's recipients and marker,
// and the credential's expiry row; the saved connection is a profile on the first
// screen.
func TestVerifyShowsDetailsAndExpiry(t *testing.T) {
	h := newHarness(t)
	h.walk(wizard.ModeSecret, false)
	h.do(func() {
		v := h.z.state.Verification
		byID := map[string]wizard.Check{}
		for _, c := range v.Checks {
			byID[c.ID] = c
		}
		if r := byID["read"]; r.Status != wizard.StatusPass || !strings.Contains(r.Seen, " to ") || !strings.Contains(r.Seen, "received ") {
			t.Errorf("read: %+v", r)
		}
		if s := byID["send"]; s.Status != wizard.StatusPass || !strings.Contains(s.Seen, "marker m365c-") || !strings.Contains(s.Seen, " to ") || !strings.Contains(s.Seen, "arrived") {
			t.Errorf("send: %+v", s)
		}
		if x, ok := byID["expiry"]; !ok || x.Status == wizard.StatusFail {
			t.Errorf("expiry row: %+v %v", x, ok)
		}
		if e := h.z.profiles().open; e.ID == "" {
			t.Error("the saved connection is not a profile")
		}
		rows, err := h.z.profiles().store.List()
		if err != nil || len(rows) != 1 || !rows[0].Locked || rows[0].LastVerified.IsZero() {
			t.Errorf("profile list after Save: %+v %v", rows, err)
		}
	})
}
