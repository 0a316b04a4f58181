package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	conn "github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/wizard"
)

type saveScreen struct {
	z          *Wizard
	keyring    *widget.Label
	useFile    *widget.Check
	expiry     *widget.Label
	save       *widget.Button
	reset      *widget.Button
	export     *widget.Button
	importB    *widget.Button
	disconnect *widget.Button
	status     *widget.Label
	work       *cancelRow // Save or Disconnect under way: the keyring may wait for its unlock prompt
	noKeyring  error
	probeGen   int // ignores the answer of an older probe

	// The tabs: Connection (save, export, disconnect), Sync (sync.go) and, when the
	// connection sends, Outgoing mail (outbox.go).
	tabs     *container.AppTabs
	connTab  *container.TabItem
	syncTab  *container.TabItem
	outTab   *container.TabItem
	sync     *syncPanel
	outbox   *outboxPanel
	rotation *rotatePanel         // Reset's "Rotate the secret" (rotate.go)
	syncConf *wizard.SyncSettings // an imported config's sync section, kept on save
	root     fyne.CanvasObject
}

// ConfigPath is where the wizard saves the config: the open profile's file.
func (z *Wizard) ConfigPath() string {
	if p := z.profiles(); p.open.ID != "" {
		return p.store.ConfigPath(p.open.ID)
	}
	return z.legacyConfigPath()
}

// legacyConfigPath is the single config.json of versions before profiles.
func (z *Wizard) legacyConfigPath() string {
	return filepath.Join(z.opts.ConfigDir, legacyConfigFile)
}

func newSaveScreen(z *Wizard) *saveScreen {
	s := &saveScreen{z: z}
	s.keyring = wrapLabel("Looking for the OS keyring…")
	s.useFile = widget.NewCheck("Keep the secrets in a file only my user account can read instead", func(bool) {})
	s.useFile.Hide()
	s.expiry = wrapLabel("")
	s.expiry.Importance = widget.WarningImportance
	s.status = wrapLabel("")
	s.work = newCancelRow()
	s.save = widget.NewButtonWithIcon("Save the connection", theme.DocumentSaveIcon(), s.doSave)
	s.save.Importance = widget.HighImportance
	s.reset = widget.NewButtonWithIcon("Reset (rotate a secret or fix a value)", theme.ViewRefreshIcon(), s.askReset)
	s.export = widget.NewButtonWithIcon("Export verified config…", theme.UploadIcon(), func() {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			w.Close()
			s.doExport(w.URI().Path())
		}, z.win)
		d.SetFileName("m365connect-config.json")
		d.Show()
	})
	s.importB = widget.NewButtonWithIcon("Import config…", theme.DownloadIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			s.doImport(r.URI().Path())
		}, z.win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
		d.Show()
	})
	s.disconnect = widget.NewButtonWithIcon("Disconnect", theme.DeleteIcon(), func() {
		dialog.ShowConfirm("Disconnect?", "This removes the stored secret and sign-in from this computer and unlocks the settings. Mail already synced stays.", func(ok bool) {
			if ok {
				s.doDisconnect()
			}
		}, z.win)
	})
	s.disconnect.Importance = widget.DangerImportance
	s.rotation = newRotatePanel(z)
	s.sync = newSyncPanel(z)
	s.outbox = newOutboxPanel(z)
	connBox := container.NewVBox(
		wrapLabel("Saving puts the client secret, certificate password or sign-in into the OS keyring (Credential Manager on Windows, Keychain on macOS, the Secret Service on Linux). "+
			"The config file and every export hold no secret."),
		s.keyring, s.useFile, s.expiry,
		container.NewHBox(s.save, s.reset),
		s.work.box, s.status, s.rotation.box,
		widget.NewSeparator(),
		container.NewHBox(s.export, s.importB, s.disconnect),
	)
	s.work.owner = connBox
	s.connTab = container.NewTabItemWithIcon("Connection", theme.DocumentSaveIcon(), connBox)
	s.syncTab = container.NewTabItemWithIcon("Sync", theme.ViewRefreshIcon(), s.sync.root)
	s.outTab = container.NewTabItemWithIcon("Outgoing mail", theme.MailSendIcon(), s.outbox.root)
	s.tabs = container.NewAppTabs(s.connTab, s.syncTab)
	s.tabs.OnSelected = func(t *container.TabItem) {
		if t == s.outTab {
			s.outbox.refresh()
		}
		z.refresh()
	}
	s.root = container.NewStack(s.tabs)
	return s
}

// saveConfig is the config as the last step saves it: the wizard's values, the sync
// section of an imported config and the outbox policy of the Outgoing mail tab.
func (z *Wizard) saveConfig() *wizard.Config {
	c := z.state.Config(z.opts.AppVersion, z.opts.Now())
	s := z.screens[wizard.StepSave].(*saveScreen)
	if sc := s.syncConf; sc != nil {
		cp := *sc
		cp.Folders = slices.Clone(sc.Folders)
		c.Sync = &cp
	}
	c.Outbox = s.outbox.section(c)
	return c
}

func (s *saveScreen) object() fyne.CanvasObject { return s.root }

func (s *saveScreen) cancelAction() bool {
	return cancelFirst([]*cancelRow{s.work}, s.rotation.cancel)
}

func (s *saveScreen) enter() {
	z := s.z
	s.expiry.SetText(wizard.ExpiryWarning(z.state.Mode, z.state.ExpiresAt(), z.opts.Now()))
	s.lockButtons()
	if z.state.Outgoing {
		if !slices.Contains(s.tabs.Items, s.outTab) {
			s.tabs.Append(s.outTab)
		}
		s.outbox.enter()
	} else if slices.Contains(s.tabs.Items, s.outTab) {
		s.tabs.Remove(s.outTab)
	}
	s.probeGen++
	gen := s.probeGen
	go func() {
		err := conn.ProbeKeyring(z.opts.Secrets)
		z.do(func() {
			if gen != s.probeGen {
				return
			}
			s.noKeyring = err
			if err == nil {
				s.keyring.SetText("The OS keyring is available: secrets will be kept there.")
				s.useFile.Hide()
				return
			}
			if errors.Is(err, conn.ErrKeyringNoAnswer) {
				// A keyring that waits for its password is there: do not offer the file.
				s.noKeyring = nil
				s.keyring.SetText("The OS keyring did not answer yet: it may be asking for its password in a window of its own. Unlock it; " +
					fmt.Sprintf("Save waits for it (up to %.0f minutes; Cancel stops waiting).", conn.KeyringPromptWait.Minutes()))
				s.useFile.Hide()
				return
			}
			s.keyring.SetText("There is no keyring on this computer (" + strings.TrimPrefix(err.Error(), "no keyring here: ") + "). " +
				"The secrets can instead go to " + z.opts.Secrets.FallbackPath() + ", readable only by your user account (mode 0600). Anyone with your account or an admin of this computer can read it.")
			s.useFile.Show()
		})
	}()
}

func (s *saveScreen) lockButtons() {
	if s.work.running() {
		s.save.Disable()
		s.reset.Disable()
		s.disconnect.Disable()
		s.sync.setCanStart(false)
		return
	}
	if s.z.state.Locked {
		s.save.Disable()
		s.reset.Enable()
		s.disconnect.Enable()
	} else {
		s.save.Enable()
		s.reset.Disable()
		s.disconnect.Disable()
	}
	s.sync.setCanStart(s.z.state.Locked)
}

// secretEntries are the secrets this state holds, by kind.
func (z *Wizard) secretEntries() map[string]string {
	st := z.state
	m := map[string]string{}
	switch st.Mode {
	case wizard.ModeSecret:
		m[wizard.SecretClientSecret] = st.ClientSecret
	case wizard.ModeCertificate:
		if st.CertPassword != "" {
			m[wizard.SecretCertPassword] = st.CertPassword
		}
	case wizard.ModeDelegated:
		if st.RefreshToken != "" {
			m[wizard.SecretRefreshToken] = st.RefreshToken
		}
	}
	return m
}

// refreshTokenRotated keeps the newest refresh token (and stores it once saved).
func (z *Wizard) refreshTokenRotated(t string) {
	z.state.RefreshToken = t
	if z.state.Locked {
		c := z.state.Config(z.opts.AppVersion, z.opts.Now())
		key := z.secretKey(c, wizard.SecretRefreshToken)
		go func() { _ = conn.StoreSecret(z.opts.Secrets, key, t) }()
	}
}

func (s *saveScreen) doSave() {
	z := s.z
	if z.state.Mode == wizard.ModeDelegated && z.state.RefreshToken == "" {
		s.status.SetText("The sign-in gave no refresh token (offline_access missing?): sign in again in the Consent step.")
		return
	}
	z.state.Locked = true
	cfg := z.saveConfig()
	if err := cfg.Validate(); err != nil {
		z.state.Locked = false
		s.status.SetText("Not saved: " + err.Error())
		return
	}
	secrets := z.secretEntries()
	if err := z.ensureProfile(cfg); err != nil {
		z.state.Locked = false
		s.status.SetText("Not saved: " + err.Error())
		return
	}
	path := z.ConfigPath()
	keys := map[string]string{} // keyring key → secret
	for kind, v := range secrets {
		keys[z.secretKey(cfg, kind)] = v
	}
	allowFile := s.useFile.Checked // the fallback file only once the user agreed
	s.status.SetText("")
	place := "the OS keyring"
	if allowFile {
		place = "the keyring or the file only you can read"
	}
	s.work.onCancel = s.saveCancelled
	ctx, gen := s.work.start("Saving: putting the secrets into " + place + " (it may ask you to unlock it), then writing " + path + "…")
	s.lockButtons()
	go func() {
		saved, err := conn.SaveWithSecrets(ctx, cfg, path, z.opts.Secrets, allowFile, keys)
		z.do(func() {
			if !s.work.finish(gen) {
				return // cancelled: saveCancelled said so; SaveWithSecrets put the keyring back
			}
			if err != nil {
				z.state.Locked = false
				s.lockButtons()
				msg := "Not saved: " + err.Error()
				if errors.Is(err, conn.ErrNoKeyring) {
					s.useFile.Show() // the keyring failed after the probe said yes: ask now
					msg += ". Tick the box above to keep the secrets in a file only you can read."
				}
				s.status.SetText(msg)
				return
			}
			place := saved.Place
			if saved.InFile {
				place += " (readable only by you)"
			}
			s.status.SetText("Saved to " + path + "; secrets in " + place + ". The settings are locked: use Reset to change them. Start the sync on the Sync tab.")
			s.lockButtons()
			z.refresh()
		})
	}()
}

// saveCancelled is Save's Cancel: the settings stay unlocked and nothing is saved (the
// config is not written; the keyring is put back as it was once its call returns).
func (s *saveScreen) saveCancelled() {
	s.z.state.Locked = false
	s.lockButtons()
	s.status.SetText("Save cancelled: the config was not written and the keyring keeps what it held before. Save again when ready.")
	s.z.refresh()
}

func (s *saveScreen) doReset() {
	s.sync.stop(nil) // it syncs the saved settings, which are about to change
	s.z.state.Locked = false
	s.lockButtons()
	s.status.SetText("Unlocked. Change what you need, then verify and save again.")
	_ = s.z.GoTo(wizard.StepAppRegistration)
}

// doExport writes the verified config (no secrets) and the HTML report beside it.
func (s *saveScreen) doExport(path string) {
	z := s.z
	cfg := z.saveConfig()
	report := strings.TrimSuffix(path, filepath.Ext(path)) + "-report.html"
	err := cfg.Save(path)
	if err == nil {
		var b bytes.Buffer
		if err = wizard.WriteReport(&b, cfg, z.opts.Now()); err == nil {
			err = wizard.WriteFileAtomic(report, b.Bytes(), 0o644)
		}
	}
	if err != nil {
		s.status.SetText("Not exported: " + err.Error())
		return
	}
	s.status.SetText("Exported " + path + " and the printable report " + report + " (no secrets in either).")
}

// resumeSaved reopens the connection saved in ConfigDir, so a restart of the app goes
// straight back to Save & sync (locked, secrets from the keyring) instead of an empty
// wizard. It returns the line to show, or "" when there is nothing to resume. A
// practice-tenant connection is not resumed: the practice tenant starts afresh (new
// ports, new TLS certificate) with every run, but keeps its secrets, certificates and
// consent in ConfigDir/practice: it is started here and the saved hosts are rewritten.
// Called before the first show, on the UI goroutine. warn, when set, is worth a dialog:
// the file could not be read, or the connection could not be reopened whole.
func (z *Wizard) resumeSaved() (note, warn string) {
	path := z.ConfigPath()
	c, err := wizard.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", ""
	case err != nil:
		return "", "The saved connection could not be read, so the wizard starts afresh (Import can load a good copy): " + err.Error()
	case !c.Locked:
		return "", ""
	case c.Cloud == wizard.CloudPractice:
		// The practice tenant running in this window, if any, is the one to reopen with
		// (opening a saved practice connection from the list while it runs); a second
		// one would leak the first and share its state file.
		z.mu.Lock()
		srv := z.practice
		z.mu.Unlock()
		if srv == nil {
			var err error
			if srv, err = z.startPracticeNow(); err != nil {
				return "", "The saved practice connection could not be reopened: the practice tenant did not start (" + err.Error() + "). Choose it again in Environment."
			}
			z.mu.Lock()
			z.practice = srv
			z.mu.Unlock()
		}
		c.Practice = srv.Hosts()
	}
	st := wizard.StateFromConfig(c)
	st.Consented = st.Verification != nil // passed here, recomputed from the checks
	if err := z.loadSecrets(st, c); err != nil {
		return "", "The saved connection was not reopened: its secrets could not be read: " + err.Error() +
			", then open the connection again from the saved connections on the first step."
	}
	st.SignedIn = st.RefreshToken != ""
	*z.state = *st
	// The saved verification checked exactly these values.
	z.screens[wizard.StepVerify].(*verifyScreen).key = z.verifyKey()
	s := z.screens[wizard.StepSave].(*saveScreen)
	s.syncConf = c.Sync
	s.outbox.load(c.Outbox)
	if err := z.flow.GoTo(wizard.StepSave); err != nil {
		// A secret is missing from the keyring (or the config was edited): show the
		// step that needs it, with the values filled in.
		_ = z.flow.GoTo(wizard.StepEnvironment)
		for _, id := range []wizard.StepID{wizard.StepPrerequisites, wizard.StepAppRegistration, wizard.StepConsent, wizard.StepMailboxes, wizard.StepVerify, wizard.StepSave} {
			if z.flow.GoTo(id) != nil {
				break
			}
		}
		z.state.Locked = false
		return "", "The saved connection was reopened, but " + err.Error() + ". Fill it in, verify and save again."
	}
	return fmt.Sprintf("Reopened the connection saved on %s (tenant %s, %d mailbox(es)). Start the sync, or Reset to change it.",
		c.SavedAt.Local().Format("2 January 2006 15:04"), c.TenantID, len(c.Mailboxes)), ""
}

// loadSecrets fills st's secrets for config c from the keyring (those it holds).
// It reports a keyring that did not answer (it may be locked) in words to show.
func (z *Wizard) loadSecrets(st *wizard.State, c *wizard.Config) error {
	dst := map[string]*string{wizard.SecretClientSecret: &st.ClientSecret, wizard.SecretCertPassword: &st.CertPassword, wizard.SecretRefreshToken: &st.RefreshToken}
	keys := map[string]string{}
	for kind := range dst {
		keys[kind] = z.secretKey(c, kind)
	}
	got, err := conn.LoadSecrets(z.opts.Secrets, keys)
	for kind, v := range got {
		*dst[kind] = v
	}
	if err != nil {
		return errors.New("the OS keyring did not answer; it may be locked and asking for its password in a window of its own: unlock it")
	}
	return nil
}

// doImport loads a config, takes its secrets from the keyring, and shows Verify.
func (s *saveScreen) doImport(path string) {
	z := s.z
	c, err := wizard.Load(path)
	if err != nil {
		s.status.SetText("Not imported: " + err.Error())
		return
	}
	s.sync.stop(nil)
	c.MarkImported() // not verified on this machine: StateFromConfig keeps no verification
	st := wizard.StateFromConfig(c)
	st.Locked = false
	st.Consented = c.VerificationOutcome().Passed
	kerr := z.loadSecrets(st, c)
	*z.state = *st
	s.syncConf = c.Sync
	s.outbox.load(c.Outbox)
	s.status.SetText(fmt.Sprintf("Imported %s: not verified on this machine. Check each step, then verify and save.", path))
	if kerr != nil {
		s.status.SetText(s.status.Text + " Its secrets were not read: " + kerr.Error() + ", or type them again.")
	}
	_ = z.GoTo(wizard.StepAppRegistration)
}

// doDisconnect stops a running sync first (its store stays), then forgets the secrets.
func (s *saveScreen) doDisconnect() {
	if s.sync.running {
		s.status.SetText("Stopping the sync before disconnecting…")
	}
	s.sync.stop(s.disconnectNow)
}

// disconnectNow forgets the secrets and unlocks the saved config off the UI goroutine
// (the keyring may wait for its unlock prompt) with progress and Cancel, which puts back
// what was removed.
func (s *saveScreen) disconnectNow() {
	z := s.z
	cfg := z.state.Config(z.opts.AppVersion, z.opts.Now())
	var keys []string
	for _, kind := range []string{wizard.SecretClientSecret, wizard.SecretCertPassword, wizard.SecretRefreshToken} {
		keys = append(keys, z.secretKey(cfg, kind))
	}
	store, path := z.opts.Secrets, z.ConfigPath()
	s.work.onCancel = func() {
		s.lockButtons()
		s.status.SetText("Disconnect cancelled: the connection stays saved; what was removed from the keyring is put back.")
	}
	ctx, gen := s.work.start("Disconnecting: removing the stored secret and sign-in from the keyring…")
	s.lockButtons()
	go func() {
		forgetErr := conn.Disconnect(ctx, store, path, keys...)
		z.do(func() {
			if !s.work.finish(gen) {
				return // cancelled: onCancel said so; ForgetSecrets put the keyring back
			}
			z.state.Locked = false
			z.state.SignedIn = false
			z.state.RefreshToken = ""
			z.mu.Lock()
			z.conn = nil
			z.mu.Unlock()
			s.lockButtons()
			if err := forgetErr; err != nil {
				s.status.SetText("Disconnected, but some secrets could not be removed: " + err.Error())
				return
			}
			s.status.SetText("Disconnected: the stored secret and sign-in are removed from this computer. Mail already synced is kept.")
		})
	}()
}
