package ui

import (
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/m365connect/m365connect/emulator/graphmail"
	"github.com/m365connect/m365connect/wizard"
)

// Every action of the window that can take over a second shows progress and has a
// Cancel that cancels its context. The tests here (and TestConsentCancel,
// TestVerifyCancelAndRerun, TestResetRotateCancel, TestMailbox*Cancel) start each one
// against a practice tenant that does not answer, press Cancel, and check that the work
// stopped and the screen says Cancelled.

// stalledHost is a practice-tenant host that accepts connections and never answers: a
// request to it waits until its context is cancelled (or its own timeout).
type stalledHost struct {
	ln       net.Listener
	accepted chan struct{}
}

func newStalledHost(t *testing.T) *stalledHost {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stalledHost{ln: ln, accepted: make(chan struct{}, 16)}
	conns := make(chan net.Conn, 64)
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- c:
			default:
				c.Close()
			}
			select {
			case s.accepted <- struct{}{}:
			default:
			}
		}
	}()
	return s
}

// url is the host as an authority or Graph base.
func (s *stalledHost) url() string { return "https://" + s.ln.Addr().String() + "/" }

// waitChan fails the test unless ch receives within d.
func waitChan(t *testing.T, ch chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestAppRegistrationTestValuesCancel: "Test these values" against an identity
// platform that does not answer shows progress and Cancel; Cancel closes the request
// and the step says Cancelled.
func TestAppRegistrationTestValuesCancel(t *testing.T) {
	h := newHarness(t)
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	stalled := newStalledHost(t)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	h.do(func() {
		p := *h.z.state.Practice
		p.AuthorityHost = stalled.url()
		h.z.state.Practice = &p
		test.Tap(reg.testBtn)
		if !reg.testCancel.Visible() || !reg.testBusy.Visible() {
			t.Fatal("Test these values shows no progress or Cancel")
		}
	})
	waitChan(t, stalled.accepted, 10*time.Second, "the test's request")
	cancelled := time.Now()
	h.tap(reg.testCancel)
	// The line comes from the worker once graph.TestValues returned: the request was
	// given up at once, not after its own timeout.
	h.waitFor("the Cancelled line", func() bool { return strings.HasPrefix(reg.testFail.Text, "Cancelled") })
	if took := time.Since(cancelled); took > 3*time.Second {
		t.Fatalf("the test stopped %s after Cancel", took)
	}
	h.do(func() {
		if reg.testCancel.Visible() || reg.testBusy.Visible() || reg.testBtn.Disabled() {
			t.Fatalf("after Cancel: Cancel shown %v, progress shown %v, Test disabled %v", reg.testCancel.Visible(), reg.testBusy.Visible(), reg.testBtn.Disabled())
		}
	})
}

// TestAppCreateCancel: "Create it for me" waiting for the administrator's sign-in
// shows progress and Cancel; Cancel closes the sign-in's listener, says Cancelled and
// creates nothing.
func TestAppCreateCancel(t *testing.T) {
	h := newHarness(t)
	h.browser.mu.Lock()
	h.browser.idle = true // the administrator never signs in
	h.browser.mu.Unlock()
	h.next(wizard.StepPrerequisites)
	h.next(wizard.StepAppRegistration)
	reg := h.z.screens[wizard.StepAppRegistration].(*appRegistrationScreen)
	p := reg.create
	h.tap(p.start)
	h.waitFor("the wait for the sign-in", func() bool { return strings.Contains(p.signIn.Text, "open this address") })
	h.do(func() {
		if !p.busy.Visible() || p.cancel.Disabled() {
			t.Fatal("Create it for me shows no progress or Cancel")
		}
	})
	h.tap(p.cancel)
	h.waitFor("the Cancelled line", func() bool { return p.stop == nil })
	h.do(func() {
		if !strings.HasPrefix(p.result.Text, "Cancelled") || p.busy.Visible() || !p.cancel.Disabled() {
			t.Fatalf("after Cancel: %q, progress shown %v", p.result.Text, p.busy.Visible())
		}
	})
	if apps := h.srv.Identity().CreatedApps(); len(apps) != 0 {
		t.Fatalf("a cancelled creation left %d app(s)", len(apps))
	}
}

// TestSyncStartCancel: Stop while the first delta page is held by the practice tenant
// ends the sync at once (the request is cancelled, not waited for) and says so; the
// held page never reaches the store.
func TestSyncStartCancel(t *testing.T) {
	h := newHarness(t)
	mb := h.mailbox(wizard.KindUser)
	sv := h.saveWith(mb)
	p := sv.sync
	h.srv.Mail().InjectFault(graphmail.Fault{Kind: graphmail.FaultSlow, PathContains: "/delta", Delay: slowFor})
	h.do(func() { sv.tabs.Select(sv.syncTab) })
	h.tap(p.button)
	time.Sleep(300 * time.Millisecond) // the first page is being held
	stopped := time.Now()
	h.tap(p.button)
	h.waitFor("the sync to stop", func() bool { return !p.running })
	if took := time.Since(stopped); took >= slowFor {
		t.Fatalf("Stop waited %s for the held page instead of cancelling it", took)
	}
	h.do(func() {
		if !strings.HasPrefix(p.status.Text, "Sync stopped.") {
			t.Fatalf("after Stop: %q", p.status.Text)
		}
	})
	time.Sleep(lateBy - time.Since(stopped))
	h.do(func() {
		if !strings.HasPrefix(p.status.Text, "Sync stopped.") || p.running {
			t.Fatalf("a late answer reached the screen: %q", p.status.Text)
		}
	})
}
