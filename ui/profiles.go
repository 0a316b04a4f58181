package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	connpkg "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

// Saved connections (package connection's profiles) on the first screen: a consultant
// keeps one per customer and switches between them. The open profile decides where
// Save writes the config (ConfigPath) and under which keys the secrets go (secretKey).

// profileState is the wizard's profile store and the profile open now (zero: none,
// Save then adds one).
type profileState struct {
	store *connpkg.Profiles
	open  connpkg.ProfileEntry
}

// profiles returns the store of saved connections in the config folder.
func (z *Wizard) profiles() *profileState {
	if z.prof == nil {
		z.prof = &profileState{store: &connpkg.Profiles{Dir: z.opts.ConfigDir, Secrets: z.opts.Secrets, Now: z.opts.Now}}
	}
	return z.prof
}

// secretKey is the keyring key of one secret of c: the open profile's own key, or the
// connection's key when no profile is open (an imported file).
func (z *Wizard) secretKey(c *wizard.Config, kind string) string {
	if e := z.profiles().open; e.ID != "" {
		return connpkg.ProfileSecretKey(e, kind)
	}
	return c.SecretKey(kind)
}

// openDefaultProfile moves an old single config.json into a profile and opens the
// default profile (before the first show).
func (z *Wizard) openDefaultProfile() string {
	p := z.profiles()
	_, _, err := p.store.MigrateLegacy(z.legacyConfigPath(), connpkg.DefaultProfileName)
	if e, rerr := p.store.Resolve(""); rerr == nil {
		p.open = e
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// ensureProfile gives a connection about to be saved a profile when none is open: named
// after the tenant, made unique. The profile starts as an unlocked draft of c: Save
// writes the locked config only once the secrets are in the keyring, so a Save that
// fails or is cancelled leaves no locked connection without its secrets.
func (z *Wizard) ensureProfile(c *wizard.Config) error {
	p := z.profiles()
	if p.open.ID != "" {
		return nil
	}
	name := p.store.FreeName(c.TenantID)
	draft := *c
	draft.Locked = false
	e, err := p.store.Add(name, &draft)
	if err != nil {
		return err
	}
	p.open = e
	return nil
}

// profilesPanel lists the saved connections with Add (a new one), Open, Rename,
// Duplicate, Delete and Export.
type profilesPanel struct {
	z       *Wizard
	list    *widget.List
	rows    []connpkg.ProfileSummary
	sel     int
	status  *widget.Label
	buttons []*widget.Button
	open    *widget.Button
	root    *fyne.Container
}

func newProfilesPanel(z *Wizard) *profilesPanel {
	p := &profilesPanel{z: z, sel: -1}
	p.status = wrapLabel("")
	p.list = widget.NewList(func() int { return len(p.rows) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(profileLine(p.rows[i], p.z.profiles().open.ID))
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.sel = i; p.enableButtons() }
	p.list.OnUnselected = func(widget.ListItemID) { p.sel = -1; p.enableButtons() }
	add := widget.NewButtonWithIcon("New", theme.ContentAddIcon(), p.doNew)
	p.open = widget.NewButtonWithIcon("Open", theme.FolderOpenIcon(), p.doOpen)
	rename := widget.NewButtonWithIcon("Rename", theme.DocumentCreateIcon(), p.doRename)
	dup := widget.NewButtonWithIcon("Duplicate", theme.ContentCopyIcon(), p.doDuplicate)
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), p.doDelete)
	export := widget.NewButtonWithIcon("Export", theme.DocumentSaveIcon(), p.doExport)
	p.buttons = []*widget.Button{p.open, rename, dup, del, export}
	listBox := container.NewGridWrap(fyne.NewSize(900, 110), p.list)
	p.root = container.NewVBox(
		widget.NewLabelWithStyle("Saved connections", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		listBox,
		container.NewHBox(add, p.open, rename, dup, del, export),
		p.status, widget.NewSeparator())
	p.reload()
	return p
}

// profileLine is one row: name, tenant, mode, mailboxes, last verified, expiry.
func profileLine(s connpkg.ProfileSummary, openID string) string {
	name := s.Name
	if s.ID == openID {
		name = "▶ " + name
	}
	if s.Default {
		name += " (default)"
	}
	if s.Err != nil {
		return name + " — cannot be read: " + s.Err.Error()
	}
	parts := []string{s.Tenant, s.Mode, fmt.Sprintf("%d mailbox(es)", len(s.Mailboxes))}
	if s.LastVerified.IsZero() {
		parts = append(parts, "never verified")
	} else {
		v := "verified " + s.LastVerified.Local().Format("2 Jan 2006")
		if !s.Passed {
			v += " (failed)"
		}
		parts = append(parts, v)
	}
	if s.SecretExpires != nil {
		e := "expires " + s.SecretExpires.Format("2 Jan 2006")
		if s.ExpiryWarning != "" {
			e = "⚠ " + e
		}
		parts = append(parts, e)
	}
	return name + " — " + strings.Join(parts, " · ")
}

func (p *profilesPanel) reload() {
	rows, err := p.z.profiles().store.List()
	if err != nil {
		p.status.SetText("The saved connections could not be read: " + err.Error())
	}
	p.rows = rows
	p.sel = -1
	p.list.UnselectAll()
	p.list.Refresh()
	if len(rows) == 0 {
		p.root.Hide()
	} else {
		p.root.Show()
	}
	p.enableButtons()
}

func (p *profilesPanel) enableButtons() {
	for _, b := range p.buttons {
		if p.sel >= 0 && p.sel < len(p.rows) {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (p *profilesPanel) selected() (connpkg.ProfileSummary, bool) {
	if p.sel < 0 || p.sel >= len(p.rows) {
		return connpkg.ProfileSummary{}, false
	}
	return p.rows[p.sel], true
}

// doNew starts an empty connection; Save adds it as a new profile.
func (p *profilesPanel) doNew() {
	z := p.z
	z.profiles().open = connpkg.ProfileEntry{}
	*z.state = wizard.State{}
	_ = z.GoTo(wizard.StepEnvironment)
	p.reload()
	p.status.SetText("New connection: fill in the steps; Save adds it to the list.")
}

// doOpen loads the selected profile into the wizard.
func (p *profilesPanel) doOpen() {
	s, ok := p.selected()
	if !ok {
		return
	}
	p.status.SetText(p.z.openProfile(connpkg.ProfileEntry{ID: s.ID, Name: s.Name}))
	p.reload()
}

func (p *profilesPanel) askName(title, initial string, done func(string)) {
	e := widget.NewEntry()
	e.SetText(initial)
	e.Validator = connpkg.ValidateProfileName
	d := dialog.NewForm(title, "OK", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", e)}, func(ok bool) {
		if ok {
			done(e.Text)
		}
	}, p.z.win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}

func (p *profilesPanel) doRename() {
	s, ok := p.selected()
	if !ok {
		return
	}
	p.askName("Rename "+s.Name, s.Name, func(n string) { p.rename(s, n) })
}

func (p *profilesPanel) rename(s connpkg.ProfileSummary, n string) {
	if err := p.z.profiles().store.Rename(s.Name, n); err != nil {
		p.status.SetText("Not renamed: " + err.Error())
		return
	}
	if pe := &p.z.profiles().open; pe.ID == s.ID {
		pe.Name = strings.TrimSpace(n)
	}
	p.reload()
	p.status.SetText("Renamed to " + strings.TrimSpace(n) + ".")
}

func (p *profilesPanel) doDuplicate() {
	s, ok := p.selected()
	if !ok {
		return
	}
	p.askName("Duplicate "+s.Name, s.Name+" (copy)", func(n string) { p.duplicate(s, n) })
}

func (p *profilesPanel) duplicate(s connpkg.ProfileSummary, n string) {
	if _, err := p.z.profiles().store.Duplicate(s.Name, n); err != nil {
		p.status.SetText("Not duplicated: " + err.Error())
		return
	}
	p.reload()
	p.status.SetText("Duplicated as " + strings.TrimSpace(n) + " (unlocked, no secrets: open it and enter the new customer's values).")
}

func (p *profilesPanel) doDelete() {
	s, ok := p.selected()
	if !ok {
		return
	}
	dialog.ShowConfirm("Delete "+s.Name+"?", "The saved settings and their secrets in the keyring are removed. The local mail store stays.", func(yes bool) {
		if yes {
			p.delete(s)
		}
	}, p.z.win)
}

func (p *profilesPanel) delete(s connpkg.ProfileSummary) {
	err := p.z.profiles().store.Delete(s.Name)
	if pe := &p.z.profiles().open; pe.ID == s.ID {
		*pe = connpkg.ProfileEntry{}
	}
	p.reload()
	if err != nil {
		p.status.SetText("Deleted, with a problem: " + err.Error())
		return
	}
	p.status.SetText("Deleted " + s.Name + ".")
}

func (p *profilesPanel) doExport() {
	s, ok := p.selected()
	if !ok {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		p.export(s, path)
	}, p.z.win)
	d.SetFileName(strings.ReplaceAll(s.Name, " ", "-") + "-m365connect.json")
	d.Show()
}

func (p *profilesPanel) export(s connpkg.ProfileSummary, path string) {
	b, err := p.z.profiles().store.Export(s.Name)
	if err == nil {
		err = wizard.WriteFileAtomic(path, b, 0o600)
	}
	if err != nil {
		p.status.SetText("Not exported: " + err.Error())
		return
	}
	p.status.SetText("Exported " + s.Name + " to " + path + " (no secrets).")
}

// openProfile makes e the open profile and loads its config: a locked one reopens at
// Save & sync, an unlocked one at the first step with its values. It returns the line
// to show.
func (z *Wizard) openProfile(e connpkg.ProfileEntry) string {
	p := z.profiles()
	prev := p.open
	p.open = e
	note, warn := z.resumeSaved()
	if warn != "" {
		return warn
	}
	if note != "" {
		z.show()
		return e.Name + ": " + note
	}
	_, c, err := p.store.Open(e.Name)
	if err != nil {
		p.open = prev
		return "Not opened: " + err.Error()
	}
	st := wizard.StateFromConfig(c)
	st.Locked = false
	kerr := z.loadSecrets(st, c)
	*z.state = *st
	_ = z.GoTo(wizard.StepEnvironment)
	if kerr != nil {
		return "Opened " + e.Name + ", but its secrets were not read: " + kerr.Error() + ", then open it again."
	}
	return "Opened " + e.Name + ": check each step, then verify and save."
}

// profileScreen puts the saved connections above the first step's content.
type profileScreen struct {
	inner screen
	panel *profilesPanel
	root  fyne.CanvasObject
}

func withProfiles(z *Wizard, inner screen) *profileScreen {
	ps := &profileScreen{inner: inner, panel: newProfilesPanel(z)}
	ps.root = container.NewBorder(ps.panel.root, nil, nil, nil, inner.object())
	return ps
}

func (ps *profileScreen) object() fyne.CanvasObject { return ps.root }

func (ps *profileScreen) enter() {
	ps.panel.reload()
	if e, ok := ps.inner.(enterer); ok {
		e.enter()
	}
}

// legacyConfigFile is the config file name before profiles (connection.LegacyConfigFile).
const legacyConfigFile = connpkg.LegacyConfigFile

// secretSource is where the window's connection finds its secrets: the open profile's
// keys in the keyring (or the connection's keys when no profile is open).
func (z *Wizard) secretSource() SecretSource {
	src := connpkg.Chain{Store: z.opts.Secrets}
	if e := z.profiles().open; e.ID != "" {
		return connpkg.ProfileSecrets(e, src)
	}
	return src
}
