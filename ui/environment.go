package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// environmentChoices lists the clouds, the practice tenant first: a newcomer can finish
// the whole wizard offline with it.
func environmentChoices() []struct{ label, cloud string } {
	return []struct{ label, cloud string }{
		{"Practice tenant (built in, works offline) — start here if you are new", wizard.CloudPractice},
		{"Microsoft 365 (worldwide, includes GCC)", wizard.CloudGlobal},
		{"Microsoft 365 US Government (GCC High)", wizard.CloudUSGov},
		{"Microsoft 365 US Government (DoD)", wizard.CloudUSDoD},
		{"Microsoft 365 operated by 21Vianet (China)", wizard.CloudChina},
	}
}

type environmentScreen struct {
	z      *Wizard
	radio  *widget.RadioGroup
	status *widget.Label
	busy   *widget.ProgressBarInfinite
	root   fyne.CanvasObject
}

func newEnvironmentScreen(z *Wizard) *environmentScreen {
	s := &environmentScreen{z: z}
	labels := make([]string, len(environmentChoices()))
	for i, c := range environmentChoices() {
		labels[i] = c.label
	}
	s.status = wrapLabel("")
	s.busy = widget.NewProgressBarInfinite()
	s.busy.Hide()
	s.radio = widget.NewRadioGroup(labels, func(label string) {
		st := z.state
		st.Cloud = ""
		for _, c := range environmentChoices() {
			if c.label == label {
				st.Cloud = c.cloud
			}
		}
		if st.Cloud == wizard.CloudPractice {
			s.startPractice()
		} else {
			s.status.SetText("Your organisation's tenant: you will need its Directory (tenant) ID and an app registration. The next step says who must be present.")
		}
		z.refresh()
	})
	s.radio.Required = true
	hint := wrapLabel("Where do the mailboxes live? Most organisations use Microsoft 365 worldwide. US government and China tenants live in their own clouds. " +
		"The practice tenant is a complete imitation of Microsoft 365 running on this computer: it has its own users, shared mailbox, mail and app registrations, so you can try every step without touching a real tenant.")
	s.root = container.NewVBox(hint, s.radio, s.busy, s.status)
	return s
}

func (s *environmentScreen) object() fyne.CanvasObject { return s.root }

// enter preselects the practice tenant on a fresh start.
func (s *environmentScreen) enter() {
	if s.z.state.Cloud == "" && s.radio.Selected == "" {
		s.radio.SetSelected(environmentChoices()[0].label)
	}
}

// startPractice starts the emulator off the UI goroutine and fills in its hosts.
func (s *environmentScreen) startPractice() {
	z := s.z
	z.mu.Lock()
	running := z.practice
	z.mu.Unlock()
	if running != nil {
		s.practiceReady(running)
		return
	}
	s.busy.Show()
	s.status.SetText("Starting the practice tenant…")
	z.starting.Add(1)
	go func() {
		srv, err := z.startPracticeNow()
		z.mu.Lock()
		closed := z.closed
		z.mu.Unlock()
		if closed && err == nil {
			srv.Close() // the window closed while it started
		}
		z.starting.Done()
		if closed {
			return
		}
		z.do(func() {
			s.busy.Hide()
			if err != nil {
				s.status.SetText(fmt.Sprintf("The practice tenant could not start: %v. Choose it again to retry.", err))
				return
			}
			z.mu.Lock()
			if z.closed { // closed after the start: nobody will close it
				z.mu.Unlock()
				srv.Close()
				return
			}
			if z.practice != nil { // started twice: keep the first
				srv.Close()
				srv = z.practice
			} else {
				z.practice = srv
			}
			z.mu.Unlock()
			if z.state.Cloud == wizard.CloudPractice {
				s.practiceReady(srv)
			}
			z.refresh()
		})
	}()
}

// startPracticeNow starts the practice tenant (connection.StartPractice writes its info
// file under ConfigDir/practice). Any goroutine may call it.
func (z *Wizard) startPracticeNow() (*conn.Practice, error) {
	return conn.StartPractice(z.opts.StartPractice, z.opts.ConfigDir)
}

func (s *environmentScreen) practiceReady(p *conn.Practice) {
	s.z.state.Practice = p.Hosts()
	s.status.SetText(fmt.Sprintf("The practice tenant %q is running on this computer with %d mailboxes. Its values will be filled in for you; press Next.",
		p.TenantDomain(), p.Mailboxes()))
}

// runningPractice returns the running practice tenant while it is the chosen
// environment.
func (z *Wizard) runningPractice() (*conn.Practice, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.practice == nil || z.state.Cloud != wizard.CloudPractice {
		return nil, false
	}
	return z.practice, true
}
