package outbox

import (
	"fmt"
	"net/mail"
	"os"
	"os/user"
	"slices"
	"strings"
)

// Policy decides which outgoing messages may leave and which need a person's approval
// first. The config carries it as the JSON object described in the package doc.
//
// The zero Policy lets nothing leave: a sender must be listed in AllowedSenders.
type Policy struct {
	// AllowedSenders are the mailboxes (address or Graph user id, case-insensitive)
	// that may send. Empty means no mailbox may send.
	AllowedSenders []string `json:"allowedSenders"`
	// AllowExternal allows recipients outside InternalDomains.
	AllowExternal bool `json:"allowExternal"`
	// InternalDomains are the organisation's domains (e.g. "contoso.com"). Empty means
	// only the sender's own domain is internal.
	InternalDomains []string `json:"internalDomains"`
	// RequireApproval holds every message as pending_approval until Approve is called.
	RequireApproval bool `json:"requireApproval"`
}

// Decision is what a Policy says about one message.
type Decision struct {
	// Allowed is false when the message must not leave; Reason says why.
	Allowed bool
	// NeedsApproval is true when the message may leave only after Approve.
	NeedsApproval bool
	// Reason is a readable explanation of a refusal ("" when allowed).
	Reason string
}

// Check applies the policy to a sender and all recipients (to and cc).
func (p Policy) Check(from string, recipients []string) Decision {
	if !p.senderAllowed(from) {
		if len(p.AllowedSenders) == 0 {
			return Decision{Reason: fmt.Sprintf("sender %s is not allowed to send: the outbox policy lists no allowed senders", from)}
		}
		return Decision{Reason: fmt.Sprintf("sender %s is not in the outbox policy's allowed senders", from)}
	}
	if !p.AllowExternal {
		var ext []string
		for _, r := range recipients {
			if p.isExternal(from, r) {
				ext = append(ext, r)
			}
		}
		if len(ext) > 0 {
			return Decision{Reason: fmt.Sprintf("external recipients are not allowed by the outbox policy: %s", strings.Join(ext, ", "))}
		}
	}
	return Decision{Allowed: true, NeedsApproval: p.RequireApproval}
}

func (p Policy) senderAllowed(from string) bool {
	return slices.ContainsFunc(p.AllowedSenders, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), from) })
}

// isExternal reports whether addr's domain is outside the organisation.
func (p Policy) isExternal(from, addr string) bool {
	d := domainOf(addr)
	if d == "" {
		return true
	}
	internal := p.InternalDomains
	if len(internal) == 0 {
		internal = []string{domainOf(from)}
	}
	return !slices.ContainsFunc(internal, func(s string) bool {
		return s != "" && strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(s), "@"), d)
	})
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}

// normalizeAddress checks that s is one plain address ("a@b.c", or "Name <a@b.c>") and
// returns the bare address.
func normalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	if domainOf(a.Address) == "" || !strings.Contains(domainOf(a.Address), ".") {
		return "", fmt.Errorf("%q has no domain", s)
	}
	return a.Address, nil
}

// DefaultApprover names the person at this computer for the approval record: the OS
// account (DOMAIN\user on Windows), else USER or USERNAME, else "unknown".
func DefaultApprover() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}
