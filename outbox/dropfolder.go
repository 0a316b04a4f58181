package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Drop-folder subfolders.
const (
	dropProcessing = "processing"
	dropAccepted   = "accepted"
	dropRejected   = "rejected"
)

// maxDropFile bounds a dropped file's size.
const maxDropFile = 4 << 20

// dropSettle is how long a file that is not yet a complete JSON value is left alone: a
// writer that does not follow the write-then-rename rule may still be writing it. After
// that it is taken and rejected with its reason.
const dropSettle = 10 * time.Second

// ErrDropIncomplete is matched by ParseDropFile's error for a file that ends before its
// JSON value does (empty, or cut off): possibly still being written.
var ErrDropIncomplete = errors.New("the file ends before its JSON value does (still being written?)")

// DropResult counts what one scan of the drop folder did.
type DropResult struct {
	Accepted int // enqueued (approved or awaiting approval)
	Rejected int // moved to rejected/ with a .reason.txt
	// Waiting counts files left for a later scan: incomplete and changed within the
	// last few seconds (a writer may still be at it).
	Waiting int
	// Failed lists files that could not even be moved aside (name: reason); they are
	// tried again by the next scan and never stop the other files.
	Failed []string
}

// ParseDropFile reads one dropped file's content: exactly one JSON object with the fields
// of NewMessage (unknown fields refused), at most 4 MiB. The key defaults to the file's
// name and a hash of its content, so a crash between enqueue and move never queues a
// file twice. A file that ends early matches ErrDropIncomplete.
func ParseDropFile(name string, data []byte) (NewMessage, error) {
	if len(data) > maxDropFile {
		return NewMessage{}, fmt.Errorf("file is larger than %d bytes", maxDropFile)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return NewMessage{}, ErrDropIncomplete
	}
	var n NewMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return NewMessage{}, ErrDropIncomplete
		}
		return NewMessage{}, errors.New("not a valid outgoing message JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return NewMessage{}, errors.New("not a valid outgoing message JSON: more than one JSON value")
	}
	if n.Key == "" {
		sum := sha256.Sum256(data)
		n.Key = "file:" + name + ":" + hex.EncodeToString(sum[:12])
	}
	return n, nil
}

// ScanDropFolder claims every complete *.json file in dir (one NewMessage each, see the
// package doc), enqueues it and moves it aside: to accepted/ when enqueued, to rejected/
// with a NAME.reason.txt beside it when it is unreadable, malformed or the policy
// refuses it. Writers follow the write-then-rename rule (README): write the message
// under a name the scan ignores — one starting with "." or not ending in .json, such as
// ".msg.json.tmp" or "msg.json.part" — then rename it to NAME.json. A .json file that is
// not yet a complete JSON value and changed within the last few seconds is left for a
// later scan. A file is claimed by renaming it into processing/ first, so two scanners
// never take the same file. Files left in processing/ by a crash are finished first; the
// enqueue is idempotent (the key defaults to the file's name and content hash), so a
// crash never queues a file twice. One bad or unreadable file never stops the others.
func (o *Outbox) ScanDropFolder(ctx context.Context, dir string) (DropResult, error) {
	var res DropResult
	for _, sub := range []string{dropProcessing, dropAccepted, dropRejected} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return res, fmt.Errorf("outbox folder: %w", err)
		}
	}
	proc := filepath.Join(dir, dropProcessing)
	left, err := jsonFiles(proc)
	if err != nil {
		return res, err
	}
	fresh, err := jsonFiles(dir)
	if err != nil {
		return res, err
	}
	for _, name := range fresh {
		if stillWriting(filepath.Join(dir, name)) {
			res.Waiting++
			continue
		}
		// Never rename over a file a crash left in processing/.
		dst := freeName(proc, name)
		if err := os.Rename(filepath.Join(dir, name), dst); err != nil {
			if !errors.Is(err, os.ErrNotExist) { // else another scanner claimed it
				res.Failed = append(res.Failed, fmt.Sprintf("%s: cannot claim: %v", name, err))
			}
			continue
		}
		left = append(left, filepath.Base(dst))
	}
	for _, name := range left {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		ok, err := o.dropOne(ctx, dir, name)
		var fe *dropFileError
		switch {
		case errors.As(err, &fe):
			res.Failed = append(res.Failed, name+": "+fe.Error())
		case err != nil:
			return res, err // the store failed: the file stays in processing/ for the next scan
		case ok:
			res.Accepted++
		default:
			res.Rejected++
		}
	}
	return res, nil
}

// stillWriting reports whether the file at p is an incomplete JSON value changed within
// dropSettle: a writer that skipped the write-then-rename rule may still be at it.
func stillWriting(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || time.Since(fi.ModTime()) > dropSettle {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false // unreadable: claimed and moved aside with its reason
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDropFile+1))
	f.Close()
	if err != nil {
		return false
	}
	_, err = ParseDropFile(filepath.Base(p), data)
	return errors.Is(err, ErrDropIncomplete)
}

// dropFileError is a problem with one file that could not be moved aside; the scan goes
// on with the others.
type dropFileError struct{ err error }

func (e *dropFileError) Error() string { return e.err.Error() }
func (e *dropFileError) Unwrap() error { return e.err }

func jsonFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read outbox folder: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(n, ".") && strings.EqualFold(filepath.Ext(n), ".json") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// dropOne enqueues processing/name; true when accepted. A file it cannot read or parse
// is moved to rejected/ with the reason; a *dropFileError when even that fails.
func (o *Outbox) dropOne(ctx context.Context, dir, name string) (bool, error) {
	src := filepath.Join(dir, dropProcessing, name)
	reject := func(reason string) (bool, error) {
		dst := freeName(filepath.Join(dir, dropRejected), name)
		if err := writeFileAtomic(dst+".reason.txt", []byte(reason+"\n")); err != nil {
			return false, &dropFileError{fmt.Errorf("cannot write the reason (%s): %w", reason, err)}
		}
		if err := os.Rename(src, dst); err != nil {
			return false, &dropFileError{fmt.Errorf("cannot move to rejected/ (%s): %w", reason, err)}
		}
		return false, nil
	}
	open := o.openDrop
	if open == nil {
		open = func(name string) (io.ReadCloser, error) { return os.Open(name) }
	}
	f, err := open(src)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the reason, without the full path
		}
		return reject(fmt.Sprintf("cannot read the file: %v", err))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDropFile+1))
	f.Close()
	if err != nil {
		return reject(fmt.Sprintf("cannot read the file: %v", err))
	}
	n, err := ParseDropFile(name, data)
	if errors.Is(err, ErrDropIncomplete) {
		return reject("not a valid outgoing message JSON: " + err.Error() + "; write the file under a temporary name and rename it to .json when complete")
	}
	if err != nil {
		return reject(err.Error())
	}
	m, err := o.Enqueue(ctx, n)
	if errors.Is(err, ErrInvalid) {
		return reject(err.Error())
	}
	if err != nil {
		return false, err // the file stays in processing/ for the next scan
	}
	if m.State == StateRejected {
		return reject(fmt.Sprintf("rejected by the outbox policy (outbox id %s): %s", m.ID, m.Reason))
	}
	dst := freeName(filepath.Join(dir, dropAccepted), name)
	if err := os.Rename(src, dst); err != nil {
		return false, &dropFileError{fmt.Errorf("enqueued as %s but cannot move to accepted/: %w", m.ID, err)}
	}
	return true, nil
}

// freeName returns dir/name, or dir/base-N.ext when that exists, so nothing is overwritten.
func freeName(dir, name string) string {
	p := filepath.Join(dir, name)
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
	}
}

// writeFileAtomic writes a temp file in the same folder, syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
