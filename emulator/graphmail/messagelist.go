package graphmail

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Listing messages (https://learn.microsoft.com/en-us/graph/api/user-list-messages):
// the query ($top, $skip, $orderby, $filter, $select, $count), the page it chooses from
// a folder or the whole mailbox, and the nextLink to the following page.

// listQuery is what a message list request asks for.
type listQuery struct {
	top, skip int
	desc      bool // newest first (the default)
	filter    msgFilter
	sel       selection
	count     bool
}

// parseListQuery reads $top (default 10, at most 1000: "$top ... from 1 to 1000"),
// $skip, $orderby (receivedDateTime, either way), $filter, $select and $count. A
// non-empty message is the 400 to answer.
func parseListQuery(q url.Values) (listQuery, string) {
	lq := listQuery{top: 10, desc: true}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lq, "Invalid $top value."
		}
		lq.top = min(n, 1000)
	}
	if v := q.Get("$skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, "Invalid $skip value."
		}
		lq.skip = n
	}
	if ob := strings.ToLower(strings.Join(strings.Fields(q.Get("$orderby")), " ")); ob != "" {
		switch ob {
		case "receiveddatetime desc":
		case "receiveddatetime", "receiveddatetime asc":
			lq.desc = false
		default:
			return lq, "The $orderby expression is not supported: " + q.Get("$orderby")
		}
	}
	filter, err := parseMessageFilter(q.Get("$filter"))
	if err != nil {
		return lq, "Invalid filter clause: " + err.Error()
	}
	lq.filter = filter
	lq.sel = parseSelect(q.Get("$select"))
	lq.count = strings.EqualFold(q.Get("$count"), "true")
	return lq, ""
}

// listPage is the page of a message list chosen for a query.
type listPage struct {
	items [][]byte
	more  bool // another page follows
	total int  // for @odata.count; -1 when not counted
}

// serveMessageList answers GET .../messages and .../mailFolders/{id}/messages.
func (s *Store) serveMessageList(c *call, mb *mailbox, folderKey string) {
	q := c.r.URL.Query()
	lq, msg := parseListQuery(q)
	if msg != "" {
		c.fail(http.StatusBadRequest, "BadRequest", msg)
		return
	}
	s.mu.RLock()
	list := mb.all
	ctxPath := c.userPath(mb) + "/messages"
	if folderKey != "" {
		f := mb.folder(folderKey)
		if f == nil {
			s.mu.RUnlock()
			c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		list = f.msgs
		ctxPath = c.userPath(mb) + "/mailFolders('" + folderKey + "')/messages"
	}
	page := c.choosePage(list, lq)
	s.mu.RUnlock()
	c.writeList(ctxPath, lq, page)
}

// choosePage renders the page of list the query asks for (caller holds s.mu). Within
// the received-time window the page is found by index; other filters scan the window
// and, with $count, keep counting past the page.
func (c *call) choosePage(list msgList, lq listQuery) listPage {
	lo, hi := lq.filter.bounds(list)
	at := func(k int) *message { // the k-th message of the window in the asked order
		if lq.desc {
			return list[hi-1-k]
		}
		return list[lo+k]
	}
	if len(lq.filter.preds) == 0 {
		total := hi - lo
		var items [][]byte
		for k := lq.skip; k < min(lq.skip+lq.top, total); k++ {
			items = append(items, c.renderMessage(at(k), lq.sel))
		}
		return listPage{items: items, more: lq.skip+lq.top < total, total: total}
	}
	page := listPage{total: -1}
	matched := 0
	for k := 0; k < hi-lo; k++ {
		m := at(k)
		if !lq.filter.match(m) {
			continue
		}
		matched++
		if matched <= lq.skip {
			continue
		}
		if len(page.items) < lq.top {
			page.items = append(page.items, c.renderMessage(m, lq.sel))
			continue
		}
		page.more = true
		if !lq.count {
			break
		}
	}
	if lq.count {
		page.total = matched
	}
	return page
}

// writeList answers the page, with @odata.count when asked and an @odata.nextLink
// that repeats the query with the next $skip.
func (c *call) writeList(ctxPath string, lq listQuery, page listPage) {
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+ctxPath)
	if lq.count {
		o.num("@odata.count", page.total)
	}
	o.raw("value", arr(page.items))
	if page.more {
		next := url.Values{}
		for k, v := range c.r.URL.Query() {
			next[k] = v
		}
		next.Set("$top", strconv.Itoa(lq.top))
		next.Set("$skip", strconv.Itoa(lq.skip+lq.top))
		o.str("@odata.nextLink", c.base+strings.TrimPrefix(c.r.URL.Path, "/v1.0")+"?"+next.Encode())
	}
	c.ok(http.StatusOK, o.done())
}
