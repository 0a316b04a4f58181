package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

type consentScreen struct {
	z       *Wizard
	explain *widget.Label
	start   *widget.Button
	cancel  *widget.Button
	busy    *widget.ProgressBarInfinite
	waiting *widget.Label
	url     *widget.Entry
	urlRow  *fyne.Container
	outcome *widget.Label
	advice  *widget.Label
	already *widget.Check
	handoff *widget.Entry
	pasted  *widget.Entry
	handBox *fyne.Container
	hand    graph.Handoff
	stop    context.CancelFunc
	root    fyne.CanvasObject
	pb      *pasteBack // delegated sign-in: the redirected address pasted back (pasteback.go)
	// shownFor is the tenant, app and mode the outcome on screen describes; a change
	// of any of them clears it. userCancelled is set by the Cancel button only.
	shownFor      string
	userCancelled bool
}

func newConsentScreen(z *Wizard) *consentScreen {
	s := &consentScreen{z: z}
	s.explain = wrapLabel("")
	s.start = widget.NewButtonWithIcon("", theme.ComputerIcon(), s.run)
	s.start.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if s.stop != nil {
			s.userCancelled = true
			s.stop()
		}
	})
	s.cancel.Hide()
	s.busy = widget.NewProgressBarInfinite()
	s.busy.Hide()
	s.waiting = wrapLabel("")
	s.url = widget.NewEntry()
	s.url.Disable()
	s.urlRow = container.NewBorder(nil, nil, widget.NewLabel("If no browser opened, open this address:"), z.copyButton("Copy", func() string { return s.url.Text }), s.url)
	s.urlRow.Hide()
	s.pb = newPasteBack()
	s.outcome = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.outcome.Wrapping = fyne.TextWrapWord
	s.advice = wrapLabel("")
	s.already = widget.NewCheck("An administrator already approved this app's permissions (admin consent was granted earlier)", func(b bool) {
		if b {
			z.state.Consented = true
		}
		z.refresh()
	})

	s.handoff = widget.NewMultiLineEntry()
	s.handoff.Wrapping = fyne.TextWrapWord
	s.handoff.SetMinRowsVisible(6)
	s.pasted = widget.NewEntry()
	s.pasted.SetPlaceHolder("Paste here the address the admin sends back (starts with http://localhost)")
	check := widget.NewButton("Check the pasted address", s.checkPasted)
	s.handBox = container.NewVBox(
		wrapLabel("Send this message to the administrator (e-mail or chat). They approve in their browser and send you back the final address."),
		container.NewBorder(nil, nil, nil, z.copyButton("Copy message", func() string { return s.handoff.Text }), s.handoff),
		container.NewBorder(nil, nil, nil, check, s.pasted),
	)
	s.handBox.Hide()
	prepare := widget.NewButtonWithIcon("The administrator is not here: prepare a message", theme.MailSendIcon(), s.prepareHandoff)

	s.root = container.NewVBox(
		s.explain,
		container.NewHBox(s.start, s.cancel),
		s.busy, s.waiting, s.urlRow, s.pb.box,
		s.outcome, s.advice,
		widget.NewSeparator(),
		s.already, prepare, s.handBox,
	)
	return s
}

func (s *consentScreen) object() fyne.CanvasObject { return s.root }

func (s *consentScreen) cancelAction() bool { return cancelFirst(nil, s.cancel) }

func (s *consentScreen) enter() {
	st := s.z.state
	if key := st.TenantID + "|" + st.ClientID + "|" + st.Mode; key != s.shownFor && s.stop == nil {
		// What is on screen was about other values ("Consent granted" for another app).
		s.shownFor = key
		s.outcome.SetText("")
		s.advice.SetText("")
		s.waiting.SetText("")
		s.urlRow.Hide()
	}
	if st.Mode == wizard.ModeDelegated {
		s.explain.SetText("The service account signs in once in the browser. When you save, the app keeps the sign-in in the OS keyring (or, where there is none and you allow it, in a file only you can read), so nobody has to sign in again. " +
			wizard.Approver(st.Mode))
		s.start.SetText("Sign in in the browser")
		s.already.Hide()
	} else {
		s.explain.SetText(wizard.Approver(st.Mode) + " " +
			"The browser opens Microsoft's consent page: sign in as that administrator, review the permissions and choose Accept.")
		s.start.SetText("Open admin consent in the browser")
		s.already.Show()
	}
	s.already.SetChecked(st.Consented && st.Mode != wizard.ModeDelegated && s.outcome.Text == "")
	// The practice tenant knows whether its app is approved: say so, as an admin would
	// (only for its own tenant: a mistyped tenant is not approved by anyone).
	if p, ok := s.z.runningPractice(); ok && st.Mode != wizard.ModeDelegated && p.IsTenant(st.TenantID) {
		if p.AdminConsented(st.ClientID) {
			s.already.SetChecked(true)
			s.waiting.SetText("Practice tenant: this app was approved by its administrator already, so the box below is ticked. " +
				"To try the consent page itself, use the app \"Practice app (not consented)\" (its values are listed on App registration).")
		}
	}
}

// consentRequest is what one run of the browser flow needs: the run read from the state
// on the UI goroutine before it starts, and how it reaches the person.
type consentRequest struct {
	run     *conn.Consent
	browser conn.Browser
}

// run starts the browser flow off the UI goroutine: the tenant first, then the
// delegated sign-in or the admin-consent page.
func (s *consentScreen) run() {
	z := s.z
	st := z.state
	run, err := conn.NewConsent(st)
	if err != nil {
		s.show("Cannot start: "+err.Error(), "", false)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.userCancelled = cancel, false
	s.shownFor = st.TenantID + "|" + st.ClientID + "|" + st.Mode
	s.start.Disable()
	s.cancel.Show()
	s.busy.Show()
	s.busy.Start()
	s.waiting.SetText("Checking the tenant…")
	s.outcome.SetText("")
	s.advice.SetText("")
	req := consentRequest{run: run, browser: conn.Browser{Open: z.opts.OpenBrowser,
		OnURL: func(u string) { z.do(func() { s.url.SetText(u) }) },
		OnBrowserError: func(error) {
			z.do(func() {
				s.urlRow.Show()
				s.waiting.SetText("No browser could be opened here. Copy the address below into a browser; this window keeps waiting.")
			})
		}}}
	go func() {
		defer cancel()
		if !s.tenantFound(ctx, req) {
			return
		}
		if req.run.Delegated() {
			s.signIn(ctx, req)
			return
		}
		b := req.browser
		b.Timeout = 10 * time.Minute
		res, err := req.run.AdminConsent(ctx, b)
		z.do(func() {
			s.finish()
			if err != nil {
				s.fail(err)
				return
			}
			s.consentResult(res)
		})
	}()
}

// tenantFound checks the tenant first, so a typo is reported here and never reaches the
// consent page (where Microsoft shows AADSTS90002 and this window would wait in vain).
// Called off the UI goroutine.
func (s *consentScreen) tenantFound(ctx context.Context, req consentRequest) bool {
	z := s.z
	if r := req.run.CheckTenant(ctx); r.Status != graph.StatusPass {
		z.do(func() {
			s.finish()
			if s.userCancelled {
				s.show("Cancelled. Start again when ready.", "", false)
				return
			}
			adv := ""
			if r.Advice != nil {
				adv = conn.AdviceText(*r.Advice) + " Fix the tenant in App registration (or the environment), then try again."
			}
			s.show("The tenant \""+req.run.Tenant()+"\" was not found in the chosen cloud, so the browser was not opened.", adv, false)
		})
		return false
	}
	z.do(func() {
		if s.stop != nil {
			s.waiting.SetText("Waiting for the browser… Finish there, then come back to this window.")
		}
	})
	return true
}

// signIn runs the delegated sign-in and keeps its credential. Called off the UI
// goroutine.
func (s *consentScreen) signIn(ctx context.Context, req consentRequest) {
	z := s.z
	b := req.browser
	b.Timeout = 5 * time.Minute
	b.OnPasteBack = func(p func(string) error) { z.do(func() { s.pb.offer(p) }) }
	in, err := req.run.SignIn(ctx, b, func(t string) { z.do(func() { z.refreshTokenRotated(t) }) })
	z.do(func() {
		s.finish()
		if err != nil {
			s.fail(err)
			return
		}
		z.mu.Lock()
		z.conn = &connection{delegated: in.Credential}
		z.mu.Unlock()
		st := z.state
		st.SignedIn, st.ServiceAccount = true, in.Account
		s.show("Signed in as "+in.Account+".", "The sign-in is kept; press Next to choose the mailboxes.", true)
	})
}

func (s *consentScreen) finish() {
	s.pb.withdraw()
	s.stop = nil
	s.start.Enable()
	s.cancel.Hide()
	s.busy.Stop()
	s.busy.Hide()
	s.waiting.SetText("")
	s.urlRow.Hide() // its listener is closed: the address leads nowhere now
}

// consentResult shows an admin-consent answer in words.
func (s *consentScreen) consentResult(r graph.ConsentResult) {
	st := s.z.state
	var adv string
	if r.Advice != nil {
		adv = conn.AdviceText(*r.Advice)
	}
	switch r.Outcome {
	case graph.ConsentGranted:
		st.Consented = true
		s.show("Consent granted. The app's permissions are approved for the organisation.", "Press Next to choose the mailboxes.", true)
	case graph.ConsentDeclined:
		st.Consented = false
		s.show("Consent was declined or cancelled.", adv, false)
	case graph.ConsentApprovalRequired:
		st.Consented = false
		s.show("An administrator's approval is required: the account that signed in may not grant these permissions.", adv, false)
	case graph.ConsentWrongTenant:
		st.Consented = false
		s.show("The consent came from a different tenant than the one typed in App registration.", adv, false)
	default:
		st.Consented = false
		s.show("Consent did not complete ("+r.ErrorCode+").", adv, false)
	}
}

// fail shows an error from the browser flow with its advice.
func (s *consentScreen) fail(err error) {
	if s.userCancelled && (errors.Is(err, graph.ErrCancelled) || errors.Is(err, context.Canceled)) {
		s.show("Cancelled. Start again when ready.", "", false)
		return
	}
	s.show("That did not work.", conn.AdviceText(graph.AdviceFor(err)), false)
}

func (s *consentScreen) show(outcome, advice string, ok bool) {
	s.outcome.SetText(outcome)
	if ok {
		s.outcome.Importance = widget.SuccessImportance
	} else {
		s.outcome.Importance = widget.DangerImportance
	}
	s.outcome.Refresh()
	s.advice.SetText(advice)
	s.z.refresh()
}

func (s *consentScreen) prepareHandoff() {
	h, err := conn.ConsentHandoff(s.z.state, "m365connect")
	if err != nil {
		s.show("Cannot prepare the message.", conn.AdviceText(graph.AdviceFor(err)), false)
		return
	}
	s.hand = h
	s.handoff.SetText(s.hand.Message)
	s.handBox.Show()
}

func (s *consentScreen) checkPasted() {
	r, err := conn.CheckHandoffReply(s.z.state, s.hand, s.pasted.Text)
	if err != nil {
		s.show("The pasted address was not understood: "+err.Error()+".", "Ask the admin for the full address from the browser's address bar after choosing Accept.", false)
		return
	}
	s.consentResult(r)
}
