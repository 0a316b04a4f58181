package ui

import (
	"sync"
	"testing"
	"time"
)

// uiLoop stands in for the real driver's main loop in the UI tests. The GLFW driver runs
// a fyne.Do callback later, on its main goroutine, in the order queued — never inline
// as fyne/test does. Code that works only when its callback runs at once (a worker that
// cancels its context in a defer, then reads ctx.Err() in the callback) passes under an
// inline Do and fails in the window; under this loop it fails in the test too.
//
// Test actions (taps, typing, reads of what the screen shows) run on the loop as well,
// through DoAndWait, as input events do in the window: every widget is touched from
// one goroutine, and the race detector sees it.
type uiLoop struct {
	mu     sync.Mutex
	queue  []func()
	closed bool
	wake   chan struct{} // a callback was queued
	ran    chan struct{} // closed and replaced after each callback runs
	seq    int           // callbacks run so far
	done   chan struct{} // the loop goroutine ended
}

// newUILoop starts a loop that ends when the test ends (callbacks still queued then are
// dropped, as a closed window drops them).
func newUILoop(t *testing.T) *uiLoop {
	l := &uiLoop{wake: make(chan struct{}, 1), ran: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	t.Cleanup(l.stop)
	return l
}

func (l *uiLoop) run() {
	ended := false
	defer func() {
		if ended {
			close(l.done)
			return
		}
		// A callback called t.Fatal (runtime.Goexit): the test goroutine reports it
		// (see harness.do); a fresh loop goroutine serves the cleanup.
		l.callbackDone()
		go l.run()
	}()
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			ended = true
			return
		}
		if len(l.queue) == 0 {
			l.mu.Unlock()
			<-l.wake
			continue
		}
		f := l.queue[0]
		l.queue = l.queue[1:]
		l.mu.Unlock()
		f()
		l.callbackDone()
	}
}

func (l *uiLoop) callbackDone() {
	l.mu.Lock()
	l.seq++
	close(l.ran)
	l.ran = make(chan struct{})
	l.mu.Unlock()
}

// Do queues f and returns at once: it is the wizard's Options.Do in tests.
func (l *uiLoop) Do(f func()) {
	l.mu.Lock()
	if !l.closed {
		l.queue = append(l.queue, f)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// DoAndWait runs f on the loop after what is queued already and returns when it ran;
// false when f did not return (it called t.Fatal, or the loop had stopped). Never call
// it from a callback running on the loop.
func (l *uiLoop) DoAndWait(f func()) (returned bool) {
	done := make(chan struct{})
	l.Do(func() { defer close(done); f(); returned = true })
	select {
	case <-done:
	case <-l.done:
	}
	return returned
}

// do runs f on the loop and returns when it ran; a t.Fatal inside f ends the test here,
// on the test goroutine.
func (l *uiLoop) do(t *testing.T, f func()) {
	t.Helper()
	if !l.DoAndWait(f) {
		t.FailNow()
	}
}

// waitFor waits until cond, evaluated on the loop, holds: it looks again after each
// callback the loop runs (and every 50 ms, for outcomes that land outside the window,
// such as a database row). It fails the test after 30 s.
func (l *uiLoop) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Generous: a green test returns as soon as cond holds; under `go test -race ./...`
	// on 2 cores a sync round of several mailboxes has taken over 30 s.
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	for {
		var ok bool
		var mine int // the seq after this check's own callback
		if !l.DoAndWait(func() {
			ok = cond()
			l.mu.Lock()
			mine = l.seq + 1
			l.mu.Unlock()
		}) {
			t.FailNow()
		}
		if ok {
			return
		}
		poll := time.NewTimer(50 * time.Millisecond)
	wait:
		for {
			l.mu.Lock()
			seq, ran := l.seq, l.ran
			l.mu.Unlock()
			if seq > mine { // another callback ran since: look again
				break
			}
			select {
			case <-ran:
			case <-poll.C:
				break wait
			case <-deadline.C:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
		poll.Stop()
	}
}

func (l *uiLoop) stop() {
	l.mu.Lock()
	l.closed = true
	l.queue = nil
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	<-l.done
}

// TestUILoopRunsCallbacksLater: Do never runs a callback inline, runs them in order on
// one goroutine, and a callback queued from a callback runs after it.
func TestUILoopRunsCallbacksLater(t *testing.T) {
	l := newUILoop(t)
	var order []int // touched on the loop goroutine only
	l.do(t, func() {
		ran := false // read and written on the loop goroutine: no race, and no timing
		l.Do(func() { ran = true; order = append(order, 2) })
		if ran {
			t.Fatal("Do ran its callback inline")
		}
		order = append(order, 1)
	})
	l.Do(func() { order = append(order, 3) })
	l.waitFor(t, "three callbacks", func() bool { return len(order) == 3 })
	l.DoAndWait(func() {
		for i, v := range order {
			if v != i+1 {
				t.Fatalf("callbacks ran in the order %v", order)
			}
		}
	})
}
