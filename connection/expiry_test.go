package connection

import (
	"strings"
	"testing"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// TestExpiryCheck: pass with more than 30 days left, warn from 30 days before, fail once
// expired, a passing note without a date or in delegated mode; the data says the same.
func TestExpiryCheck(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	day := 24 * time.Hour
	tests := []struct {
		name   string
		mode   string
		exp    *time.Time
		status graph.Status
		days   int
		warn   bool
		seen   string
	}{
		{"far", wizard.ModeSecret, at(200 * day), graph.StatusPass, 200, false, "client secret expires on"},
		{"31 days", wizard.ModeSecret, at(31*day + time.Hour), graph.StatusPass, 31, false, "in 31 days"},
		{"29 days", wizard.ModeCertificate, at(29*day + time.Hour), graph.StatusWarn, 29, true, "certificate expires on"},
		{"today", wizard.ModeSecret, at(2 * time.Hour), graph.StatusWarn, 0, true, "in 0 days"},
		{"expired", wizard.ModeSecret, at(-3 * day), graph.StatusFail, -3, true, "expired on 1 December 2026"},
		{"unknown", wizard.ModeSecret, nil, graph.StatusPass, 0, false, "not known"},
		{"delegated", wizard.ModeDelegated, at(day), graph.StatusPass, 0, false, "delegated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &wizard.Config{AccessMode: tc.mode, Credential: wizard.Credential{ExpiresAt: tc.exp}}
			r := ExpiryCheck(c, now)
			e := r.Data.(Expiry)
			if r.ID != "expiry" || r.Status != tc.status || e.DaysLeft != tc.days || e.Warn != tc.warn || !strings.Contains(r.Seen, tc.seen) {
				t.Fatalf("%s: %+v %+v", tc.name, r, e)
			}
			if tc.warn != (r.Advice != nil) || (tc.warn && (e.Warning == "" || !strings.Contains(r.Advice.Fix, "Certificates & secrets"))) {
				t.Fatalf("advice %+v, data %+v", r.Advice, e)
			}
			if w := CheckFrom(r); tc.warn && !strings.Contains(w.Advice, "Renew") {
				t.Fatalf("wizard record %+v", w)
			}
		})
	}
}
