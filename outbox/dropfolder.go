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
)

// Drop-folder subfolders.
const (
	dropProcessing = "processing"
	dropAccepted   = "accepted"
	dropRejected   = "rejected"
)

// maxDropFile bounds a dropped file's size.
const maxDropFile = 4 << 20

// DropResult counts what one scan of the drop folder did.
type DropResult struct {
	Accepted int // enqueued (approved or awaiting approval)
	Rejected int // moved to rejected/ with a .reason.txt
}

// ScanDropFolder claims every *.json file in dir (one NewMessage each, see the package
// doc), enqueues it and moves it aside: to accepted/ when enqueued, to rejected/ with a
// NAME.reason.txt beside it when it is malformed or the policy refuses it. A file is
// claimed by renaming it into processing/ first, so two scanners never take the same
// file and a half-written file is never read if writers create it under another name
// (e.g. ".name.tmp") and rename it into place. Files left in processing/ by a crash are
// finished first; the enqueue is idempotent (the key defaults to the file's name and
// content hash), so a crash never queues a file twice.
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
		// Never rename over a file a crash left in processing/.
		dst := freeName(proc, name)
		if err := os.Rename(filepath.Join(dir, name), dst); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // another scanner claimed it
			}
			return res, fmt.Errorf("claim %s: %w", name, err)
		}
		left = append(left, filepath.Base(dst))
	}
	for _, name := range left {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		ok, err := o.dropOne(ctx, dir, name)
		if err != nil {
			return res, err
		}
		if ok {
			res.Accepted++
		} else {
			res.Rejected++
		}
	}
	return res, nil
}

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

// dropOne enqueues processing/name; true when accepted.
func (o *Outbox) dropOne(ctx context.Context, dir, name string) (bool, error) {
	src := filepath.Join(dir, dropProcessing, name)
	reject := func(reason string) (bool, error) {
		dst := freeName(filepath.Join(dir, dropRejected), name)
		if err := writeFileAtomic(dst+".reason.txt", []byte(reason+"\n")); err != nil {
			return false, err
		}
		if err := os.Rename(src, dst); err != nil {
			return false, fmt.Errorf("move %s to rejected: %w", name, err)
		}
		return false, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDropFile+1))
	f.Close()
	if err != nil {
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxDropFile {
		return reject(fmt.Sprintf("file is larger than %d bytes", maxDropFile))
	}
	var n NewMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return reject("not a valid outgoing message JSON: " + err.Error())
	}
	if dec.More() {
		return reject("not a valid outgoing message JSON: more than one JSON value")
	}
	if n.Key == "" {
		sum := sha256.Sum256(data)
		n.Key = "file:" + name + ":" + hex.EncodeToString(sum[:12])
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
		return false, fmt.Errorf("move %s to accepted: %w", name, err)
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
