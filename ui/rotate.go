package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// Reset on the last step asks what the admin wants: rotate the saved connection's
// secret or certificate (connection.RotateSaved: one administrator sign-in, progress and
// Cancel, the new secret filled in and every check run again, the connection staying
// locked), or change values (unlocked, back to App registration).

// rotatePanel is the Connection tab's rotation: its progress, steps and Cancel.
type rotatePanel struct {
	z      *Wizard
	box    *fyne.Container
	busy   *widget.ProgressBarInfinite
	steps  *widget.Label
	status *widget.Label
	cancel *widget.Button
	stop   context.CancelFunc
	// userCancelled is set by Cancel only (on the UI goroutine).
	userCancelled bool
	lines         map[string]string
	order         []string

	// The Reset choice while it is open (tests press its buttons).
	choice         dialog.Dialog
	rotateB, editB *widget.Button
}

func newRotatePanel(z *Wizard) *rotatePanel {
	r := &rotatePanel{z: z}
	r.busy = widget.NewProgressBarInfinite()
	r.steps = wrapLabel("")
	r.status = wrapLabel("")
	r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if r.stop != nil {
			r.userCancelled = true
			r.stop()
		}
	})
	r.cancel.Hide() // shown while a rotation runs
	r.box = container.NewVBox(heading("Rotating the credential"), r.busy, r.steps, container.NewHBox(r.cancel), r.status)
	r.box.Hide()
	return r
}

// rotatable reports whether the open connection's credential can be rotated here.
func (z *Wizard) rotatable() bool {
	st := z.state
	return st.ClientID != "" && conn.CanRotate(st.Mode, st.CertFile == wizard.CertFileInKeyring)
}

// askReset offers the choice Reset leads to; without a credential to rotate it goes
// straight to changing values.
func (s *saveScreen) askReset() {
	if !s.z.rotatable() {
		s.doReset()
		return
	}
	r := s.rotation
	what := "secret"
	if s.z.state.Mode == wizard.ModeCertificate {
		what = "certificate"
	}
	r.rotateB = widget.NewButtonWithIcon("Rotate the "+what, theme.ViewRefreshIcon(), func() { r.choice.Hide(); r.run() })
	r.rotateB.Importance = widget.HighImportance
	r.editB = widget.NewButtonWithIcon("Change values", theme.DocumentCreateIcon(), func() { r.choice.Hide(); s.doReset() })
	msg := wrapLabel("Rotate the " + what + ": an administrator signs in once; a new " + what + " is added, checked and stored in the keyring, the old one is removed, and every check runs again. The connection stays saved and locked.\n\n" +
		"Change values: the settings unlock and you go back to App registration; verify and save again afterwards.")
	d := dialog.NewCustomWithoutButtons("Reset the saved connection", msg, s.z.win)
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), r.editB, r.rotateB})
	d.Resize(fyne.NewSize(560, 0))
	r.choice = d
	d.Show()
}

// run rotates off the UI goroutine, then verifies with the new credential.
func (r *rotatePanel) run() {
	z := r.z
	s := z.screens[wizard.StepSave].(*saveScreen)
	s.sync.stop(nil) // it uses the credential about to be replaced
	cfg := z.saveConfig()
	if _, err := conn.CloudFor(cfg.Cloud, cfg.Practice); err != nil {
		r.status.SetText("Cannot rotate: " + err.Error())
		r.box.Show()
		return
	}
	// Read on the UI goroutine what the worker needs.
	oldSecret, key, path, src := z.state.ClientSecret, z.secretKey(cfg, wizard.SecretClientSecret), z.ConfigPath(), z.secretSource()
	secrets, open, now := z.opts.Secrets, z.opts.OpenBrowser, z.opts.Now
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.userCancelled = cancel, false
	r.lines, r.order = map[string]string{}, nil
	r.steps.SetText("")
	r.status.SetText("Waiting for the administrator's sign-in in the browser…")
	r.box.Show()
	r.busy.Show()
	r.busy.Start()
	r.cancel.Show()
	s.reset.Disable()
	go func() {
		defer cancel()
		admin, err := conn.AdminSignIn(ctx, cfg, conn.AdminSignInOptions{Browser: conn.Browser{Open: open, Timeout: 10 * time.Minute,
			OnURL: func(u string) {
				z.do(func() {
					if r.stop != nil {
						r.status.SetText("Waiting for the administrator's sign-in. If no browser opened, open this address: " + u)
					}
				})
			}}})
		var res conn.RotationResult
		if err == nil {
			res, err = conn.RotateAndVerify(ctx, conn.RotateAndVerifyOptions{
				RotateSavedOptions: conn.RotateSavedOptions{Config: cfg, Admin: admin, Keyring: conn.StoreKeyring{Store: secrets}, OldSecret: oldSecret,
					Progress: func(st graph.AppStep) { z.do(func() { r.show(st) }) }},
				SecretKey: key, Store: secrets, Secrets: src, Path: path, Now: now,
				OnVerify: func() { z.do(func() { r.status.SetText("Rotated. Running every check with the new credential…") }) }})
		}
		z.do(func() { r.finish(cfg, res, err) })
	}()
}

// finish shows how the rotation went and takes the new credential into the state.
func (r *rotatePanel) finish(cfg *wizard.Config, res conn.RotationResult, err error) {
	secret, rotated, v := res.Secret, res.Rotated, res.Verification
	z := r.z
	s := z.screens[wizard.StepSave].(*saveScreen)
	r.stop = nil
	r.busy.Stop()
	r.busy.Hide()
	r.cancel.Hide()
	s.reset.Enable()
	st := z.state
	if rotated {
		if secret != "" {
			st.ClientSecret = secret
		}
		if e := cfg.Credential.ExpiresAt; e != nil {
			if st.Mode == wizard.ModeSecret {
				st.SecretExpiry = e.Format("2006-01-02")
			} else {
				t := *e
				st.CertNotAfter, st.CertThumbprint = &t, cfg.Credential.CertificateThumbprint
			}
		}
		st.Verification = v
	}
	switch {
	case !rotated && r.userCancelled:
		r.status.SetText("Cancelled: nothing was changed; the current credential keeps working.")
	case !rotated:
		r.status.SetText("Not rotated; the current credential keeps working. " + conn.AdviceText(graph.AdviceFor(err)))
	case v != nil && v.Passed:
		removed := " the old one is removed,"
		if err != nil {
			removed = ""
		}
		r.status.SetText("Rotated and verified: the new credential works," + removed + " every check passed. It expires on " + expiryText(cfg) + ". Start the sync again on the Sync tab.")
	case r.userCancelled:
		r.status.SetText("Rotated; the checks were cancelled. Run Verify when ready.")
	default:
		r.status.SetText("Rotated, but some checks failed: see the Verify step. " + errText(err))
	}
	switch {
	case rotated && errors.Is(err, graph.ErrOldSecretUnknown):
		r.status.SetText(r.status.Text + " The old secret was not removed: it could not be told apart from the app's other secrets. Remove it in the Entra admin center > App registrations > (your app) > Certificates & secrets.")
	case rotated && err != nil && v != nil && v.Passed:
		r.status.SetText(r.status.Text + " Note: " + conn.AdviceText(graph.AdviceFor(err)))
	}
	s.enter()
	z.refresh()
}

func expiryText(cfg *wizard.Config) string {
	if e := cfg.Credential.ExpiresAt; e != nil {
		return e.Format("2 January 2006")
	}
	return "an unknown date"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return conn.AdviceText(graph.AdviceFor(err))
}

// show re-renders the rotation's step lines.
func (r *rotatePanel) show(st graph.AppStep) {
	if st.State == graph.StepWaiting {
		return
	}
	if _, ok := r.lines[st.ID]; !ok {
		r.order = append(r.order, st.ID)
	}
	mark := map[graph.StepState]string{graph.StepRunning: "…", graph.StepDone: "✓", graph.StepFailed: "✗", graph.StepSkipped: "–"}[st.State]
	// The creation's step names, in a rotation's words.
	title, ok := map[string]string{graph.AppStepCredential: "Add the new credential", graph.AppStepPropagation: "Check that the new credential gets a token",
		graph.AppStepCleanup: "Remove the old credential"}[st.ID]
	if !ok {
		title = st.Title
	}
	line := mark + " " + title
	if st.Detail != "" {
		line += ": " + st.Detail
	}
	r.lines[st.ID] = line
	var b strings.Builder
	for _, id := range r.order {
		b.WriteString(r.lines[id] + "\n")
	}
	r.steps.SetText(strings.TrimSuffix(b.String(), "\n"))
	r.status.SetText("Rotating…")
}
