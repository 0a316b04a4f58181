package graphmail

import (
	"crypto/sha256"
	"testing"
	"time"
)

func TestZZRenderFingerprint(t *testing.T) {
	s := NewStore(StoreOptions{TenantDomain: "contoso.onmicrosoft.com"})
	Generate(s, GenOptions{Users: 3, SharedMailboxes: 1, MessagesPerMailbox: 60, Seed: 7, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	mbs := s.Mailboxes()
	_, _ = s.DeliverMessage(mbs[0].ID, Message{Subject: "hdr", Received: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Body: "plain\ntext <b>", BodyContentType: "text", Headers: []Header{{"X-A", "1"}, {"X-B", "2"}}, ReplyTo: []Recipient{{"R", "r@x"}}, Bcc: []Recipient{{"B", "b@x"}}})
	h := sha256.New()
	sels := []selection{nil, parseSelect("id,subject"), parseSelect("body,internetMessageHeaders,flag,sender,from,replyTo,bccRecipients,sentDateTime,webLink"), parseSelect("internetMessageHeaders")}
	for _, mbx := range mbs {
		mb := s.byKey[mbx.ID]
		for _, m := range mb.all {
			for _, sel := range sels {
				for _, basic := range []bool{false, true} {
					for _, as := range []string{"", "text", "html"} {
						for _, imm := range []bool{false, true} {
							c := &call{base: "https://x/v1.0", basic: basic, bodyAs: as, immutable: imm}
							h.Write(c.renderMessage(m, sel))
						}
					}
				}
			}
		}
	}
	t.Logf("RENDER %x", h.Sum(nil))
}
