package ui

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// appCreatePanel is "Create it for me" on the App registration step: the plan, one
// admin sign-in (browser, or a code on another device), per-step progress with the
// propagation countdown, Cancel, and the result or the advice with what was created.
type appCreatePanel struct {
	z          *Wizard
	summary    *widget.Label
	deviceCode *widget.Check
	keep       *widget.Check
	start      *widget.Button
	cancel     *widget.Button
	signIn     *widget.Label // sign-in URL or device code
	steps      *widget.Label
	countdown  *widget.Label
	result     *widget.Label
	expiry     *widget.Label  // the 30-day warning, with the rotation offer
	rotate     *widget.Button // rotate the credential now (app-only modes)
	stop       context.CancelFunc
	lines      map[string]string
	order      []string
	busy       *widget.ProgressBarInfinite
	// userCancelled is set by Cancel only: the outcome then says Cancelled.
	userCancelled bool
	onDone        func()
	onHandOff     func() // the signed-in account cannot grant: show the script for an admin who can
	root          fyne.CanvasObject
}

func newAppCreatePanel(z *Wizard, onDone func()) *appCreatePanel {
	p := &appCreatePanel{z: z, onDone: onDone, lines: map[string]string{}}
	p.summary = wrapLabel("")
	p.deviceCode = widget.NewCheck("Sign in with a code on another device (no browser here)", nil)
	p.keep = widget.NewCheck("If a step fails, keep what was created (default: remove it)", nil)
	p.start = widget.NewButton("Sign in as an administrator and create it", p.run)
	p.start.Importance = widget.HighImportance
	p.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if p.stop != nil {
			p.userCancelled = true
			p.stop()
		}
	})
	p.cancel.Disable()
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.busy.Hide()
	p.signIn = wrapLabel("")
	p.steps = wrapLabel("")
	p.countdown = wrapLabel("")
	p.countdown.Importance = widget.WarningImportance
	p.result = wrapLabel("")
	p.expiry = wrapLabel("")
	p.expiry.Importance = widget.WarningImportance
	p.rotate = widget.NewButton("Rotate it now (new credential, checked, then the old one removed)", p.runRotate)
	p.root = container.NewVBox(
		p.expiry, p.rotate,
		wrapLabel("One administrator sign-in creates the app registration, its credential and its permission grants, then checks the connection. The sign-in page names \"Microsoft Graph Command Line Tools\": that is Microsoft's own tool we sign in with, because our app does not exist yet."),
		heading("What will be created"), p.summary,
		p.deviceCode, p.keep,
		container.NewHBox(p.start, p.cancel),
		p.busy, p.signIn, p.steps, p.countdown, p.result,
	)
	return p
}

func (p *appCreatePanel) object() fyne.CanvasObject { return p.root }

// config is the connection as far as the wizard knows it (no client id yet).
func (p *appCreatePanel) config() *wizard.Config {
	st := p.z.state
	c := &wizard.Config{Schema: wizard.SchemaVersion, AppVersion: p.z.opts.AppVersion, Cloud: st.Cloud, Practice: st.Practice,
		TenantID: st.TenantID, AccessMode: st.Mode, Features: st.Features()}
	for _, m := range st.Mailboxes {
		c.Mailboxes = append(c.Mailboxes, wizard.Mailbox{Address: m.Address, ID: m.ID, DisplayName: m.DisplayName, Kind: m.Kind})
	}
	return c
}

// enter shows the plan for the chosen mode.
func (p *appCreatePanel) enter() {
	p.summary.SetText(strings.Join(conn.PlanFor(p.config(), "", 0).Summary(), "\n"))
	st := p.z.state
	w := wizard.ExpiryWarning(st.Mode, st.ExpiresAt(), p.z.opts.Now())
	rotatable := st.ClientID != "" && (st.Mode == wizard.ModeSecret || st.Mode == wizard.ModeCertificate && st.CertFile == wizard.CertFileInKeyring)
	if w == "" || !rotatable {
		p.expiry.Hide()
		p.rotate.Hide()
		return
	}
	p.expiry.SetText(w + " Or let the app rotate it with one administrator sign-in.")
	p.expiry.Show()
	p.rotate.Show()
}

// adminSignIn signs the administrator of c's tenant in (browser or device code),
// reporting on p.signIn.
func (p *appCreatePanel) adminSignIn(ctx context.Context, c *wizard.Config, device bool) (*graph.DelegatedCredential, error) {
	z := p.z
	o := conn.AdminSignInOptions{DeviceCode: device, Browser: conn.Browser{Open: z.opts.OpenBrowser, Timeout: 10 * time.Minute,
		OnURL: func(u string) {
			z.do(func() { p.signIn.SetText("If no browser opened, open this address: " + u) })
		},
		OnBrowserError: func(error) {
			z.do(func() {
				p.signIn.SetText(p.signIn.Text + "\nNo browser could be opened here: open the address on any device, or Cancel, tick \"Sign in with a code on another device\" and start again.")
			})
		}},
		OnCode: func(dc graph.DeviceCode) { z.do(func() { p.signIn.SetText(dc.Message) }) }}
	if device {
		o.Timeout = 15 * time.Minute
	}
	return conn.AdminSignIn(ctx, c, o)
}

// runRotate replaces the secret or certificate: new one added, checked, old one removed.
func (p *appCreatePanel) runRotate() {
	z := p.z
	cfg := z.state.Config(z.opts.AppVersion, z.opts.Now())
	if _, err := conn.CloudFor(cfg.Cloud, cfg.Practice); err != nil {
		p.result.SetText(err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop, p.userCancelled = cancel, false
	p.busy.Show()
	p.busy.Start()
	p.rotate.Disable()
	p.start.Disable()
	p.cancel.Enable()
	p.lines, p.order = map[string]string{}, nil
	device := p.deviceCode.Checked
	keyring := conn.StoreKeyring{Store: z.opts.Secrets}
	path := z.ConfigPath()
	go func() {
		defer cancel()
		admin, err := p.adminSignIn(ctx, cfg, device)
		if err == nil {
			err = conn.RotateApp(ctx, cfg, admin, keyring, 0, func(s graph.AppStep) { z.do(func() { p.show(s) }) })
		}
		var secret string
		if err == nil && cfg.AccessMode == wizard.ModeSecret {
			secret, err = keyring.Get(cfg.SecretKey(wizard.SecretClientSecret))
		}
		if err == nil && cfg.Locked {
			err = cfg.Save(path)
		}
		z.do(func() {
			p.stop = nil
			p.rotate.Enable()
			p.start.Enable()
			p.cancel.Disable()
			p.busy.Stop()
			p.busy.Hide()
			if err != nil && p.userCancelled {
				p.result.SetText("Cancelled: the credential was not rotated; the current one keeps working.")
				return
			}
			if err != nil {
				p.result.SetText("The credential was not rotated. " + conn.AdviceText(graph.AdviceFor(err)))
				return
			}
			st := z.state
			if e := cfg.Credential.ExpiresAt; e != nil {
				if st.Mode == wizard.ModeSecret {
					st.ClientSecret, st.SecretExpiry = secret, e.Format("2006-01-02")
				} else {
					t := *e
					st.CertNotAfter, st.CertThumbprint = &t, cfg.Credential.CertificateThumbprint
				}
				p.result.SetText("Rotated: the new credential works and the old one is removed. It expires on " + e.Format("2 January 2006") + ".")
			}
			p.enter()
		})
	}()
}

// show re-renders the step lines.
func (p *appCreatePanel) show(s graph.AppStep) {
	if s.State == graph.StepWaiting {
		p.countdown.SetText(s.Detail)
		return
	}
	p.countdown.SetText("")
	if _, ok := p.lines[s.ID]; !ok {
		p.order = append(p.order, s.ID)
	}
	mark := map[graph.StepState]string{graph.StepRunning: "…", graph.StepDone: "✓", graph.StepFailed: "✗", graph.StepSkipped: "–"}[s.State]
	line := mark + " " + s.Title
	if s.Detail != "" {
		line += ": " + s.Detail
	}
	p.lines[s.ID] = line
	var b strings.Builder
	for _, id := range p.order {
		b.WriteString(p.lines[id] + "\n")
	}
	p.steps.SetText(strings.TrimSuffix(b.String(), "\n"))
}

// run signs the admin in and creates the app on a goroutine.
func (p *appCreatePanel) run() {
	z := p.z
	st := z.state
	if err := wizard.ValidateTenant(st.TenantID); err != nil || st.TenantID == "" {
		p.result.SetText("Type the tenant (Directory ID or domain) first.")
		return
	}
	c := p.config()
	if _, err := conn.CloudFor(c.Cloud, c.Practice); err != nil {
		p.result.SetText(err.Error())
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop, p.userCancelled = cancel, false
	p.start.Disable()
	p.cancel.Enable()
	p.busy.Show()
	p.busy.Start()
	p.lines, p.order = map[string]string{}, nil
	p.steps.SetText("")
	p.result.SetText("")
	p.signIn.SetText("Waiting for the administrator's sign-in…")
	device, keep, open := p.deviceCode.Checked, p.keep.Checked, z.opts.OpenBrowser
	var refresh string
	go func() {
		defer cancel()
		admin, err := p.adminSignIn(ctx, c, device)
		if err != nil {
			z.do(func() { p.finish(nil, err) })
			return
		}
		z.do(func() { p.signIn.SetText("Signed in.") })
		o := conn.AppOptions{Config: c, Admin: admin, Keyring: conn.StoreKeyring{Store: z.opts.Secrets}, KeepOnFailure: keep,
			Progress: func(s graph.AppStep) { z.do(func() { p.show(s) }) }}
		if c.AccessMode == wizard.ModeDelegated {
			o.Delegated = &conn.DelegatedProof{Browser: conn.Browser{Open: open},
				OnStart: func() {
					z.do(func() { p.signIn.SetText("Now sign in as the mailbox (service) account, to prove the new app works.") })
				},
				OnRefreshToken: func(rt string) { refresh = rt }}
		}
		got, err := conn.CreateApp(ctx, o)
		if got != nil && refresh != "" {
			rt := refresh
			z.do(func() { z.state.RefreshToken, z.state.SignedIn = rt, true })
		}
		z.do(func() { p.finish(got, err) })
	}()
}

// finish shows the result and, on success, puts the new app into the wizard's state.
func (p *appCreatePanel) finish(got *graph.CreatedApp, err error) {
	p.stop = nil
	p.start.Enable()
	p.cancel.Disable()
	p.busy.Stop()
	p.busy.Hide()
	p.countdown.SetText("")
	if err != nil {
		var ae *graph.AppCreateError
		msg := "That did not work. " + conn.AdviceText(graph.AdviceFor(err))
		if p.userCancelled {
			msg = "Cancelled: nothing more is created."
		}
		if errors.As(err, &ae) {
			if !p.userCancelled {
				msg = "That did not work. " + conn.AdviceText(ae.Advice)
			}
			for _, x := range ae.Created {
				state := "removed again"
				if !ae.Removed {
					state = "still in your tenant"
				}
				msg += fmt.Sprintf("\n• %s %s (%s)", x.Kind, x.Name, state)
			}
		}
		p.result.SetText(msg)
		if p.onHandOff != nil && (errors.Is(err, graph.ErrNotAdmin) || errors.Is(err, graph.ErrRoleCannotGrant) || graph.AdviceFor(err).Code == "AADSTS90094") {
			p.onHandOff()
		}
		return
	}
	if pr, ok := p.z.runningPractice(); ok {
		go func() { _ = pr.SaveState() }() // the practice tenant keeps the new app across restarts
	}
	st := p.z.state
	st.ClientID = got.AppID
	st.Consented = true
	switch got.Credential {
	case graph.CredentialSecret:
		st.ClientSecret = got.ClientSecret
		st.SecretExpiry = got.Expires.Format("2006-01-02")
	case graph.CredentialCertificate:
		st.CertFile, st.CertPassword = wizard.CertFileInKeyring, ""
		end := got.Expires
		st.CertNotAfter = &end
		st.CertThumbprint = ""
		if blk, _ := pem.Decode(got.CertificatePEM); blk != nil {
			sum := sha1.Sum(blk.Bytes)
			st.CertThumbprint = strings.ToUpper(hex.EncodeToString(sum[:]))
		}
	}
	msg := fmt.Sprintf("Created \"%s\" (Application ID %s) with exactly: %s.", got.DisplayName, got.AppID, strings.Join(got.Granted, ", "))
	if len(got.Checks) > 0 && !graph.Failed(got.Checks) {
		msg += " All checks passed."
	}
	p.result.SetText(msg)
	if p.onDone != nil {
		p.onDone()
	}
}
