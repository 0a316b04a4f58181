package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// This file is the "Outgoing mail" tab of the last step, shown when the connection
// sends: the sending policy kept in the config's outbox section, and the messages of the
// outbox (connection.OutboxService) that wait for a person's approval, with Approve and Reject.
// Sending itself is the outbox engine's job: beside the sync in the Sync tab
// (connection.Run, started by the Sync tab), or headless with `m365connect outbox run`.

// outboxPanel edits the policy and acts on pending messages.
type outboxPanel struct {
	z *Wizard

	// The policy as the config will carry it; set records that the config has (or
	// will get) an outbox section at all.
	settings wizard.OutboxSettings
	set      bool

	senders    *fyne.Container
	external   *widget.Check
	approval   *widget.Check
	policyNote *widget.Label

	refreshB *widget.Button
	list     *fyne.Container
	empty    *widget.Label
	status   *widget.Label
	howto    *widget.Label
	rows     map[string]*outboxRow // pending messages by outbox id
	gen      int

	// reason is the entry of the open Reject dialog (tests type into it).
	reason *widget.Entry
	root   fyne.CanvasObject
}

// outboxRow is one pending message.
type outboxRow struct {
	msg     conn.OutboxMessage
	approve *widget.Button
	reject  *widget.Button
	box     fyne.CanvasObject
}

func newOutboxPanel(z *Wizard) *outboxPanel {
	p := &outboxPanel{z: z, settings: wizard.OutboxSettings{Policy: wizard.OutboxPolicy{RequireApproval: true}}, rows: map[string]*outboxRow{}}
	p.senders = container.NewVBox()
	p.external = widget.NewCheck("Allow recipients outside the organisation (else only the sender's own domain)", nil)
	p.approval = widget.NewCheck("Hold every message until someone approves it here (or with `m365connect outbox approve`)", nil)
	p.policyNote = wrapLabel("")
	p.policyNote.Importance = widget.LowImportance
	p.refreshB = widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), p.refresh)
	p.list = container.NewVBox()
	p.empty = wrapLabel("Nothing is waiting for approval.")
	p.status = wrapLabel("")
	p.howto = wrapLabel("")
	p.howto.Importance = widget.LowImportance
	p.root = container.NewVBox(
		container.NewBorder(nil, nil, heading("Outgoing mail waiting for approval"), p.refreshB),
		p.empty,
		p.list,
		p.status,
		p.howto,
		widget.NewSeparator(),
		heading("Sending policy"),
		wrapLabel("Mailboxes that may send (unticked ones never can):"),
		p.senders,
		p.external, p.approval,
		p.policyNote,
	)
	return p
}

// load takes the policy from an imported config (nil: none, the safe default).
func (p *outboxPanel) load(o *wizard.OutboxSettings) {
	p.settings, p.set = wizard.OutboxSettings{Policy: wizard.OutboxPolicy{RequireApproval: true}}, false
	if o != nil {
		p.settings, p.set = *o, true
		p.settings.Policy.AllowedSenders = slices.Clone(o.Policy.AllowedSenders)
		p.settings.Policy.InternalDomains = slices.Clone(o.Policy.InternalDomains)
	}
}

// section is the config's outbox section, with senders no longer connected left out
// (the config would not validate with them).
func (p *outboxPanel) section(c *wizard.Config) *wizard.OutboxSettings {
	if !p.set || !c.Features.Send {
		return nil
	}
	o := p.settings
	o.Policy.AllowedSenders = nil
	for _, a := range p.settings.Policy.AllowedSenders {
		if c.HasMailbox(a) {
			o.Policy.AllowedSenders = append(o.Policy.AllowedSenders, a)
		}
	}
	o.Policy.InternalDomains = slices.Clone(p.settings.Policy.InternalDomains)
	return &o
}

// enter redraws the policy for the current mailboxes and reloads the list.
func (p *outboxPanel) enter() {
	pol := p.settings.Policy
	p.senders.Objects = nil
	for _, m := range p.z.state.Mailboxes {
		addr := m.Address
		c := widget.NewCheck(addr, nil)
		c.Checked = slices.ContainsFunc(pol.AllowedSenders, func(s string) bool {
			return strings.EqualFold(s, m.Address) || (m.ID != "" && strings.EqualFold(s, m.ID))
		})
		c.OnChanged = func(on bool) { p.setSender(addr, on) }
		p.senders.Add(c)
	}
	p.senders.Refresh()
	p.external.OnChanged = nil
	p.approval.OnChanged = nil
	p.external.SetChecked(pol.AllowExternal)
	p.approval.SetChecked(pol.RequireApproval)
	p.external.OnChanged = func(on bool) { p.settings.Policy.AllowExternal = on; p.changed() }
	p.approval.OnChanged = func(on bool) { p.settings.Policy.RequireApproval = on; p.changed() }
	p.notePolicy("")
	p.refresh()
}

func (p *outboxPanel) setSender(addr string, on bool) {
	pol := &p.settings.Policy
	pol.AllowedSenders = slices.DeleteFunc(pol.AllowedSenders, func(s string) bool { return strings.EqualFold(s, addr) })
	if on {
		pol.AllowedSenders = append(pol.AllowedSenders, addr)
	}
	p.changed()
}

// changed keeps an edited policy: at once in config.json when the connection is saved,
// else with the next Save.
func (p *outboxPanel) changed() {
	p.set = true
	z := p.z
	if !z.state.Locked {
		p.notePolicy("The policy is saved with the connection (Connection tab).")
		return
	}
	c := z.saveConfig()
	err := c.Validate()
	if err == nil {
		err = c.Save(z.ConfigPath())
	}
	if err != nil {
		p.notePolicy("Policy not saved: " + err.Error())
		return
	}
	p.notePolicy("Policy saved in " + z.ConfigPath() + ".")
}

func (p *outboxPanel) notePolicy(extra string) {
	pol := p.settings.Policy
	var s string
	switch {
	case len(pol.AllowedSenders) == 0:
		s = "No mailbox may send yet: every queued message is rejected with the reason on record."
	case pol.RequireApproval:
		s = "Messages from the ticked mailboxes wait below until approved."
	default:
		s = "Messages from the ticked mailboxes leave without approval."
	}
	if extra != "" {
		s += " " + extra
	}
	p.policyNote.SetText(s)
}

// service is the outbox of the config being edited (connection.OutboxService).
func (p *outboxPanel) service() (conn.OutboxService, error) {
	c := p.z.saveConfig()
	dataDir := ""
	if c.Outbox == nil || c.Outbox.Database == "" || c.Outbox.Folder == "" {
		var err error
		if dataDir, err = p.z.dataDir(); err != nil {
			return conn.OutboxService{}, err
		}
	}
	return conn.OutboxFor(c, dataDir), nil
}

// refresh takes files dropped into the folder into the outbox (the policy decides) and
// lists what waits for approval. It creates no file when there is no outbox yet.
func (p *outboxPanel) refresh() {
	z := p.z
	svc, err := p.service()
	if err != nil {
		p.status.SetText("Cannot find the outbox: " + err.Error())
		return
	}
	db, folder := svc.Database, svc.Folder
	p.howto.SetText("To queue a message: m365connect send --config " + z.ConfigPath() +
		" --from MAILBOX --to ADDRESS --subject TEXT --text TEXT, or drop a .json file into " + folder +
		" (Refresh takes it in). Approved messages are sent while the Sync tab runs, or by m365connect outbox run --config " + z.ConfigPath())
	p.gen++
	gen := p.gen
	p.refreshB.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		msgs, dropped, err := svc.Pending(ctx)
		z.do(func() {
			p.refreshB.Enable()
			if gen != p.gen {
				return
			}
			if err != nil {
				p.status.SetText("Could not read the outbox " + db + ": " + err.Error())
				return
			}
			switch {
			case dropped.Rejected > 0:
				p.status.SetText(fmt.Sprintf("Took %d file(s) from the drop folder; %d refused: the reasons are in %s.", dropped.Accepted+dropped.Rejected, dropped.Rejected, filepath.Join(folder, "rejected")))
			case dropped.Accepted > 0:
				p.status.SetText(fmt.Sprintf("Took %d file(s) from the drop folder.", dropped.Accepted))
			}
			p.render(msgs)
		})
	}()
}

func (p *outboxPanel) render(msgs []conn.OutboxMessage) {
	p.rows = map[string]*outboxRow{}
	p.list.Objects = nil
	for _, m := range msgs {
		r := p.newRow(m)
		p.rows[m.ID] = r
		p.list.Add(r.box)
	}
	if len(msgs) == 0 {
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	p.list.Refresh()
	p.z.refresh()
}

func (p *outboxPanel) newRow(m conn.OutboxMessage) *outboxRow {
	r := &outboxRow{msg: m}
	subject := m.Subject
	if strings.TrimSpace(subject) == "" {
		subject = "(no subject)"
	}
	to := strings.Join(append(slices.Clone(m.To), m.Cc...), ", ")
	title := widget.NewLabelWithStyle(subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	meta := widget.NewLabel("Queued " + m.Created.Local().Format("2006-01-02 15:04") + " · from " + m.From + " to " + to)
	meta.Wrapping = fyne.TextWrapWord
	meta.SizeName = theme.SizeNameCaptionText
	r.approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() { p.approve(m) })
	r.approve.Importance = widget.SuccessImportance
	r.reject = widget.NewButtonWithIcon("Reject", theme.CancelIcon(), func() { p.askReject(m) })
	r.reject.Importance = widget.DangerImportance
	// Show: everything the approver approves (headers, body as text, attachments).
	show := widget.NewButtonWithIcon("Show", theme.VisibilityIcon(), func() {
		text := widget.NewLabel(conn.RenderOutboxMessage(m))
		text.Wrapping = fyne.TextWrapWord
		scroll := container.NewVScroll(text)
		scroll.SetMinSize(fyne.NewSize(560, 360))
		dialog.ShowCustom("Message "+m.ID, "Close", scroll, p.z.win)
	})
	r.box = container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(show, r.approve, r.reject)), container.NewVBox(title, meta))
	return r
}

func (p *outboxPanel) approve(m conn.OutboxMessage) {
	p.act(m, "Approved", "It is sent while the Sync tab runs (or by `m365connect outbox run`).", func(ctx context.Context, svc conn.OutboxService) error { return svc.Approve(ctx, m.ID) })
}

// askReject asks for the reason, which is kept on record.
func (p *outboxPanel) askReject(m conn.OutboxMessage) {
	reason := widget.NewEntry()
	reason.SetPlaceHolder("e.g. wrong recipient")
	reason.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("say why (kept on record)")
		}
		return nil
	}
	p.reason = reason
	item := widget.NewFormItem("Reason", reason)
	item.HintText = "Kept on record with the message; it will not be sent."
	d := dialog.NewForm("Reject “"+m.Subject+"”?", "Reject", "Cancel",
		[]*widget.FormItem{item}, func(ok bool) {
			p.reason = nil
			if !ok {
				return
			}
			why := strings.TrimSpace(reason.Text)
			p.act(m, "Rejected", "", func(ctx context.Context, svc conn.OutboxService) error { return svc.Reject(ctx, m.ID, why) })
		}, p.z.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
	p.z.win.Canvas().Focus(reason)
}

// act runs one change on a message, then reloads the list.
func (p *outboxPanel) act(m conn.OutboxMessage, done, next string, f func(context.Context, conn.OutboxService) error) {
	z := p.z
	svc, err := p.service()
	if err != nil {
		p.status.SetText("Cannot find the outbox: " + err.Error())
		return
	}
	if r := p.rows[m.ID]; r != nil {
		r.approve.Disable()
		r.reject.Disable()
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := f(ctx, svc)
		z.do(func() {
			if err != nil {
				p.status.SetText("Not changed: " + err.Error())
			} else {
				p.status.SetText(strings.TrimSpace(fmt.Sprintf("%s “%s” (from %s). %s", done, m.Subject, m.From, next)))
			}
			p.refresh()
		})
	}()
}
