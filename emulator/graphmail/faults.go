package graphmail

import (
	"net/http"
	"strings"
	"time"
)

// AccessMode is an Exchange application access policy's AccessRight.
type AccessMode string

// Application access policy modes (New-ApplicationAccessPolicy -AccessRight).
// https://learn.microsoft.com/en-us/graph/auth-limit-mailbox-access
const (
	RestrictAccess AccessMode = "RestrictAccess" // the app may reach only MailboxIDs
	DenyAccess     AccessMode = "DenyAccess"     // the app may reach every mailbox but MailboxIDs
)

// AccessPolicy scopes an app's app-only access to mailboxes.
type AccessPolicy struct {
	Mode       AccessMode
	MailboxIDs []string // mailbox ids or addresses, or mail-enabled security groups (id, address)
}

// SetAccessPolicy sets (or, with a zero Mode, removes) the application access
// policy of an app. Policies apply to app-only calls on mailbox data (mail,
// mailboxSettings), not to directory calls such as /users.
func (s *Store) SetAccessPolicy(appID string, p AccessPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(appID)
	if p.Mode == "" {
		delete(s.policies, key)
		return
	}
	p.MailboxIDs = append([]string(nil), p.MailboxIDs...)
	s.policies[key] = p
}

// policyAllowsLocked reports whether an app-only caller may reach mb.
func (s *Store) policyAllowsLocked(appID string, mb *mailbox) bool {
	p, ok := s.policies[strings.ToLower(appID)]
	if !ok {
		return true
	}
	listed := false
	for _, k := range p.MailboxIDs {
		if s.policyTargetLocked(k, mb) { // a mailbox, or a mail-enabled security group's member (scoping.go)
			listed = true
			break
		}
	}
	if p.Mode == DenyAccess {
		return !listed
	}
	return listed
}

// FaultKind selects what an injected fault answers.
type FaultKind string

// Fault kinds.
const (
	// FaultThrottle answers 429 ApplicationThrottled (RequestRate) with Retry-After.
	FaultThrottle FaultKind = "throttle"
	// FaultMailboxConcurrency answers 429 ApplicationThrottled (MailboxConcurrency).
	FaultMailboxConcurrency FaultKind = "mailboxConcurrency"
	// FaultUnavailable answers 503 serviceNotAvailable with Retry-After.
	FaultUnavailable FaultKind = "unavailable"
	// FaultMailboxNotFound answers 404 ErrorInvalidUser.
	FaultMailboxNotFound FaultKind = "mailboxNotFound"
	// FaultRESTDisabled answers 404 MailboxNotEnabledForRESTAPI.
	FaultRESTDisabled FaultKind = "restDisabled"
	// FaultAccessDenied answers 403 ErrorAccessDenied.
	FaultAccessDenied FaultKind = "accessDenied"
	// FaultSlow holds matching requests for Delay (inside the mailbox
	// concurrency slot) and then serves them normally.
	FaultSlow FaultKind = "slow"
)

// Fault is a Graph-side failure injected into matching requests.
type Fault struct {
	Kind FaultKind
	// Mailbox matches the target mailbox by id or address; empty matches any
	// request (including /users and $batch-level requests).
	Mailbox string
	// AppID matches the caller's app; empty matches any app.
	AppID string
	// PathContains, when set, must occur in the request path (case-insensitive),
	// e.g. "/sendMail" or "/delta".
	PathContains string
	// Count is how many requests the fault answers; 0 means until ClearFaults.
	Count int
	// RetryAfter is sent as Retry-After (default 1s for 429/503).
	RetryAfter time.Duration
	// Delay is the hold time for FaultSlow.
	Delay time.Duration
}

type faultEntry struct {
	Fault
	left int // remaining uses; -1 unlimited
}

// InjectFault adds a fault. Faults are matched in the order injected; the first
// match with uses left applies.
func (s *Store) InjectFault(f Fault) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	left := f.Count
	if left <= 0 {
		left = -1
	}
	s.faults = append(s.faults, &faultEntry{Fault: f, left: left})
}

// ClearFaults removes every injected fault.
func (s *Store) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

// matchFault consumes and returns the first fault matching the request.
func (s *Store) matchFault(appID string, mb *Mailbox, path string) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if f.left == 0 {
			continue
		}
		if f.AppID != "" && !strings.EqualFold(f.AppID, appID) {
			continue
		}
		if f.Mailbox != "" && (mb == nil || !(strings.EqualFold(f.Mailbox, mb.ID) || strings.EqualFold(f.Mailbox, mb.Address))) {
			continue
		}
		if f.PathContains != "" && !strings.Contains(strings.ToLower(path), strings.ToLower(f.PathContains)) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// ---- Outlook service limits: 4 concurrent requests and 10,000 requests per
// 10 minutes per app per mailbox.
// https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits

const mailboxConcurrency = 4

type rateWindow struct {
	start time.Time
	n     int
}

// acquire takes a concurrency slot for app+mailbox; ok false means the caller
// is over the MailboxConcurrency limit.
func (s *Store) acquire(key string) bool {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	if s.inflight[key] >= mailboxConcurrency {
		return false
	}
	s.inflight[key]++
	s.noteSlot(s.inflight[key])
	return true
}

func (s *Store) release(key string) {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	if s.inflight[key]--; s.inflight[key] <= 0 {
		delete(s.inflight, key)
	}
}

// overRate counts a request against the 10-minute budget and reports whether
// it is over, with the time until the window resets.
func (s *Store) overRate(key string) (bool, time.Duration) {
	if s.opts.MailboxRequestLimit < 0 {
		return false, 0
	}
	now := s.EmulatedNow()
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	w := s.windows[key]
	if w == nil || now.Sub(w.start) >= 10*time.Minute {
		w = &rateWindow{start: now}
		s.windows[key] = w
	}
	w.n++
	if w.n > s.opts.MailboxRequestLimit {
		return true, 10*time.Minute - now.Sub(w.start)
	}
	return false, 0
}

// applyFault answers an injected fault; false means the response is written.
func (s *Store) applyFault(c *call, mb *Mailbox) bool {
	f, ok := s.matchFault(c.p.AppID, mb, c.r.URL.Path)
	if !ok {
		return true
	}
	addr := c.r.URL.Path
	if mb != nil {
		addr = mb.Address
	}
	switch f.Kind {
	case FaultSlow:
		select {
		case <-time.After(f.Delay):
		case <-c.r.Context().Done():
		}
		return true
	case FaultThrottle:
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its RequestRate limit.")
	case FaultMailboxConcurrency:
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	case FaultUnavailable:
		// https://learn.microsoft.com/en-us/graph/errors#code-property
		c.retryAfter(f.RetryAfter)
		c.fail(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please try again later.")
	case FaultMailboxNotFound:
		c.fail(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+addr+"' is invalid.")
	case FaultRESTDisabled:
		// https://learn.microsoft.com/en-US/exchange/troubleshoot/user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error
		c.fail(http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
	case FaultAccessDenied:
		c.fail(http.StatusForbidden, "ErrorAccessDenied", msgAccessDenied)
	default:
		return true
	}
	return false
}
