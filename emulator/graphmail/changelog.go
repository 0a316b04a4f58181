package graphmail

import (
	"slices"
	"sort"
)

// How the store changes messages, and the change log delta reads: each folder keeps
// its messages sorted by received time and a log of what was placed, updated and
// removed, stamped with the store-wide change sequence. The primitives here place,
// touch, move and delete a message (the caller holds s.mu for writing).

type logEntry struct {
	seq     uint64
	m       *message
	removed bool
	regID   string // regular id at removal time (removed entries)
}

// msgList is kept sorted by (received, order) ascending.
type msgList []*message

func less(a, b *message) bool {
	if !a.received.Equal(b.received) {
		return a.received.Before(b.received)
	}
	return a.order < b.order
}

func (l *msgList) insert(m *message) {
	s := *l
	i := sort.Search(len(s), func(i int) bool { return less(m, s[i]) })
	s = append(s, nil)
	copy(s[i+1:], s[i:])
	s[i] = m
	*l = s
}

func (l *msgList) remove(m *message) {
	s := *l
	i := sort.Search(len(s), func(i int) bool { return !less(s[i], m) })
	for ; i < len(s); i++ {
		if s[i] == m {
			*l = slices.Delete(s, i, i+1)
			return
		}
	}
}

func (s *Store) nextSeq() uint64 { s.seq++; return s.seq }

// placeLocked puts a new message in folder f and logs the change.
func (s *Store) placeLocked(f *folder, m *message) {
	mb := f.mbx
	if m.order == 0 {
		s.counter++
		m.order = s.counter
	}
	if m.immID == "" {
		m.immID = immutableID(mb.ID, m.order)
	}
	m.mbx = mb
	m.folder = f
	m.regID = regularID(mb.ID, m.immID, m.moves)
	m.changeSeq = s.nextSeq()
	m.placedSeq = m.changeSeq
	f.msgs.insert(m)
	mb.all.insert(m)
	mb.byID[m.regID] = m
	mb.byID[m.immID] = m
	if !m.isRead {
		f.unread++
	}
	f.log = append(f.log, logEntry{seq: m.changeSeq, m: m})
}

// touchLocked records an update of m in its folder.
func (s *Store) touchLocked(m *message) {
	m.changeSeq = s.nextSeq()
	m.modified = s.now()
	m.folder.log = append(m.folder.log, logEntry{seq: m.changeSeq, m: m})
}

// unlinkLocked takes m out of its folder, logging an @removed entry.
func (s *Store) unlinkLocked(m *message) {
	f := m.folder
	f.msgs.remove(m)
	if !m.isRead {
		f.unread--
	}
	f.log = append(f.log, logEntry{seq: s.nextSeq(), m: m, removed: true, regID: m.regID})
	delete(m.mbx.byID, m.regID)
	m.folder = nil
}

// moveLocked moves m to dest: a new regular id, the same immutable id.
func (s *Store) moveLocked(m *message, dest *folder) {
	if m.folder == dest {
		return
	}
	mb := m.mbx
	s.unlinkLocked(m)
	mb.all.remove(m)
	m.moves++
	m.modified = s.now()
	s.placeLocked(dest, m)
}

// deleteLocked removes m from the mailbox for good.
func (s *Store) deleteLocked(m *message) {
	mb := m.mbx
	s.unlinkLocked(m)
	mb.all.remove(m)
	delete(mb.byID, m.immID)
}

func (s *Store) setReadLocked(m *message, read bool) {
	if m.isRead == read {
		return
	}
	m.isRead = read
	if read {
		m.folder.unread--
	} else {
		m.folder.unread++
	}
}

// ExpireDeltaTokens invalidates every delta token (and in-progress nextLink)
// issued for a mailbox folder, so the next delta call with one answers as an
// expired sync state and the client must resync.
func (s *Store) ExpireDeltaTokens(mailboxID, folderKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb := s.lookupLocked(mailboxID)
	if mb == nil {
		return ErrNoMailbox
	}
	f := mb.folder(folderKey)
	if f == nil {
		return ErrNoFolder
	}
	f.epoch++
	return nil
}
