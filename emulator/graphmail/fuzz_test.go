package graphmail

import (
	"strings"
	"testing"
	"time"
)

// FuzzQueryParsers feeds the parsers of what a client sends the practice tenant —
// $filter of messages and users, $search of users, management scope filters, delta
// tokens, $batch bodies and the HTML of message bodies (rendered as text and
// previews) — with arbitrary text: they must refuse it or accept it, never panic, and
// what they accept must be usable.
func FuzzQueryParsers(f *testing.F) {
	for _, seed := range []string{
		"receivedDateTime ge 2024-01-01T00:00:00Z and isRead eq false",
		"(subject eq 'it''s') and hasAttachments ne true",
		"startswith(displayName,'Ad') or mail eq 'a@b.c' and accountEnabled eq true",
		"proxyAddresses/any(x:x eq 'smtp:a@b.c')",
		`"displayName:ad" OR "mail:meg"`,
		"eyJmIjoiQVFNa0EiLCJlIjowLCJzIjoxfQ",
		`{"requests":[{"id":"1","method":"GET","url":"/me"},{"id":"2","method":"GET","url":"/me","dependsOn":["1"]}]}`,
		"startswith(",
		"'",
		"Department -eq 'Sales' -and CustomAttribute1 -like 'x*'",
	} {
		f.Add(seed)
	}
	store := NewStore(StoreOptions{})
	mb := &mailbox{Mailbox: Mailbox{ID: "id", Address: "a@b.c", DisplayName: "Adele Vance", Kind: KindUser}}
	m := &message{subject: "it's", imid: "<x@y>", received: time.Unix(1700000000, 0).UTC()}
	f.Fuzz(func(t *testing.T, in string) {
		if mf, err := parseMessageFilter(in); err == nil {
			mf.match(m)
			mf.bounds(msgList{m})
		}
		if p, err := parseUserFilter(in); err == nil {
			p(mb)
		}
		if p, err := parseUserSearch(in); err == nil {
			p(mb)
		}
		if p, err := parseRecipientFilter(in); err == nil { // management scopes (scoping.go)
			p(store, mb)
		}
		decodeToken(in)
		htmlToText(in)
		preview(in, "html")
		if reqs, byID, msg := parseBatch([]byte(in)); msg == "" {
			for _, r := range reqs {
				for _, d := range r.DependsOn {
					if _, ok := byID[strings.ToLower(d)]; !ok {
						t.Fatalf("accepted batch depends on unknown %q", d)
					}
				}
			}
		}
	})
}
