package mailsync

import (
	"context"
	"slices"
	"sync"
)

// budget is the engine's global request budget: at most n requests in flight over all
// mailboxes. A freed slot goes to the waiting request of the mailbox that started
// first (lowest priority value), so the first mailboxes fill their 4 slots and finish —
// become usable — early, and later mailboxes take the slots a finishing mailbox no
// longer fills; waiters of one priority are served in arrival order.
type budget struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiters []*budgetWaiter // sorted by (prio, seq)
}

type budgetWaiter struct {
	prio    int
	seq     uint64
	granted chan struct{}
}

func newBudget(n int) *budget { return &budget{free: n} }

// acquire takes a slot, waiting for it in priority order, or returns ctx.Err().
func (b *budget) acquire(ctx context.Context, prio int) error {
	b.mu.Lock()
	if b.free > 0 && len(b.waiters) == 0 {
		b.free--
		b.mu.Unlock()
		return nil
	}
	b.seq++
	w := &budgetWaiter{prio: prio, seq: b.seq, granted: make(chan struct{})}
	i, _ := slices.BinarySearchFunc(b.waiters, w, func(a, t *budgetWaiter) int {
		if a.prio != t.prio {
			return a.prio - t.prio
		}
		if a.seq < t.seq {
			return -1
		}
		return 1
	})
	b.waiters = slices.Insert(b.waiters, i, w)
	b.mu.Unlock()
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		if j := slices.Index(b.waiters, w); j >= 0 {
			b.waiters = slices.Delete(b.waiters, j, j+1)
			b.mu.Unlock()
			return ctx.Err()
		}
		b.mu.Unlock()
		// Granted while giving up: pass the slot on.
		b.release()
		return ctx.Err()
	}
}

// release frees a slot: to the first waiter, else back to the pool.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiters) > 0 {
		w := b.waiters[0]
		b.waiters = slices.Delete(b.waiters, 0, 1)
		close(w.granted)
		return
	}
	b.free++
}
