package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// badge is a mailbox's live reachability, as checked with the values in reachKey.
type badge struct {
	text string
	ok   *bool // nil while checking
	// key is reachKey() when the check started; a badge with another key is stale.
	key string
	gen int // the check that sets it; an older check's answer is dropped
}

type mailboxesScreen struct {
	z        *Wizard
	query    *widget.Entry
	results  *fyne.Container
	searchSt *widget.Label
	address  *widget.Entry
	kind     *widget.Select
	addErr   *widget.Label
	chosen   *fyne.Container
	// shared says that choosing a shared mailbox turned the .Shared permissions on
	// (delegated), with the button that signs in again to grant them.
	shared    *widget.Label
	again     *widget.Button
	sharedBox *fyne.Container

	mu     sync.Mutex
	badges map[string]badge             // lower-case address → badge
	infos  map[string]graph.MailboxInfo // lower-case address, UPN or id → directory details (resolve.go)
	gen    int                          // checks started so far
	// searchKey is reachKey() of the last search: its message goes when the values change.
	searchKey string
	root      fyne.CanvasObject

	// lookup is the search's or the object-id lookup's progress and Cancel (one at a
	// time); lookupWhat says which, for the Cancelled line.
	lookup     *cancelRow
	lookupWhat string
	// The reachability checks running share one context, cancelled by reachCancel;
	// reachN counts those of reachCtx still running.
	reachBox    *fyne.Container
	reachText   *widget.Label
	reachCancel *widget.Button
	reachAgain  *widget.Button
	reachCtx    context.Context
	reachStop   context.CancelFunc
	reachN      int
}

func newMailboxesScreen(z *Wizard) *mailboxesScreen {
	s := &mailboxesScreen{z: z, badges: map[string]badge{}, infos: map[string]graph.MailboxInfo{}}
	s.query = widget.NewEntry()
	s.query.SetPlaceHolder("Search by name or address, e.g. anna")
	s.query.OnSubmitted = func(string) { s.search() }
	s.results = container.NewVBox()
	s.searchSt = wrapLabel("")
	s.address = widget.NewEntry()
	s.address.SetPlaceHolder("Or type an address or object id, e.g. info@contoso.com")
	s.address.Validator = validateMailboxInput // address, UPN or object id (resolve.go)
	s.address.OnSubmitted = func(string) { s.addTyped() }
	s.kind = widget.NewSelect([]string{"User mailbox", "Shared mailbox"}, nil)
	s.kind.SetSelectedIndex(0)
	s.addErr = wrapLabel("")
	s.addErr.Importance = widget.DangerImportance
	s.chosen = container.NewVBox()
	s.shared = wrapLabel("")
	s.shared.Importance = widget.WarningImportance
	s.again = widget.NewButtonWithIcon("Sign in again", theme.LoginIcon(), s.signInAgain)
	s.sharedBox = container.NewVBox(s.shared, container.NewHBox(s.again))
	s.sharedBox.Hide()
	s.lookup = newCancelRow()
	s.lookup.onCancel = s.lookupCancelled
	s.reachText = wrapLabel("")
	s.reachCancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.cancelReach)
	s.reachAgain = widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), s.checkAgain)
	s.reachAgain.Hide()
	s.reachBox = container.NewBorder(nil, nil, nil, container.NewHBox(s.reachCancel, s.reachAgain), s.reachText)
	s.reachBox.Hide()
	search := widget.NewButtonWithIcon("Search", theme.SearchIcon(), s.search)
	add := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), s.addTyped)
	s.root = container.NewVBox(
		wrapLabel("Choose the mailboxes to connect. Each one is checked at once: a green badge means the app can open it."),
		container.NewBorder(nil, nil, nil, search, s.query),
		s.searchSt, s.results,
		container.NewBorder(nil, nil, nil, container.NewHBox(wideSelect(s.kind), add), s.address),
		s.lookup.box,
		s.addErr,
		s.sharedBox,
		heading("Chosen mailboxes"),
		s.reachBox,
		s.chosen,
	)
	return s
}

func (s *mailboxesScreen) object() fyne.CanvasObject { return s.root }

func (s *mailboxesScreen) cancelAction() bool {
	return cancelFirst([]*cancelRow{s.lookup}, s.reachCancel)
}

func (s *mailboxesScreen) enter() {
	if s.z.state.SignedIn || !s.z.state.Shared {
		s.sharedBox.Hide() // signed in again since (or never needed)
	}
	if s.z.state.ListUsers {
		s.searchSt.SetText("Search the organisation's directory, or leave the search empty and press Search to list everyone.")
	} else {
		s.searchSt.SetText("Listing users needs a directory permission you did not choose in Prerequisites: type the addresses below instead (searching is tried anyway).")
	}
	if s.searchKey != "" && s.searchKey != s.z.reachKey() {
		// The last search's answer described other values.
		s.searchKey = ""
		s.results.Objects = nil
		s.results.Refresh()
	}
	s.render()
	for _, m := range s.z.state.Mailboxes {
		s.checkReach(m.Address, false)
	}
}

// reachKey sums up the values a reachability check depends on: cloud, tenant, app, access
// mode and credential. A badge checked with another key is checked again. The secret
// and the certificate password enter only as a hash.
func (z *Wizard) reachKey() string {
	st := z.state
	h := sha256.New()
	var practice string
	if st.Practice != nil {
		practice = fmt.Sprint(*st.Practice)
	}
	z.mu.Lock()
	var deleg any
	if z.conn != nil && z.conn.delegated != nil {
		deleg = z.conn.delegated
	}
	z.mu.Unlock()
	for _, v := range []string{st.Cloud, practice, st.TenantID, st.ClientID, st.Mode, st.ClientSecret,
		st.CertFile, st.CertThumbprint, st.CertPassword, fmt.Sprintf("%p", deleg)} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reachGate is the Mailboxes step's second condition: Next only once the app can open
// at least one chosen mailbox with the values typed now. A passed verification (a
// reopened connection) proved that already.
func (s *mailboxesScreen) reachGate() error {
	st := s.z.state
	if len(st.Mailboxes) == 0 || (st.Verification != nil && st.Verification.Passed && s.z.verificationCurrent()) {
		return nil
	}
	key := s.z.reachKey()
	checking := false
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range st.Mailboxes {
		b, seen := s.badges[strings.ToLower(m.Address)]
		switch {
		case !seen || b.key != key || b.ok == nil:
			checking = true
		case *b.ok:
			return nil
		}
	}
	if checking {
		return errors.New("Mailboxes: checking whether the app can open the chosen mailboxes…")
	}
	return errors.New("Mailboxes: the app can open none of the chosen mailboxes; do what the red text beside each says, or add one it can open")
}

// gate is the flow's gate: the values' own (wizard.State.Gate), then what the window
// learned by trying them.
func (z *Wizard) gate(id wizard.StepID) error {
	if err := z.state.Gate(id); err != nil {
		return err
	}
	if ms, ok := z.screens[wizard.StepMailboxes].(*mailboxesScreen); ok && id == wizard.StepMailboxes {
		return ms.reachGate()
	}
	if id == wizard.StepVerify && !z.verificationCurrent() {
		return errors.New("Verify: the values changed since the checks ran; run them again")
	}
	return nil
}

// search lists matching mailboxes off the UI goroutine.
func (s *mailboxesScreen) search() {
	q := strings.TrimSpace(s.query.Text)
	s.searchSt.SetText("")
	s.searchKey = s.z.reachKey()
	c, err := s.z.directory() // reads the state: on the UI goroutine
	s.lookupWhat = "search"
	ctx, gen := s.lookup.start("Searching the directory…")
	go func() {
		var page graph.MailboxPage
		if err == nil {
			page, err = c.Find(ctx, q, 25)
		}
		s.z.do(func() {
			if !s.lookup.finish(gen) {
				return // cancelled, or another search or lookup started
			}
			s.results.Objects = nil
			if err != nil {
				s.searchSt.SetText("The app cannot list users here, so type the addresses below. (" + conn.AdviceText(graph.AdviceFor(err)) + ")")
				s.results.Refresh()
				return
			}
			s.searchSt.SetText(fmt.Sprintf("%d found. Press Add next to each mailbox to connect.", len(page.Entries)))
			for _, e := range page.Entries {
				e := e
				kind := wizard.KindUser
				label := e.DisplayName + " <" + e.Address + ">"
				if e.LikelyShared {
					kind = wizard.KindShared
					label += " (shared)"
				}
				s.results.Add(container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() {
					s.add(wizard.Mailbox{Address: e.Address, ID: e.ID, DisplayName: e.DisplayName, Kind: kind})
				}), widget.NewLabel(label)))
			}
			s.results.Refresh()
		})
	}()
}

func (s *mailboxesScreen) addTyped() {
	if looksLikeObjectID(s.address.Text) {
		s.resolveAndAdd(wizard.Clean(s.address.Text))
		return
	}
	kind := wizard.KindUser
	if s.kind.SelectedIndex() == 1 {
		kind = wizard.KindShared
	}
	if typed := s.address.Text; s.add(wizard.Mailbox{Address: typed, Kind: kind}) {
		s.address.SetText("")
		s.describeLater(wizard.Clean(typed))
	}
}

func (s *mailboxesScreen) add(m wizard.Mailbox) bool {
	if err := s.z.state.AddMailbox(m); err != nil {
		s.addErr.SetText(err.Error())
		return false
	}
	s.addErr.SetText("")
	if added := conn.TurnOnSharedIfNeeded(s.z.state); len(added) > 0 {
		s.shared.SetText("Shared mailboxes turned on: " + wizard.Clean(m.Address) + " is not " + s.z.state.ServiceAccount +
			"'s own mailbox, so the app now also asks for " + strings.Join(added, ", ") +
			". Sign in again so the account grants them (the chosen mailboxes stay).")
		s.sharedBox.Show()
	}
	s.render()
	s.checkReach(wizard.Clean(m.Address), true)
	s.z.refresh()
	return true
}

// signInAgain goes to the Consent step and starts the sign-in there, after shared
// mailboxes were turned on.
func (s *mailboxesScreen) signInAgain() {
	if err := s.z.GoTo(wizard.StepConsent); err != nil {
		return
	}
	if cs, ok := s.z.screens[wizard.StepConsent].(*consentScreen); ok && cs.stop == nil {
		cs.run()
	}
}

// lookupCancelled says on screen which lookup Cancel stopped.
func (s *mailboxesScreen) lookupCancelled() {
	if s.lookupWhat == "search" {
		s.searchSt.SetText("Cancelled: the search was stopped. Search again when ready.")
		return
	}
	s.addErr.SetText("Cancelled: " + s.lookupWhat + " was not looked up or added.")
}

// reachContext is the context of a new reachability check: the running batch's, or a
// new batch's with the Cancel line shown.
func (s *mailboxesScreen) reachContext() context.Context {
	if s.reachStop == nil {
		s.reachCtx, s.reachStop = context.WithCancel(context.Background())
		s.reachAgain.Hide()
		s.reachCancel.Show()
		s.reachBox.Show()
	}
	s.reachN++
	s.reachText.SetText(fmt.Sprintf("Checking %d mailbox(es)…", s.reachN))
	return s.reachCtx
}

// reachDone counts a check of the batch ctx as finished.
func (s *mailboxesScreen) reachDone(ctx context.Context) {
	if ctx != s.reachCtx || s.reachStop == nil {
		return // a cancelled batch
	}
	if s.reachN--; s.reachN > 0 {
		s.reachText.SetText(fmt.Sprintf("Checking %d mailbox(es)…", s.reachN))
		return
	}
	s.reachStop()
	s.reachStop = nil
	s.reachBox.Hide()
}

// cancelReach stops every running reachability check; their badges say so and a late
// answer is dropped.
func (s *mailboxesScreen) cancelReach() {
	if s.reachStop == nil {
		return
	}
	s.reachStop()
	s.reachStop, s.reachN = nil, 0
	s.mu.Lock()
	for k, b := range s.badges {
		if b.ok == nil {
			s.gen++
			no := false
			s.badges[k] = badge{text: "not checked: cancelled", ok: &no, gen: s.gen} // no key: checked again on the next visit
		}
	}
	s.mu.Unlock()
	s.reachText.SetText("Cancelled: the checks were stopped.")
	s.reachCancel.Hide()
	s.reachAgain.Show()
	s.render()
}

// checkAgain checks the chosen mailboxes whose check was cancelled.
func (s *mailboxesScreen) checkAgain() {
	s.reachBox.Hide()
	for _, m := range s.z.state.Mailboxes {
		s.checkReach(m.Address, false)
	}
}

// checkReach opens the mailbox's inbox off the UI goroutine and updates its badge. It
// checks again when forced or when the badge was checked with other values.
func (s *mailboxesScreen) checkReach(address string, force bool) {
	key := strings.ToLower(address)
	vals := s.z.reachKey()
	s.mu.Lock()
	if b, done := s.badges[key]; done && b.key == vals && !force {
		s.mu.Unlock()
		return
	}
	s.gen++
	gen := s.gen
	if st := s.z.state; st.Mode == wizard.ModeDelegated && !st.SignedIn {
		// Shared mailboxes were just turned on: the old sign-in's answer would be a
		// misleading "access denied". Checked again after the new sign-in.
		s.badges[key] = badge{text: "checked once you have signed in again", key: vals, gen: gen}
		s.mu.Unlock()
		s.render()
		return
	}
	s.badges[key] = badge{text: "checking…", key: vals, gen: gen}
	s.mu.Unlock()
	s.render()
	c, err := s.z.directory() // reads the state: on the UI goroutine
	ctx := s.reachContext()
	go func() {
		defer s.z.do(func() { s.reachDone(ctx) })
		b := badge{key: vals, gen: gen}
		var fi graph.FolderInfo
		if err == nil {
			fi, err = c.Reach(ctx, address)
		}
		ok := err == nil
		b.ok = &ok
		if ok {
			b.text = fmt.Sprintf("reachable: %d messages in the Inbox", fi.Total)
		} else {
			b.text = "unreachable: " + conn.AdviceText(graph.AdviceFor(err))
		}
		s.mu.Lock()
		if cur, still := s.badges[key]; still && cur.gen == gen {
			s.badges[key] = b
		}
		s.mu.Unlock()
		s.z.do(s.render)
	}()
}

// Badge returns a mailbox's badge text and whether it is reachable (nil = checking).
func (s *mailboxesScreen) badge(address string) (string, *bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.badges[strings.ToLower(address)]
	return b.text, b.ok
}

// render rebuilds the chosen list.
func (s *mailboxesScreen) render() {
	s.chosen.Objects = nil
	if len(s.z.state.Mailboxes) == 0 {
		s.chosen.Add(widget.NewLabel("None yet."))
	}
	for _, m := range s.z.state.Mailboxes {
		m := m
		text, ok := s.badge(m.Address)
		icon := widget.NewIcon(theme.ViewRefreshIcon())
		st := widget.NewLabel(text)
		st.Wrapping = fyne.TextWrapWord
		if ok != nil && *ok {
			icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
			st.Importance = widget.SuccessImportance
		} else if ok != nil {
			icon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
			st.Importance = widget.DangerImportance
		}
		name := m.Address
		if m.DisplayName != "" {
			name = m.DisplayName + " <" + m.Address + ">"
		}
		remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
			s.z.state.RemoveMailbox(m.Address)
			s.render()
			s.z.refresh()
		})
		if s.z.state.Locked {
			remove.Disable()
		}
		s.chosen.Add(container.NewBorder(nil, nil, container.NewHBox(icon, widget.NewLabel(name+" ("+m.Kind+")"+s.describe(m.Address))), remove, st))
	}
	s.chosen.Refresh()
	s.z.refresh()
}
