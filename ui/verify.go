package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

type verifyScreen struct {
	z        *Wizard
	run      *widget.Button
	cancel   *widget.Button
	progress *widget.ProgressBar
	status   *widget.Label
	rows     *fyne.Container
	rowOf    map[string]fyne.CanvasObject // check ID → its row in rows
	results  []graph.CheckResult
	stop     context.CancelFunc
	// cancelled is set by the Cancel button, on the UI goroutine, for the run going on.
	// The run's outcome is decided from it and from the results, never from the run's
	// context: the worker cancels that itself when it ends (to free its resources), and
	// the real driver runs the queued completion only after that.
	cancelled bool
	// key is verifyKey() of the values the last run checked: a verification of other
	// values (another mode, app, secret or mailbox list) no longer counts.
	key  string
	root fyne.CanvasObject
}

func newVerifyScreen(z *Wizard) *verifyScreen {
	s := &verifyScreen{z: z}
	s.run = widget.NewButtonWithIcon("Run every check", theme.MediaPlayIcon(), s.start)
	s.run.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if s.stop != nil {
			s.cancelled = true
			s.status.SetText("Cancelling: the check under way stops…")
			s.stop()
		}
	})
	s.cancel.Hide()
	s.progress = widget.NewProgressBar()
	s.status = wrapLabel("Every check signs in, reads and (if chosen) sends a marked test message, exactly as the sync engine will.")
	s.rows = container.NewVBox()
	s.root = container.NewVBox(container.NewHBox(s.run, s.cancel), s.progress, s.status, s.rows)
	return s
}

func (s *verifyScreen) object() fyne.CanvasObject { return s.root }

func (s *verifyScreen) cancelAction() bool { return cancelFirst(nil, s.cancel) }

func (s *verifyScreen) enter() {
	if s.z.state.Verification != nil && s.stop == nil && !s.z.verificationCurrent() {
		s.z.state.Verification = nil
		s.status.SetText("The values changed since the checks last ran: run them again.")
	}
	if s.z.state.Verification == nil && s.stop == nil {
		s.rows.Objects = nil
		s.rows.Refresh()
		s.progress.SetValue(0)
	}
}

// verifyKey sums up every value the checks depend on: reachKey's connection values,
// the features, permissions and mailboxes.
func (z *Wizard) verifyKey() string {
	st := z.state
	h := sha256.New()
	h.Write([]byte(z.reachKey()))
	fmt.Fprintf(h, "\x00%+v\x00%q", st.Features(), st.Permissions)
	for _, m := range st.Mailboxes {
		fmt.Fprintf(h, "\x00%s\x00%s", strings.ToLower(m.Address), m.Kind)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// verificationCurrent reports whether the last verification checked the values as they
// are now.
func (z *Wizard) verificationCurrent() bool {
	vs, ok := z.screens[wizard.StepVerify].(*verifyScreen)
	return z.state.Verification != nil && ok && vs.key == z.verifyKey()
}

// start runs every check off the UI goroutine, one row per finished check.
func (s *verifyScreen) start() {
	z := s.z
	cfg := z.state.Config(z.opts.AppVersion, z.opts.Now())
	if _, err := conn.SettingsFor(cfg); err != nil {
		s.status.SetText("Cannot run the checks: " + err.Error())
		return
	}
	sec, err := conn.StateSecrets(z.state, z.delegated(), z.opts.Secrets)
	if err != nil {
		s.status.SetText("Cannot run the checks: " + err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.cancelled, s.key = cancel, false, z.verifyKey()
	z.state.Verification = nil
	z.refresh()
	s.run.Disable()
	s.cancel.Show()
	s.rows.Objects = nil
	s.rowOf = map[string]fyne.CanvasObject{}
	s.rows.Refresh()
	s.progress.SetValue(0)
	s.status.SetText("Running the checks…")
	vo := conn.VerifyOptions{DeliveryWait: z.opts.DeliveryWait, Now: z.opts.Now}
	go func() {
		defer cancel()
		// Every check, then the secret's or certificate's expiry, one row each.
		rs, err := conn.VerifyValues(ctx, cfg, sec, vo, func(done, total int, r graph.CheckResult) {
			z.do(func() {
				s.progress.SetValue(float64(done) / float64(total))
				s.status.SetText(fmt.Sprintf("%d of %d checks done…", done, total))
				s.rows.Add(s.row(r))
				s.z.refresh()
			})
		})
		z.do(func() {
			s.stop = nil
			s.run.Enable()
			s.cancel.Hide()
			if err != nil {
				s.status.SetText("The checks could not start: " + conn.AdviceText(graph.AdviceFor(err)))
				return
			}
			s.results = rs
			v := conn.VerificationFrom(rs, z.opts.Now())
			if s.cancelled {
				v.Passed = false
			}
			z.state.Verification = v
			switch {
			case s.cancelled:
				s.status.SetText("Cancelled: the checks not run are marked skipped. Run them again when ready.")
			case v.Passed:
				s.status.SetText("Every check passed. Press Next to save the verified connection.")
			default:
				s.status.SetText("Some checks failed. Each failure says what to do; the button beside it goes to the step that fixes it.")
			}
			z.refresh()
			if !v.Passed && !s.cancelled {
				s.showFirstFailure(rs)
			}
		})
	}()
}

// row shows one result: icon, title, what was seen, details and advice.
func (s *verifyScreen) row(r graph.CheckResult) fyne.CanvasObject {
	var icon fyne.Resource = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	switch r.Status {
	case graph.StatusFail:
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
	case graph.StatusWarn:
		icon = theme.NewWarningThemedResource(theme.WarningIcon())
	case graph.StatusSkip:
		icon = theme.NewDisabledResource(theme.MediaSkipNextIcon())
	}
	title := widget.NewLabelWithStyle(r.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	lines := container.NewVBox(title)
	if r.Seen != "" {
		lines.Add(wrapLabel(r.Seen))
	}
	switch d := r.Data.(type) {
	case []graph.MessageSummary:
		for _, m := range d {
			lines.Add(wrapLabel("• " + graph.ReadDetail(m))) // sender, recipients, subject, received, first lines
		}
	case graph.SendResult:
		var parts []string
		parts = append(parts, graph.SendDetail(d)) // from, to, subject with marker, sent and arrival time
		if d.InSentItems {
			parts = append(parts, "in Sent Items")
		}
		if d.Delivered {
			parts = append(parts, "arrived in the recipient's Inbox")
		}
		lines.Add(wrapLabel("Test message: " + strings.Join(parts, ", ") + "."))
	}
	var fix fyne.CanvasObject
	if r.Advice != nil && r.Status != graph.StatusPass {
		adv := wrapLabel(conn.AdviceText(*r.Advice))
		adv.Importance = widget.WarningImportance
		lines.Add(adv)
		if step := wizard.StepID(r.Advice.Step); step != "" && step != wizard.StepVerify {
			title := step
			for _, st := range wizard.Steps() {
				if st.ID == step {
					title = wizard.StepID(st.Title)
				}
			}
			fix = widget.NewButtonWithIcon("Fix in "+string(title), theme.NavigateBackIcon(), func() { _ = s.z.GoTo(step) })
		}
	}
	row := container.NewBorder(nil, widget.NewSeparator(), widget.NewIcon(icon), fix, lines)
	if s.rowOf != nil {
		s.rowOf[r.ID] = row
	}
	return row
}

// showFirstFailure scrolls the step to the first failed check: with a dozen checks the
// failure was below the window's edge, out of sight under "Some checks failed".
func (s *verifyScreen) showFirstFailure(rs []graph.CheckResult) {
	for _, r := range rs {
		row, ok := s.rowOf[r.ID]
		if r.Status != graph.StatusFail || !ok {
			continue
		}
		s.root.Refresh() // lay the new rows out, so their positions are known
		y := s.rows.Position().Y + row.Position().Y
		s.z.scroll.ScrollToOffset(fyne.NewPos(0, y))
		return
	}
}
