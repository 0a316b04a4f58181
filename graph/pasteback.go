package graph

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotRedirect: a pasted text is not the redirected address of this sign-in.
var ErrNotRedirect = errors.New("the pasted text is not the address the sign-in was sent back to")

// acceptPasted takes the address an admin copied from the browser's address bar
// after the identity platform redirected to http://localhost:PORT/?code=..&state=..
// (the page itself did not load: the browser runs on another machine, or a kiosk
// blocks localhost). It is the paste-back twin of ServeHTTP: the same one-shot rule,
// the same state check, the same hand-over to the waiting flow, whose code redemption
// then proves PKCE (the code was issued for this flow's challenge).
//
// A text that is not this flow's redirect (another address, another port, no code and
// no error) is refused with ErrNotRedirect and the flow keeps waiting; a wrong state
// ends the flow with ErrStateMismatch, as on the listener.
// Response shapes: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response
func (l *loopback) acceptPasted(pasted string) error {
	u, err := url.Parse(strings.TrimSpace(pasted))
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("%w: copy the whole address, starting with http://localhost:%d/", ErrNotRedirect, l.port)
	}
	if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" {
		return fmt.Errorf("%w: it points to %s, not localhost", ErrNotRedirect, h)
	}
	if u.Port() != strconv.Itoa(l.port) {
		return fmt.Errorf("%w: it is for port %s, this sign-in waits on port %d (an older attempt?)", ErrNotRedirect, u.Port(), l.port)
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("%w: unexpected path %s", ErrNotRedirect, u.Path)
	}
	q := u.Query()
	if q.Get("code") == "" && q.Get("error") == "" {
		return fmt.Errorf("%w: it carries neither a code nor an error (copy it after Microsoft redirected)", ErrNotRedirect)
	}
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return ErrCallbackUsed
	}
	l.done = true
	l.mu.Unlock()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1 {
		l.result <- callbackResult{err: ErrStateMismatch}
		return ErrStateMismatch
	}
	l.result <- callbackResult{query: q}
	return nil
}
