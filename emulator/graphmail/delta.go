package graphmail

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// deltaState is what the opaque $skiptoken/$deltatoken carry: the folder, its
// token epoch, the change window (since, upto] and the position in the
// folder's change log, plus the options of the initial request (Graph encodes
// those into the links too).
// https://learn.microsoft.com/en-us/graph/delta-query-messages
type deltaState struct {
	Folder string `json:"f"`
	Epoch  uint32 `json:"e"`
	Since  uint64 `json:"s"`
	Upto   uint64 `json:"u,omitempty"`
	Pos    int    `json:"p,omitempty"`
	Select string `json:"sel,omitempty"`
	Ge     int64  `json:"ge,omitempty"` // receivedDateTime ge (unix seconds), 0 = none
	Change string `json:"ct,omitempty"` // changeType: created, updated, deleted
	// Desc: $orderby=receivedDateTime desc on the initial round, paged by a
	// (received, order) cursor over the folder's sorted messages.
	Desc bool   `json:"d,omitempty"`
	KR   int64  `json:"kr,omitempty"`
	KO   uint64 `json:"ko,omitempty"`
	// Cnt counts items returned so far by a filtered initial round (cap).
	Cnt int `json:"n,omitempty"`
}

func encodeToken(st deltaState) string {
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(tok string) (deltaState, bool) {
	var st deltaState
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &st) != nil || st.Folder == "" {
		return deltaState{}, false
	}
	return st, true
}

// serveDelta implements GET .../mailFolders/{id}/messages/delta.
// Page size: Prefer odata.maxpagesize (default 10; $top is not a page size
// here). Items deleted or moved out since the token come back as
// {"id", "@removed": {"reason": "deleted"}}.
// https://learn.microsoft.com/en-us/graph/api/message-delta
func (s *Store) serveDelta(c *call, mb *mailbox, folderKey string) {
	if folderKey == "" {
		// Delta is per folder; /messages/delta is not supported.
		c.fail(http.StatusBadRequest, "BadRequest", "Change tracking is not supported against 'microsoft.graph.message'.")
		return
	}
	pageSize := 10
	if c.maxPage > 0 {
		pageSize = c.maxPage
		c.applyMaxPage()
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	f := mb.folder(folderKey)
	if f == nil || f.name == FolderRoot {
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	st, isSkip, ok := c.deltaState(f)
	if !ok {
		return
	}
	if !isSkip {
		// A new round: fix the window's upper bound and find where it starts.
		st.Upto = s.seq
		st.Pos = sort.Search(len(f.log), func(i int) bool { return f.log[i].seq > st.Since })
	}
	d := newDeltaPage(c, mb, f, st, pageSize, s.opts.DeltaFilterCap)
	if d.initial && st.Desc {
		d.newestFirst()
	} else {
		d.fromLog()
	}
	c.ok(http.StatusOK, d.o.done())
}

// deltaState reads the round's state from the request's $skiptoken (isSkip: a page of
// a round under way) or $deltatoken (a new round), or, on the first request, from its
// query. A token this folder cannot read, or one from before ExpireDeltaTokens, is
// answered here (ok=false).
func (c *call) deltaState(f *folder) (st deltaState, isSkip, ok bool) {
	q := c.r.URL.Query()
	tok := q.Get("$skiptoken")
	isSkip = tok != ""
	if !isSkip {
		tok = q.Get("$deltatoken")
	}
	if tok == "" {
		st, ok = c.initialDeltaState(f, q)
		return st, false, ok
	}
	st, ok = decodeToken(tok)
	if !ok || st.Folder != f.id {
		// Exchange's answer to a token it cannot read.
		c.fail(http.StatusBadRequest, "ErrorInvalidSyncStateData", "The sync state data is corrupt or otherwise invalid.")
		return st, isSkip, false
	}
	if st.Epoch != f.epoch {
		// Expired sync state: the client must start a full resync.
		// https://learn.microsoft.com/en-us/graph/delta-query-overview#synchronization-reset
		c.fail(http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
		return st, isSkip, false
	}
	return st, isSkip, true
}

// initialDeltaState reads the options of a round's first request: $select,
// changeType, $orderby (receivedDateTime desc only) and $filter (receivedDateTime
// ge/gt only); the links carry them on. A refused option is answered here (ok=false).
func (c *call) initialDeltaState(f *folder, q url.Values) (deltaState, bool) {
	st := deltaState{Folder: f.id, Epoch: f.epoch, Select: q.Get("$select"), Change: strings.ToLower(q.Get("changeType"))}
	if ob := strings.ToLower(strings.Join(strings.Fields(q.Get("$orderby")), " ")); ob != "" {
		// "The only supported $orderby expression is $orderby=receivedDateTime+desc."
		if ob != "receiveddatetime desc" {
			c.fail(http.StatusBadRequest, "BadRequest", "The only supported $orderby expression is receivedDateTime desc.")
			return st, false
		}
		st.Desc = true
	}
	if flt := q.Get("$filter"); flt != "" {
		// Only receivedDateTime ge/gt is supported in message delta.
		parts := strings.Fields(flt)
		if len(parts) != 3 || !strings.EqualFold(parts[0], "receivedDateTime") || !(strings.EqualFold(parts[1], "ge") || strings.EqualFold(parts[1], "gt")) {
			c.fail(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The filter expression for $filter does not match to a single extended property and a value restriction.")
			return st, false
		}
		t, err := parseTime(parts[2])
		if err != nil {
			c.fail(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "Invalid receivedDateTime value.")
			return st, false
		}
		if strings.EqualFold(parts[1], "gt") {
			t = t.Add(time.Second)
		}
		st.Ge = t.Unix()
	}
	return st, true
}

// roundDone is the state the deltaLink that ends a round carries: the next round's
// window starts where this one's ended.
func (st deltaState) roundDone() deltaState {
	next := st
	next.Since, next.Upto, next.Pos, next.KR, next.KO, next.Cnt = st.Upto, 0, 0, 0, 0, 0
	return next
}

// deltaPage is one page of a delta round being written (caller holds s.mu).
type deltaPage struct {
	c         *call
	f         *folder
	st        deltaState // the round's state; Cnt grows as messages are added
	sel       selection
	initial   bool // a first round (no deltaToken yet): no @removed entries
	pageSize  int
	filterCap int    // StoreOptions.DeltaFilterCap
	link      string // the folder's delta URL, before the token
	o         *obj
	n         int // items on the page so far
}

func newDeltaPage(c *call, mb *mailbox, f *folder, st deltaState, pageSize, filterCap int) *deltaPage {
	d := &deltaPage{c: c, f: f, st: st, sel: parseSelect(st.Select), initial: st.Since == 0, pageSize: pageSize, filterCap: filterCap,
		link: c.base + "/users/" + url.PathEscape(mb.ID) + "/mailFolders/" + url.PathEscape(f.id) + "/messages/delta?"}
	d.o = newObj()
	d.o.str("@odata.context", c.base+"/$metadata#Collection(message)")
	d.o.key("value")
	d.o.b = append(d.o.b, '[')
	d.o.b = slices.Grow(d.o.b, min(pageSize, 1000)*1500)
	return d
}

// capped reports whether a filtered first round has returned all it may.
// "Applying $filter in a delta query returns only up to 5,000 messages."
// (https://learn.microsoft.com/en-us/graph/delta-query-messages). The page
// that reaches the cap carries the round's deltaLink; nothing tells the
// client that older messages were left out (StoreOptions.DeltaFilterCap).
func (d *deltaPage) capped() bool {
	return d.initial && d.st.Ge != 0 && d.filterCap > 0 && d.st.Cnt >= d.filterCap
}

// tooOld reports whether m was received before the round's receivedDateTime filter.
func (d *deltaPage) tooOld(m *message) bool { return d.st.Ge != 0 && m.received.Unix() < d.st.Ge }

func (d *deltaPage) add(fn func([]byte) []byte) {
	if d.n > 0 {
		d.o.b = append(d.o.b, ',')
	}
	d.o.b = fn(d.o.b)
	d.n++
}

func (d *deltaPage) addMessage(m *message) {
	d.add(func(b []byte) []byte { return d.c.appendMessage(b, m, d.sel) })
	d.st.Cnt++
}

func (d *deltaPage) addRemoved(id string) {
	d.add(func(b []byte) []byte {
		b = append(b, `{"@odata.type":"#microsoft.graph.message","id":`...)
		b = appendJSONString(b, id)
		return append(b, `,"@removed":{"reason":"deleted"}}`...)
	})
}

// end closes the page with a nextLink carrying next (more) or the round's deltaLink.
func (d *deltaPage) end(next deltaState, more bool) {
	d.o.b = append(d.o.b, ']')
	if more {
		d.o.str("@odata.nextLink", d.link+"$skiptoken="+encodeToken(next))
		return
	}
	d.o.str("@odata.deltaLink", d.link+"$deltatoken="+encodeToken(d.st.roundDone()))
}

// newestFirst writes a page of a first round ordered by receivedDateTime desc: down
// the folder's sorted messages from the cursor (KR, KO) the previous page left.
func (d *deltaPage) newestFirst() {
	st := &d.st
	list := d.f.msgs
	j := len(list) - 1
	if st.KO != 0 {
		key := &message{received: time.Unix(0, st.KR).UTC(), order: st.KO}
		j = sort.Search(len(list), func(i int) bool { return !less(list[i], key) }) - 1
	}
	var last *message
	for ; j >= 0 && d.n < d.pageSize; j-- {
		m := list[j]
		if d.tooOld(m) || d.capped() {
			j = -1
			break
		}
		last = m
		if m.changeSeq > st.Upto {
			continue // changed after the round began: the next round reports it
		}
		d.addMessage(m)
	}
	if d.capped() {
		j = -1
	}
	next := *st
	if last != nil {
		next.KR, next.KO = last.received.UnixNano(), last.order
	}
	d.end(next, j >= 0 && !d.tooOld(list[j]))
}

// fromLog writes a page from the folder's change log, from Pos up to the round's upper
// bound.
func (d *deltaPage) fromLog() {
	st, log := &d.st, d.f.log
	pos := st.Pos
	for ; pos < len(log) && d.n < d.pageSize; pos++ {
		e := log[pos]
		if e.seq > st.Upto || d.capped() {
			pos = len(log)
			break
		}
		d.addEntry(e)
	}
	if d.capped() {
		pos = len(log)
	}
	// Skip trailing stale entries so the last page ends with the deltaLink.
	for pos < len(log) && log[pos].seq <= st.Upto && d.stale(log[pos]) {
		pos++
	}
	next := *st
	next.Pos = pos
	d.end(next, pos < len(log) && log[pos].seq <= st.Upto)
}

// showsRemovals reports whether the round reports @removed entries: not in a first
// round, nor when changeType asks for created or updated messages only.
func (d *deltaPage) showsRemovals() bool {
	return !d.initial && d.st.Change != "created" && d.st.Change != "updated"
}

// current reports whether a log entry is still its message's latest change in this
// folder, within the round's filter.
func (d *deltaPage) current(e logEntry) bool {
	return e.m.folder == d.f && e.m.changeSeq == e.seq && !d.tooOld(e.m)
}

// addEntry adds what one log entry shows this round, if anything: an @removed entry
// for a message deleted or moved out, or a created or updated message (as changeType
// asks).
func (d *deltaPage) addEntry(e logEntry) {
	st := d.st
	m := e.m
	if e.removed {
		if !d.showsRemovals() {
			return
		}
		id := e.regID
		if d.c.immutable {
			id = m.immID
		}
		d.addRemoved(id)
		return
	}
	if !d.current(e) {
		return // superseded by a later entry, or filtered out
	}
	if !d.initial {
		created := m.placedSeq > st.Since
		if (st.Change == "created" && !created) || (st.Change == "updated" && created) || st.Change == "deleted" {
			return
		}
	}
	d.addMessage(m)
}

// stale reports whether a log entry would produce nothing for this round.
func (d *deltaPage) stale(e logEntry) bool {
	if e.removed {
		return !d.showsRemovals()
	}
	return !d.current(e)
}
