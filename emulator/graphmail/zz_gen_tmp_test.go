package graphmail

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

func TestZZGenerateFingerprint(t *testing.T) {
	s := NewStore(StoreOptions{TenantDomain: "contoso.onmicrosoft.com"})
	Generate(s, GenOptions{Users: 17, SharedMailboxes: 8, MessagesPerMailbox: 150, Seed: 42, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	h := sha256.New()
	for _, mb := range s.Mailboxes() {
		fmt.Fprintf(h, "%+v\n", mb)
		msgs, _ := s.Messages(mb.ID, "")
		for _, m := range msgs {
			fmt.Fprintf(h, "%+v\n", m)
		}
	}
	t.Logf("FINGERPRINT %x", h.Sum(nil))
}
