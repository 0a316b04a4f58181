package mailsync

// This file holds how a page is requested: a throttling pause honoured by every worker of
// the mailbox, the per-mailbox and global request slots (big pages take one more), and the
// retries with backoff.

import (
	"context"
	"fmt"
	"time"
)

// acquire waits for any throttling pause of the mailbox, then for one of its
// MaxRequests slots and a slot of the global budget (by mailbox priority), and for a
// big page (backfill, gap fill) a slot of MaxBackfillInFlight too. A pause set by
// another worker while this one waited for slots is honoured too: Retry-After holds
// every worker of the mailbox.
func (e *Engine) acquire(ctx context.Context, r *mailboxRun, big bool) error {
	var slept time.Time
	for {
		r.mu.Lock()
		nb := r.notBefore
		r.mu.Unlock()
		if wait := nb.Sub(e.opts.Now()); wait > 0 && !nb.Equal(slept) {
			if err := e.opts.Sleep(ctx, wait); err != nil {
				return err
			}
			slept = nb // a pause is waited once, even if the clock is a fake
			continue
		}
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if big {
			if err := e.bigPages.acquire(ctx, r.prio); err != nil {
				<-r.sem
				return err
			}
		}
		if err := e.budget.acquire(ctx, r.prio); err != nil {
			if big {
				e.bigPages.release()
			}
			<-r.sem
			return err
		}
		r.mu.Lock()
		nb = r.notBefore
		r.mu.Unlock()
		if nb.After(e.opts.Now()) && !nb.Equal(slept) {
			e.release(r, big)
			continue
		}
		e.mu.Lock()
		if ms := e.status[r.mb.ID]; ms != nil {
			ms.Requests++
		}
		e.mu.Unlock()
		return nil
	}
}

func (e *Engine) release(r *mailboxRun, big bool) {
	e.budget.release()
	if big {
		e.bigPages.release()
	}
	<-r.sem
}

// fetch gets one page, owning the retry policy: 429/503 wait Retry-After (the whole
// mailbox pauses), transient errors back off, a 401 is retried once (the source fetches a
// fresh token after a 401) and then means reconnect needed.
func (e *Engine) fetch(ctx context.Context, r *mailboxRun, folder string, req PageRequest, big bool) (Page, error) {
	authRetried := false
	for attempt := 0; ; attempt++ {
		if err := e.acquire(ctx, r, big); err != nil {
			return Page{}, err
		}
		page, err := e.src.DeltaPage(ctx, req)
		e.release(r, big)
		if err == nil {
			return page, nil
		}
		if ctx.Err() != nil {
			return Page{}, ctx.Err()
		}
		kind, ra := Classify(err)
		if kind == KindCanceled {
			// Our context is alive (checked above): a source's own cancellation is a
			// failed request, not a stop; treating it as a stop would end the mailbox
			// as if the user had cancelled, with nothing stored and no error.
			kind = KindTransient
		}
		switch kind {
		case KindSyncReset, KindFatal:
			return Page{}, err
		case KindUnauthorized:
			if authRetried {
				return Page{}, fmt.Errorf("%w (%w)", ErrReconnectNeeded, err)
			}
			authRetried = true
			attempt--
			continue
		}
		if attempt+1 >= e.opts.MaxAttempts {
			return Page{}, fmt.Errorf("giving up after %d attempts: %w", attempt+1, err)
		}
		d := backoff(attempt, ra, e.opts.Jitter())
		e.logf(r.mb.ID, folder, "warn", "retry", fmt.Sprintf("waiting %s: %v", d.Round(time.Millisecond), err))
		if kind == KindThrottled {
			r.mu.Lock()
			if nb := e.opts.Now().Add(d); nb.After(r.notBefore) {
				r.notBefore = nb
			}
			r.mu.Unlock()
			e.update(r.mb.ID, folder, func(_ *MailboxStatus, fs *FolderStatus) {
				fs.State = StateThrottled
				fs.LastError, fs.Failure = failure(err)
			})
			continue // acquire waits until notBefore
		}
		e.update(r.mb.ID, folder, func(_ *MailboxStatus, fs *FolderStatus) {
			fs.State = StateThrottled
			fs.LastError, fs.Failure = failure(err)
		})
		if err := e.opts.Sleep(ctx, d); err != nil {
			return Page{}, err
		}
	}
}
