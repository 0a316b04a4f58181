package graphmail

import (
	"sync"
	"testing"
	"time"
)

// The latency model holds each answer for its draw (plus its size) inside the request's
// MailboxConcurrency slot: 5 concurrent requests to one mailbox get 4 answers and one
// 429, and the store counts both.
func TestLatencyHoldsTheConcurrencySlot(t *testing.T) {
	f := newFixture(t, 20)
	f.s.SetLatency(&Latency{Min: 200 * time.Millisecond, Max: 200 * time.Millisecond, PerKiB: -1})
	path := "/v1.0/users/" + f.users[0].ID + "/messages?$top=1"
	var wg sync.WaitGroup
	codes := make([]int, 5)
	start := time.Now()
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.do(t, &appFull, "GET", path, nil).status
		}()
		time.Sleep(10 * time.Millisecond) // the first four are in flight before the fifth
	}
	wg.Wait()
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("answers took %s, want at least the 200 ms latency", d)
	}
	n200, n429 := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			n200++
		case 429:
			n429++
		}
	}
	if n200 != 4 || n429 != 1 {
		t.Fatalf("codes %v: want four 200 and one 429", codes)
	}
	st := f.s.Stats()
	if st.MailboxConcurrency != 1 || st.PeakInFlight != 4 || st.Requests != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// Bigger answers wait longer (PerKiB); Scale divides the wait and speeds up the clock
// the limits count in; without a model nothing waits.
func TestLatencySizeAndScale(t *testing.T) {
	f := newFixture(t, 60)
	path := "/v1.0/users/" + f.users[0].ID + "/messages?$top="
	timed := func(top string) time.Duration {
		start := time.Now()
		if r := f.do(t, &appFull, "GET", path+top, nil); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		return time.Since(start)
	}
	if d := timed("50"); d > 100*time.Millisecond {
		t.Fatalf("no model: %s", d)
	}
	f.s.SetLatency(&Latency{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond, PerKiB: 5 * time.Millisecond})
	small, big := timed("1"), timed("50")
	if big < small+50*time.Millisecond {
		t.Fatalf("a 50-message page took %s, a 1-message page %s: want the bigger one slower", big, small)
	}
	f.s.SetLatency(&Latency{Min: 400 * time.Millisecond, Max: 400 * time.Millisecond, PerKiB: -1, Scale: 20})
	if d := timed("1"); d > 200*time.Millisecond {
		t.Fatalf("scale 20: %s, want about 20 ms", d)
	}
	t0 := f.s.EmulatedNow()
	time.Sleep(50 * time.Millisecond)
	if adv := f.s.EmulatedNow().Sub(t0); adv < 800*time.Millisecond {
		t.Fatalf("emulated clock advanced %s in 50 ms at scale 20", adv)
	}
	f.s.SetLatency(nil)
	if d := timed("50"); d > 100*time.Millisecond {
		t.Fatalf("model off again: %s", d)
	}
}
