package graph

// This file holds the wait for a new app or credential to reach every Microsoft server:
// the bounded backoff (PropagationWait), the countdown it reports, and the checks that the
// new app is known and its token carries the granted permissions.

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// PropagationWait bounds the retries while Microsoft replicates a new app: Attempts
// tries, waiting Backoff(i) after failed attempt i (1-based). Sleep waits d and calls
// tick with the time left about once a second (default: a real timer); tests inject one.
type PropagationWait struct {
	Attempts int
	Backoff  func(attempt int) time.Duration
	Sleep    func(ctx context.Context, d time.Duration, tick func(left time.Duration)) error
}

// DefaultPropagationWait tries 8 times with 2, 4, 8, 15, 15, … seconds between (about
// 1.5 minutes in all): Microsoft documents no replication bound, tools report seconds
// to a few minutes.
func DefaultPropagationWait() PropagationWait {
	return PropagationWait{Attempts: 8, Backoff: func(i int) time.Duration {
		return min(time.Duration(1<<i)*time.Second, 15*time.Second)
	}}
}

func (w PropagationWait) normalised() PropagationWait {
	d := DefaultPropagationWait()
	if w.Attempts <= 0 {
		w.Attempts = d.Attempts
	}
	if w.Backoff == nil {
		w.Backoff = d.Backoff
	}
	if w.Sleep == nil {
		w.Sleep = countdown
	}
	return w
}

// countdown sleeps d, calling tick with the time left every second.
func countdown(ctx context.Context, d time.Duration, tick func(time.Duration)) error {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		tick(left.Round(time.Second))
		step := min(left, time.Second)
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// isNotYetVisible: the directory has not replicated the new app yet.
func isNotYetVisible(err error) bool {
	var he *Error
	return errors.As(err, &he) && (he.Code == "NoBackingApplicationObject" ||
		he.Code == "Request_ResourceNotFound" || he.Status == http.StatusNotFound)
}

// isTokenNotYetValid: the token endpoint does not know the new app (AADSTS700016) or
// its new credential (AADSTS7000215 / AADSTS700027 while the credential replicates), or
// the token carries no roles yet.
func isTokenNotYetValid(err error) bool {
	if errors.Is(err, errNoRolesYet) {
		return true
	}
	switch AdviceFor(err).Code {
	case "AADSTS700016", "AADSTS7000215", "AADSTS700027":
		return true
	}
	return false
}

var errNoRolesYet = errors.New("the token carries none of the granted permissions yet")

// waitForToken gets a token with the new credential until Microsoft knows the app and
// the token carries the granted roles.
func (c *creation) waitForToken(ctx context.Context) error {
	return c.retry(ctx, AppStepPropagation, isTokenNotYetValid, func() error {
		cred, err := appCredential(c.o.Cloud, c.out.TenantID, c.out.AppID, c.out.ClientSecret, c.out.CertificatePEM)
		if err != nil {
			return err
		}
		_, cl, err := GetToken(ctx, c.o.Cloud, cred)
		if err != nil {
			return err
		}
		if len(c.out.Granted) > 0 && len(cl.Roles) == 0 {
			return errNoRolesYet
		}
		return nil
	})
}

// verify runs the full checks with the new app.
func (c *creation) verify(ctx context.Context) error {
	s := c.o.Verify
	s.Cloud, s.TenantID, s.ClientID, s.Mode = c.o.Cloud, c.out.TenantID, c.out.AppID, c.o.Plan.Mode
	sec := Secrets{ClientSecret: c.out.ClientSecret, Certificate: c.out.CertificatePEM}
	if !c.o.Plan.Mode.AppOnly() {
		if c.o.SignInDelegated == nil {
			return nil
		}
		cred, err := c.o.SignInDelegated(ctx, c.out.AppID)
		if err != nil {
			return err
		}
		sec.Credential = cred
	}
	checks, err := Verify(ctx, s, sec, nil)
	if err != nil {
		return err
	}
	c.out.Checks = checks
	return nil
}
