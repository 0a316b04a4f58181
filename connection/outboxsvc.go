package connection

import (
	"context"
	"errors"
	"os"

	"github.com/m365connect/m365connect/outbox"
	"github.com/m365connect/m365connect/wizard"
)

// The outbox as the window's Outgoing mail tab uses it: what waits for approval,
// Approve, Reject, and files dropped into the drop folder. Sending is connection.Run's
// job (or `m365connect outbox run`).

// OutboxMessage is one message of the outbox (plain data, package outbox's record).
type OutboxMessage = outbox.Message

// DropResult counts what a scan of the drop folder took in.
type DropResult = outbox.DropResult

// OutboxService acts on a config's outbox. Each call opens the outbox database for that
// call only, so the sync's sender and `m365connect outbox` may use it in between.
type OutboxService struct {
	Database string
	Folder   string
	Policy   outbox.Policy
}

// OutboxFor is the outbox of config c: its files (OutboxFiles) and policy.
func OutboxFor(c *wizard.Config, dataDir string) OutboxService {
	db, folder := OutboxFiles(c, dataDir)
	return OutboxService{Database: db, Folder: folder, Policy: OutboxPolicy(c)}
}

// Pending takes files dropped into the folder into the outbox (the policy decides) and
// lists what waits for approval. It creates no file when there is neither an outbox
// database nor a drop folder yet.
func (s OutboxService) Pending(ctx context.Context) ([]OutboxMessage, DropResult, error) {
	var msgs []OutboxMessage
	var dropped DropResult
	folderExists := false
	if fi, err := os.Stat(s.Folder); err == nil && fi.IsDir() {
		folderExists = true
	}
	if _, err := os.Stat(s.Database); errors.Is(err, os.ErrNotExist) && !folderExists {
		return nil, dropped, nil
	}
	err := s.with(ctx, func(ob *outbox.Outbox) error {
		var err error
		if folderExists {
			if dropped, err = ob.ScanDropFolder(ctx, s.Folder); err != nil {
				return err
			}
		}
		msgs, err = ob.List(ctx, outbox.StatePendingApproval)
		return err
	})
	return msgs, dropped, err
}

// Approve approves a pending message in the name of this computer's user
// (outbox.DefaultApprover); it is sent by the next run of the sender.
func (s OutboxService) Approve(ctx context.Context, id string) error {
	by := outbox.DefaultApprover()
	return s.with(ctx, func(ob *outbox.Outbox) error { return ob.Approve(ctx, id, by) })
}

// Reject rejects a pending message; the reason is kept on record with it.
func (s OutboxService) Reject(ctx context.Context, id, reason string) error {
	return s.with(ctx, func(ob *outbox.Outbox) error { return ob.Reject(ctx, id, reason) })
}

func (s OutboxService) with(ctx context.Context, f func(*outbox.Outbox) error) error {
	ob, err := outbox.Open(ctx, s.Database, outbox.Options{Policy: s.Policy})
	if err != nil {
		return err
	}
	defer ob.Close()
	return f(ob)
}

// RenderOutboxMessage is everything an approver approves, as text: headers, the body
// as text, attachments.
func RenderOutboxMessage(m OutboxMessage) string { return outbox.Render(m) }
