package mailsync

import (
	"context"
	"errors"
	"testing"
	"time"
)

// stopStore fails ApplyPage for one folder: with err, or (block) by waiting for the
// context to end and answering its error, as a SQLite call does when the mailbox's
// round is cancelled under it.
type stopStore struct {
	*SQLiteStore
	folder string
	err    error
	block  bool
}

func (s *stopStore) ApplyPage(ctx context.Context, st FolderState, page Page) (FolderState, PageResult, error) {
	if st.Folder == s.folder {
		if s.block {
			<-ctx.Done()
			return st, PageResult{}, ctx.Err()
		}
		return st, PageResult{}, s.err
	}
	return s.SQLiteStore.ApplyPage(ctx, st, page)
}

// folderSource answers one folder with a fixed error and the rest from the fake.
type folderSource struct {
	*fakeSource
	folder string
	err    error
}

func (f *folderSource) DeltaPage(ctx context.Context, req PageRequest) (Page, error) {
	if req.Folder == f.folder {
		return Page{}, f.err
	}
	return f.fakeSource.DeltaPage(ctx, req)
}

func folderState(t *testing.T, e *Engine, mb, folder string) FolderStatus {
	t.Helper()
	for _, m := range e.Status().Mailboxes {
		if m.ID != mb {
			continue
		}
		for _, f := range m.Folders {
			if f.Folder == folder {
				return f
			}
		}
	}
	t.Fatalf("no status for %s/%s", mb, folder)
	return FolderStatus{}
}

// A store call that fails ends the folder's round as failed, with the error shown, not
// "syncing" for ever.
func TestFolderStoreFailureIsShown(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.gen("alice", "inbox", 10, clock.now)
	f.gen("alice", "sentitems", 10, clock.now)
	s := &stopStore{SQLiteStore: openTemp(t), folder: "sentitems", err: errors.New("disk I/O error")}
	e, err := NewEngine(s, f, testOptions(clock, "alice"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("Run succeeded with a failing store")
	}
	fs := folderState(t, e, "alice", "sentitems")
	if fs.State != StateError || fs.LastError == "" {
		t.Fatalf("sentitems: state %s, error %q; want error with the cause", fs.State, fs.LastError)
	}
	if in := folderState(t, e, "alice", "inbox"); in.State != StateDone {
		t.Fatalf("inbox: state %s, want done", in.State)
	}
}

// A folder whose store call is cancelled because the other folder's 403 stopped the
// mailbox ends idle, while the 403 folder shows its error (before: "syncing" for ever,
// the Sync tab's spinner never stopped).
func TestFolderCancelledByAnotherFolderEndsIdle(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFake()
	f.gen("alice", "sentitems", 10, clock.now)
	src := &folderSource{fakeSource: f, folder: "inbox", err: &fakeErr{status: 403, code: "ErrorAccessDenied"}}
	s := &stopStore{SQLiteStore: openTemp(t), folder: "sentitems", block: true}
	e, err := NewEngine(s, src, testOptions(clock, "alice"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err == nil {
		t.Fatal("Run succeeded with a 403 folder")
	}
	in := folderState(t, e, "alice", "inbox")
	if in.State != StateError || in.Failure.Status != 403 {
		t.Fatalf("inbox: state %s failure %+v; want error with status 403", in.State, in.Failure)
	}
	if sent := folderState(t, e, "alice", "sentitems"); sent.State == StateSyncing {
		t.Fatalf("sentitems still syncing after the mailbox stopped")
	}
}
