package graphmail

import "net/http"

// The mail folder endpoints: list a mailbox's folders, get one, list the child folders
// of the root (https://learn.microsoft.com/en-us/graph/api/resources/mailfolder).

func (s *Store) serveFolderList(c *call, mb *mailbox) {
	s.mu.RLock()
	items := make([][]byte, len(mb.folders))
	for i, f := range mb.folders {
		items[i] = c.renderFolder(f)
	}
	s.mu.RUnlock()
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders")
	o.raw("value", arr(items))
	c.ok(http.StatusOK, o.done())
}

func (s *Store) serveFolderGet(c *call, mb *mailbox, key string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := mb.folder(key)
	if f == nil {
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	c.ok(http.StatusOK, withContext(c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders/$entity", c.renderFolder(f)))
}

func (s *Store) serveChildFolders(c *call, mb *mailbox, key string) {
	s.mu.RLock()
	f := mb.folder(key)
	var items [][]byte
	if f != nil && f.name == FolderRoot {
		for _, ch := range mb.folders {
			items = append(items, c.renderFolder(ch))
		}
	}
	s.mu.RUnlock()
	if f == nil {
		c.fail(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	o := newObj()
	o.str("@odata.context", c.base+"/$metadata#"+c.userPath(mb)+"/mailFolders('"+f.id+"')/childFolders")
	o.raw("value", arr(items))
	c.ok(http.StatusOK, o.done())
}
