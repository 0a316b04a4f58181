package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The App registration step's "Test these values": the typed values checked against the
// tenant off the UI goroutine (connection.ValuesTest), with Cancel, and the first
// failure shown beside the field that holds it.

// testValues checks the typed values against the tenant, off the UI goroutine: the
// tenant in the chosen cloud (its OpenID configuration), then for the app-only modes a
// token obtained with the typed secret or certificate. Any failure shows here, with
// its cause and fix, instead of first on the Mailboxes or Verify step.
func (s *appRegistrationScreen) testValues() {
	z := s.z
	st := z.state
	s.clearTest()
	z.win.Canvas().Unfocus() // a focused field hides its mark; the answer may set one
	if err := st.Gate(wizard.StepAppRegistration); err != nil {
		s.showTest("", err.Error())
		return
	}
	vt, err := conn.NewValuesTest(st, s.z.opts.Secrets)
	var ce *conn.CertificateError
	switch {
	case errors.As(err, &ce):
		s.showTest("", "Certificate: the file cannot be read: "+ce.Err.Error())
		return
	case err != nil:
		s.showTest("", "Cannot test: "+err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.testStop, s.testUserCancelled = cancel, false
	run := s.testRun
	s.testBtn.Disable()
	s.testCancel.Show()
	s.testBusy.Show()
	s.testBusy.Start()
	go func() {
		rs, err := vt.Run(ctx, nil)
		cancel()
		z.do(func() {
			if run != s.testRun {
				return // the values changed (or a new run started) meanwhile
			}
			s.finishTest()
			switch {
			case s.testUserCancelled:
				s.showTest("", "Cancelled: the values were not tested.")
			case err != nil:
				s.showTest("", "Cannot test: "+err.Error())
			default:
				ok, failed, field := s.testOutcome(rs, st.Mode)
				s.showTest(ok, failed)
				if field != nil { // the field's own tick said only that the shape is right
					field.AlwaysShowValidationError = true
					field.SetValidationError(errors.New(strings.SplitN(failed, "\n", 2)[0]))
				}
			}
		})
	}()
}

// testOutcome turns the checks' results into the lines to show: what worked, or the
// first failure with its cause and fix; field is the entry that holds the wrong value
// (its tick turns into an error mark), nil when the fix is elsewhere.
func (s *appRegistrationScreen) testOutcome(rs []graph.CheckResult, mode string) (ok, failed string, field *widget.Entry) {
	for _, r := range rs {
		if r.Status != graph.StatusFail {
			continue
		}
		a := graph.Advice{Title: r.Title + ": failed"}
		if r.Advice != nil {
			a = *r.Advice
		}
		lines := []string{"✗ " + strings.TrimSuffix(a.Title, ".") + "."}
		if a.Cause != "" {
			lines = append(lines, "Why: "+a.Cause)
		}
		if a.Fix != "" {
			lines = append(lines, "Fix: "+a.Fix)
		}
		if r.Seen != "" {
			lines = append(lines, "Microsoft said: "+r.Seen)
		}
		switch {
		case r.ID == "preflight.tenant" || r.ID == "tenant":
			field = s.tenant
		case r.ID == "preflight.secret":
			field = s.secret
		case a.Code == "AADSTS700016":
			field = s.client
		case a.Code == "AADSTS7000215" || a.Code == "AADSTS7000222" || a.Code == "invalid_client":
			field = s.secret
		case a.Code == "AADSTS700027":
			field = s.certFile
		}
		return "", strings.Join(lines, "\n"), field
	}
	if mode == wizard.ModeDelegated {
		return "✓ The tenant was found in the chosen cloud. The sign-in in the next step proves the app and the account.", "", nil
	}
	return "✓ These values work: the tenant was found in the chosen cloud and the app obtained a token with them.", "", nil
}

func (s *appRegistrationScreen) showTest(ok, failed string) {
	setMessage(s.testOK, ok)
	setMessage(s.testFail, failed)
	s.z.refresh()
}

func (s *appRegistrationScreen) finishTest() {
	s.testStop = nil
	s.testBtn.Enable()
	s.testCancel.Hide()
	s.testBusy.Stop()
	s.testBusy.Hide()
}

// clearTest forgets the last test: its answer described other values.
func (s *appRegistrationScreen) clearTest() {
	if s.testOK == nil {
		return // still building the screen
	}
	s.testRun++
	if s.testStop != nil {
		s.testStop()
		s.finishTest()
	}
	setMessage(s.testOK, "")
	setMessage(s.testFail, "")
	for _, e := range []*widget.Entry{s.tenant, s.client, s.secret, s.certFile} {
		if e.AlwaysShowValidationError {
			e.AlwaysShowValidationError = false
			_ = e.Validate()
		}
	}
}

// newTestSection builds "Test these values" with its Cancel, progress and answer.
func (s *appRegistrationScreen) newTestSection() {
	s.testBtn = widget.NewButtonWithIcon("Test these values", theme.ConfirmIcon(), s.testValues)
	s.testCancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if s.testStop != nil {
			s.testUserCancelled = true
			s.testStop()
		}
	})
	s.testCancel.Hide()
	s.testBusy = widget.NewProgressBarInfinite()
	s.testBusy.Stop()
	s.testBusy.Hide()
	s.testOK = wrapLabel("")
	s.testOK.Importance = widget.SuccessImportance
	s.testOK.Hide()
	s.testFail = errorLabel()
}
