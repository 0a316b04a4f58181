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
	q := c.r.URL.Query()
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

	var st deltaState
	tok := q.Get("$skiptoken")
	isSkip := tok != ""
	if !isSkip {
		tok = q.Get("$deltatoken")
	}
	if tok != "" {
		var ok bool
		st, ok = decodeToken(tok)
		if !ok || st.Folder != f.id {
			// Exchange's answer to a token it cannot read.
			c.fail(http.StatusBadRequest, "ErrorInvalidSyncStateData", "The sync state data is corrupt or otherwise invalid.")
			return
		}
		if st.Epoch != f.epoch {
			// Expired sync state: the client must start a full resync.
			// https://learn.microsoft.com/en-us/graph/delta-query-overview#synchronization-reset
			c.fail(http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
			return
		}
	} else {
		st = deltaState{Folder: f.id, Epoch: f.epoch, Select: q.Get("$select"), Change: strings.ToLower(q.Get("changeType"))}
		if ob := strings.ToLower(strings.Join(strings.Fields(q.Get("$orderby")), " ")); ob != "" {
			// "The only supported $orderby expression is $orderby=receivedDateTime+desc."
			if ob != "receiveddatetime desc" {
				c.fail(http.StatusBadRequest, "BadRequest", "The only supported $orderby expression is receivedDateTime desc.")
				return
			}
			st.Desc = true
		}
		if flt := q.Get("$filter"); flt != "" {
			// Only receivedDateTime ge/gt is supported in message delta.
			parts := strings.Fields(flt)
			if len(parts) != 3 || !strings.EqualFold(parts[0], "receivedDateTime") || !(strings.EqualFold(parts[1], "ge") || strings.EqualFold(parts[1], "gt")) {
				c.fail(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The filter expression for $filter does not match to a single extended property and a value restriction.")
				return
			}
			t, err := parseTime(parts[2])
			if err != nil {
				c.fail(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "Invalid receivedDateTime value.")
				return
			}
			if strings.EqualFold(parts[1], "gt") {
				t = t.Add(time.Second)
			}
			st.Ge = t.Unix()
		}
	}
	if !isSkip {
		// A new round: fix the window's upper bound and find where it starts.
		st.Upto = s.seq
		st.Pos = sort.Search(len(f.log), func(i int) bool { return f.log[i].seq > st.Since })
	}
	sel := parseSelect(st.Select)
	initial := st.Since == 0
	// "Applying $filter in a delta query returns only up to 5,000 messages."
	// (https://learn.microsoft.com/en-us/graph/delta-query-messages). The page
	// that reaches the cap carries the round's deltaLink; nothing tells the
	// client that older messages were left out (StoreOptions.DeltaFilterCap).
	capped := func() bool {
		return initial && st.Ge != 0 && s.opts.DeltaFilterCap > 0 && st.Cnt >= s.opts.DeltaFilterCap
	}

	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#Collection(message)")
	o.key("value")
	o.b = append(o.b, '[')
	o.b = slices.Grow(o.b, min(pageSize, 1000)*1500)
	n := 0
	add := func(fn func([]byte) []byte) {
		if n > 0 {
			o.b = append(o.b, ',')
		}
		o.b = fn(o.b)
		n++
	}
	link := c.base + "/users/" + url.PathEscape(mb.ID) + "/mailFolders/" + url.PathEscape(f.id) + "/messages/delta?"
	if initial && st.Desc {
		list := f.msgs
		j := len(list) - 1
		if st.KO != 0 {
			key := &message{received: time.Unix(0, st.KR).UTC(), order: st.KO}
			j = sort.Search(len(list), func(i int) bool { return !less(list[i], key) }) - 1
		}
		var last *message
		for ; j >= 0 && n < pageSize; j-- {
			m := list[j]
			if (st.Ge != 0 && m.received.Unix() < st.Ge) || capped() {
				j = -1
				break
			}
			last = m
			if m.changeSeq > st.Upto {
				continue // changed after the round began: the next round reports it
			}
			add(func(b []byte) []byte { return c.appendMessage(b, m, sel) })
			st.Cnt++
		}
		if capped() {
			j = -1
		}
		o.b = append(o.b, ']')
		if j >= 0 && !(st.Ge != 0 && list[j].received.Unix() < st.Ge) {
			next := st
			if last != nil {
				next.KR, next.KO = last.received.UnixNano(), last.order
			}
			o.str("@odata.nextLink", link+"$skiptoken="+encodeToken(next))
		} else {
			next := st
			next.Since, next.Upto, next.Pos, next.KR, next.KO, next.Cnt = st.Upto, 0, 0, 0, 0, 0
			o.str("@odata.deltaLink", link+"$deltatoken="+encodeToken(next))
		}
		c.ok(http.StatusOK, o.done())
		return
	}
	pos := st.Pos
	for ; pos < len(f.log) && n < pageSize; pos++ {
		e := f.log[pos]
		if e.seq > st.Upto || capped() {
			pos = len(f.log)
			break
		}
		m := e.m
		if e.removed {
			if initial || st.Change == "created" || st.Change == "updated" {
				continue
			}
			id := e.regID
			if c.immutable {
				id = m.immID
			}
			add(func(b []byte) []byte {
				b = append(b, `{"@odata.type":"#microsoft.graph.message","id":`...)
				b = appendJSONString(b, id)
				return append(b, `,"@removed":{"reason":"deleted"}}`...)
			})
			continue
		}
		if m.folder != f || m.changeSeq != e.seq {
			continue // superseded by a later entry
		}
		if st.Ge != 0 && m.received.Unix() < st.Ge {
			continue
		}
		if !initial {
			created := m.placedSeq > st.Since
			if (st.Change == "created" && !created) || (st.Change == "updated" && created) || st.Change == "deleted" {
				continue
			}
		}
		add(func(b []byte) []byte { return c.appendMessage(b, m, sel) })
		st.Cnt++
	}
	if capped() {
		pos = len(f.log)
	}
	o.b = append(o.b, ']')
	// Skip trailing stale entries so the last page ends with the deltaLink.
	for pos < len(f.log) && f.log[pos].seq <= st.Upto && s.stale(f, f.log[pos], initial, st) {
		pos++
	}

	if pos < len(f.log) && f.log[pos].seq <= st.Upto {
		next := st
		next.Pos = pos
		o.str("@odata.nextLink", link+"$skiptoken="+encodeToken(next))
	} else {
		next := st
		next.Since, next.Upto, next.Pos, next.Cnt = st.Upto, 0, 0, 0
		o.str("@odata.deltaLink", link+"$deltatoken="+encodeToken(next))
	}
	c.ok(http.StatusOK, o.done())
}

// stale reports whether a log entry would produce nothing for this round.
func (s *Store) stale(f *folder, e logEntry, initial bool, st deltaState) bool {
	if e.removed {
		return initial || st.Change == "created" || st.Change == "updated"
	}
	return e.m.folder != f || e.m.changeSeq != e.seq || (st.Ge != 0 && e.m.received.Unix() < st.Ge)
}
