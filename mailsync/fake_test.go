package mailsync

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeErr is a Source error with the behaviour interfaces graph's errors have.
type fakeErr struct {
	status int
	code   string
	ra     time.Duration
}

func (e *fakeErr) Error() string     { return fmt.Sprintf("fake graph: %d %s", e.status, e.code) }
func (e *fakeErr) HTTPStatus() int   { return e.status }
func (e *fakeErr) GraphCode() string { return e.code }
func (e *fakeErr) RetryAfter() (time.Duration, bool) {
	return e.ra, e.ra > 0
}

type fakeChange struct {
	seq     int
	id      string
	removed bool
}

type fakeFolder struct {
	msgs    map[string]Message
	changes []fakeChange
}

// fakeSource is an in-memory delta source: a full round pages through the window newest
// first; a delta link remembers the change sequence it was issued at.
type fakeSource struct {
	mu       sync.Mutex
	seq      int
	folders  map[string]*fakeFolder // key mailbox/folder
	faults   map[string][]error     // key mailbox: errors returned by the next calls
	always   map[string]error       // key mailbox: returned on every call
	expired  bool                   // every delta/next link issued so far answers 410
	issuedAt int                    // links issued before this seq are expired when expired is set
	calls    map[string]int
	inFlight map[string]int
	maxIn    map[string]int
	delay    time.Duration
	requests []PageRequest
	// deltaCap, when > 0, ends a filtered full round after that many messages with its
	// deltaLink, as Graph does at 5,000; ignoreBefore answers list requests with delta.
	deltaCap     int
	ignoreBefore bool
}

func newFake() *fakeSource {
	return &fakeSource{folders: map[string]*fakeFolder{}, faults: map[string][]error{}, always: map[string]error{},
		calls: map[string]int{}, inFlight: map[string]int{}, maxIn: map[string]int{}}
}

func (f *fakeSource) folder(mb, fo string) *fakeFolder {
	k := mb + "/" + fo
	if f.folders[k] == nil {
		f.folders[k] = &fakeFolder{msgs: map[string]Message{}}
	}
	return f.folders[k]
}

func (f *fakeSource) put(mb, fo string, m Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	ff := f.folder(mb, fo)
	ff.msgs[m.ID] = m
	ff.changes = append(ff.changes, fakeChange{seq: f.seq, id: m.ID})
}

func (f *fakeSource) remove(mb, fo, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	ff := f.folder(mb, fo)
	delete(ff.msgs, id)
	ff.changes = append(ff.changes, fakeChange{seq: f.seq, id: id, removed: true})
}

// gen fills a folder with n messages, one per hour back from now.
func (f *fakeSource) gen(mb, fo string, n int, now time.Time) {
	for i := range n {
		f.put(mb, fo, Message{ID: fmt.Sprintf("%s-%s-%04d", mb, fo, i), Subject: fmt.Sprintf("subject %d", i),
			FromAddress: "a@x.test", To: []string{"b@x.test"}, InternetMessageID: fmt.Sprintf("<%d@x>", i),
			ReceivedDateTime: now.Add(-time.Duration(i) * time.Hour).UTC().Truncate(time.Second)})
	}
}

func (f *fakeSource) DeltaPage(ctx context.Context, req PageRequest) (Page, error) {
	f.mu.Lock()
	f.calls[req.Mailbox]++
	f.requests = append(f.requests, req)
	f.inFlight[req.Mailbox]++
	f.maxIn[req.Mailbox] = max(f.maxIn[req.Mailbox], f.inFlight[req.Mailbox])
	delay := f.delay
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[req.Mailbox]--
		f.mu.Unlock()
	}()
	if delay > 0 {
		time.Sleep(delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.always[req.Mailbox]; err != nil {
		return Page{}, err
	}
	if q := f.faults[req.Mailbox]; len(q) > 0 {
		f.faults[req.Mailbox] = q[1:]
		return Page{}, q[0]
	}
	ff := f.folder(req.Mailbox, req.Folder)
	if !req.Before.IsZero() && !f.ignoreBefore {
		return f.listPage(ff, req), nil
	}
	// Links: "next|<fromSeq>|<snapshotSeq>|<offset>|<windowUnix>" or "delta|<seq>|<windowUnix>".
	if req.Link == "" {
		return f.fullPage(ff, req, f.seq, 0, req.WindowStart), nil
	}
	parts := strings.Split(req.Link, "|")
	if f.expired {
		issued, _ := strconv.Atoi(parts[1])
		if issued < f.issuedAt {
			return Page{}, &fakeErr{status: 410, code: "syncStateNotFound"}
		}
	}
	switch parts[0] {
	case "next":
		snap, _ := strconv.Atoi(parts[2])
		off, _ := strconv.Atoi(parts[3])
		w, _ := strconv.ParseInt(parts[4], 10, 64)
		return f.fullPage(ff, req, snap, off, time.Unix(w, 0)), nil
	case "delta":
		from, _ := strconv.Atoi(parts[1])
		w, _ := strconv.ParseInt(parts[2], 10, 64)
		var p Page
		seen := map[string]bool{}
		for i := len(ff.changes) - 1; i >= 0; i-- {
			c := ff.changes[i]
			if c.seq <= from || seen[c.id] {
				continue
			}
			seen[c.id] = true
			if m, ok := ff.msgs[c.id]; ok && !c.removed {
				if !m.ReceivedDateTime.Before(time.Unix(w, 0)) {
					p.Messages = append(p.Messages, m)
				}
			} else {
				p.Messages = append(p.Messages, Message{ID: c.id, Removed: "deleted"})
			}
		}
		p.DeltaLink = fmt.Sprintf("delta|%d|%d", f.seq, w)
		return p, nil
	}
	return Page{}, &fakeErr{status: 400, code: "BadRequest"}
}

func (f *fakeSource) fullPage(ff *fakeFolder, req PageRequest, snap, off int, window time.Time) Page {
	var all []Message
	for _, m := range ff.msgs {
		if !m.ReceivedDateTime.Before(window) {
			all = append(all, m)
		}
	}
	slices.SortFunc(all, func(a, b Message) int {
		return cmp.Or(b.ReceivedDateTime.Compare(a.ReceivedDateTime), strings.Compare(a.ID, b.ID))
	})
	end := min(off+req.PageSize, len(all))
	capped := false
	if f.deltaCap > 0 && !window.IsZero() && end >= f.deltaCap {
		end, capped = f.deltaCap, true
	}
	p := Page{Messages: slices.Clone(all[off:end])}
	if end < len(all) && !capped {
		p.NextLink = fmt.Sprintf("next|%d|%d|%d|%d", f.seq, snap, end, window.Unix())
	} else {
		p.DeltaLink = fmt.Sprintf("delta|%d|%d", snap, window.Unix())
	}
	return p
}

// listPage serves the gap fill's list: messages received in [WindowStart, Before), newest
// first, links "list|<offset>", no link on the last page.
func (f *fakeSource) listPage(ff *fakeFolder, req PageRequest) Page {
	var all []Message
	for _, m := range ff.msgs {
		if !m.ReceivedDateTime.Before(req.WindowStart) && m.ReceivedDateTime.Before(req.Before) {
			all = append(all, m)
		}
	}
	slices.SortFunc(all, func(a, b Message) int {
		return cmp.Or(b.ReceivedDateTime.Compare(a.ReceivedDateTime), strings.Compare(a.ID, b.ID))
	})
	off := 0
	if req.Link != "" {
		off, _ = strconv.Atoi(strings.TrimPrefix(req.Link, "list|"))
	}
	off = min(off, len(all))
	end := min(off+req.PageSize, len(all))
	p := Page{Messages: slices.Clone(all[off:end])}
	if end < len(all) {
		p.NextLink = fmt.Sprintf("list|%d", end)
	}
	return p
}

// want lists the fake's messages of a mailbox inside the window, by id.
func (f *fakeSource) want(mb string, folders []string, window time.Time) map[string]Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Message{}
	for _, fo := range folders {
		for id, m := range f.folder(mb, fo).msgs {
			if !m.ReceivedDateTime.Before(window) {
				out[id] = m
			}
		}
	}
	return out
}
