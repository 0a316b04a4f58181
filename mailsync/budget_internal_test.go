package mailsync

import (
	"context"
	"testing"
	"time"
)

// A freed slot goes to the waiter of the earliest mailbox, in arrival order within one
// mailbox; a cancelled waiter leaves the queue without losing a slot.
func TestBudgetPriority(t *testing.T) {
	b := newBudget(1)
	ctx := context.Background()
	if err := b.acquire(ctx, 5); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 4)
	start := func(prio, tag int, c context.Context) {
		go func() {
			if b.acquire(c, prio) == nil {
				order <- tag
			}
		}()
		time.Sleep(20 * time.Millisecond) // queued in this order
	}
	cctx, cancel := context.WithCancel(ctx)
	start(3, 30, ctx)
	start(1, 10, cctx) // gives up below
	start(2, 20, ctx)
	start(2, 21, ctx)
	cancel()
	time.Sleep(20 * time.Millisecond)
	var got []int
	for range 3 {
		b.release()
		select {
		case v := <-order:
			got = append(got, v)
		case <-time.After(time.Second):
			t.Fatalf("no waiter got the slot; so far %v", got)
		}
	}
	want := []int{20, 21, 30}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	b.release()
	if b.free != 1 || len(b.waiters) != 0 {
		t.Fatalf("free %d waiters %d, want 1 and 0", b.free, len(b.waiters))
	}
}
