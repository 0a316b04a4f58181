package wizard

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State holds everything typed or chosen in the wizard. It outlives the screens, so
// going back and forth never loses a value. Secrets (ClientSecret, CertPassword,
// RefreshToken) are kept in memory only; they go to the OS keyring, never to a file.
type State struct {
	// Cloud is the chosen environment: one of the Cloud* names.
	Cloud string
	// Practice holds the practice tenant's addresses once it is running.
	Practice *PracticeHosts

	// Incoming and Outgoing say which mail the connection handles; ReadWrite lets it
	// also move, flag and delete incoming mail; ListUsers lets the mailbox picker list
	// the directory; Shared reaches shared or other people's mailboxes (delegated).
	Incoming, Outgoing, ReadWrite, ListUsers, Shared bool
	// Mode is the access mode: one of the Mode* names.
	Mode string
	// Permissions are the Graph permissions the features need in Mode (set by the UI
	// from package graph, which owns that table).
	Permissions []string

	// TenantID is the directory (tenant) ID or a verified domain.
	TenantID string
	// ClientID is the app registration's Application (client) ID.
	ClientID string
	// ClientSecret is the client secret value (secret mode).
	ClientSecret string
	// SecretExpiry is the secret's expiry date as typed from the portal ("" = unknown).
	SecretExpiry string
	// CertFile, CertPassword: the certificate (certificate mode); CertThumbprint and
	// CertNotAfter are set once the file was read successfully.
	CertFile, CertPassword, CertThumbprint string
	CertNotAfter                           *time.Time

	// Consented is set when admin consent was granted (or confirmed as already given).
	Consented bool
	// SignedIn is set after a delegated sign-in; ServiceAccount is who signed in and
	// RefreshToken keeps the sign-in (memory only, then the keyring).
	SignedIn       bool
	ServiceAccount string
	RefreshToken   string

	// Mailboxes are the chosen mailboxes.
	Mailboxes []Mailbox
	// Verification is the last verification run.
	Verification *Verification
	// Locked: the config was saved; fields are read-only until Reset.
	Locked bool
}

// Features returns what the connection does, as the config records it.
func (s *State) Features() Features {
	return Features{
		Read: s.Incoming, Write: s.Incoming && s.ReadWrite, Send: s.Outgoing,
		ListUsers: s.ListUsers, Shared: s.Shared && s.Mode == ModeDelegated,
	}
}

// Gate reports whether a step's values are complete; it is the Flow's gate. The error
// names the field and what to do, in words for the person at the keyboard.
func (s *State) Gate(id StepID) error {
	switch id {
	case StepEnvironment:
		if s.Cloud == "" {
			return errors.New("Environment: choose where the mailboxes live")
		}
		if s.Cloud == CloudPractice && s.Practice == nil {
			return errors.New("Environment: the practice tenant has not started yet")
		}
	case StepPrerequisites:
		if !s.Incoming && !s.Outgoing {
			return errors.New("What it will do: tick incoming mail, outgoing mail, or both")
		}
		if s.Mode == "" {
			return errors.New("Access mode: choose how the app reaches the mailboxes")
		}
	case StepAppRegistration:
		errs := []error{ValidateTenant(s.TenantID), ValidateClientID(s.ClientID)}
		switch s.Mode {
		case ModeSecret:
			errs = append(errs, ValidateClientSecret(s.ClientSecret), ValidateExpiryDate(s.SecretExpiry))
		case ModeCertificate:
			switch {
			case s.CertFile == "":
				errs = append(errs, errors.New("Certificate: choose the certificate file (.pfx or .pem) whose public part is uploaded to the app"))
			case s.CertThumbprint == "":
				errs = append(errs, errors.New("Certificate: the file could not be read; check the file and its password"))
			}
		}
		for _, err := range errs {
			if err != nil {
				return err // the first problem, top to bottom, as the form reads
			}
		}
	case StepConsent:
		if s.Mode == ModeDelegated && !s.SignedIn {
			return errors.New("Sign-in: sign in with the service account in the browser")
		}
		if s.Mode != ModeDelegated && !s.Consented {
			return errors.New("Consent: an administrator must approve the app (or tick that it is already approved)")
		}
	case StepMailboxes:
		if len(s.Mailboxes) == 0 {
			return errors.New("Mailboxes: add at least one mailbox")
		}
		if s.Mode == ModeDelegated && !s.SignedIn {
			// Choosing a shared mailbox turned the .Shared permissions on after the
			// sign-in (connection.TurnOnSharedIfNeeded): its token lacks them.
			return errors.New("Sign-in: sign in again in the Consent step, so the account grants the shared-mailbox permissions")
		}
	case StepVerify:
		if s.Verification == nil {
			return errors.New("Verify: run the checks")
		}
		if !s.Verification.Passed {
			return errors.New("Verify: fix the failed checks, then run them again")
		}
	}
	return nil
}

// AddMailbox adds a mailbox unless its address is already chosen; it validates the
// address first.
func (s *State) AddMailbox(m Mailbox) error {
	m.Address = Clean(m.Address)
	if err := ValidateMailboxAddress(m.Address); err != nil {
		return err
	}
	if m.Kind == "" {
		m.Kind = KindUser
	}
	for _, have := range s.Mailboxes {
		if strings.EqualFold(have.Address, m.Address) {
			return fmt.Errorf("Mailbox: %s is already in the list", m.Address)
		}
	}
	s.Mailboxes = append(s.Mailboxes, m)
	s.Verification = nil // the checks must see the new list
	return nil
}

// RemoveMailbox removes the mailbox with that address.
func (s *State) RemoveMailbox(address string) {
	s.Mailboxes = slices.DeleteFunc(s.Mailboxes, func(m Mailbox) bool { return strings.EqualFold(m.Address, address) })
	s.Verification = nil
}

// ExpiresAt is the credential's expiry: the certificate's NotAfter or the typed date.
func (s *State) ExpiresAt() *time.Time {
	switch s.Mode {
	case ModeCertificate:
		return s.CertNotAfter
	case ModeSecret:
		t, _ := ParseExpiryDate(s.SecretExpiry)
		return t
	}
	return nil
}

// CertFileInKeyring is State.CertFile for a certificate kept in the keyring only
// (Credential.CertificateInKeyring in the config).
const CertFileInKeyring = "keyring:"

// Config builds the config to save or export. It carries no secret.
func (s *State) Config(appVersion string, now time.Time) *Config {
	c := &Config{
		Schema: SchemaVersion, AppVersion: appVersion, SavedAt: now.UTC(),
		Cloud: s.Cloud, TenantID: NormaliseTenant(s.TenantID), ClientID: Clean(s.ClientID), AccessMode: s.Mode,
		Features: s.Features(), Permissions: slices.Clone(s.Permissions),
		Mailboxes: slices.Clone(s.Mailboxes), Locked: s.Locked, Verification: s.Verification,
	}
	if s.Cloud == CloudPractice && s.Practice != nil {
		p := *s.Practice
		c.Practice = &p
	}
	c.Credential.ExpiresAt = s.ExpiresAt()
	if s.Mode == ModeCertificate {
		c.Credential.CertificateFile = s.CertFile
		if s.CertFile == CertFileInKeyring {
			c.Credential.CertificateFile, c.Credential.CertificateInKeyring = "", true
		}
		c.Credential.CertificateThumbprint = s.CertThumbprint
	}
	if s.Mode == ModeDelegated {
		c.Credential.ServiceAccount = s.ServiceAccount
	}
	return c
}

// StateFromConfig rebuilds the wizard's state from a saved config. Secrets are not in
// the config: the caller fetches them from the keyring.
func StateFromConfig(c *Config) *State {
	s := &State{
		Cloud: c.Cloud, TenantID: c.TenantID, ClientID: c.ClientID, Mode: c.AccessMode,
		Incoming: c.Features.Read || c.Features.Write, Outgoing: c.Features.Send,
		ReadWrite: c.Features.Write, ListUsers: c.Features.ListUsers, Shared: c.Features.Shared,
		Permissions: slices.Clone(c.Permissions), Mailboxes: slices.Clone(c.Mailboxes),
		CertFile: c.Credential.CertificateFile, CertThumbprint: c.Credential.CertificateThumbprint,
		ServiceAccount: c.Credential.ServiceAccount, Locked: c.Locked,
	}
	// Only a verification that passed on this computer opens the steps after Verify; one
	// that failed, is incomplete or ran elsewhere (imported) has to run again here.
	if o := c.VerificationOutcome(); o.Passed && !o.Imported {
		v := *c.Verification
		v.Passed = true
		s.Verification = &v
	}
	if c.Practice != nil {
		p := *c.Practice
		s.Practice = &p
	}
	if c.Credential.CertificateInKeyring {
		s.CertFile = CertFileInKeyring
	}
	if e := c.Credential.ExpiresAt; e != nil {
		switch c.AccessMode {
		case ModeCertificate:
			t := *e
			s.CertNotAfter = &t
		case ModeSecret:
			s.SecretExpiry = e.Format("2006-01-02")
		}
	}
	return s
}

// ModeAdvice explains one access mode in two lines for the Prerequisites step.
type ModeAdvice struct {
	Mode        string
	Title       string
	Good, Bad   string // the trade-off, one line each
	Recommended bool
}

// ModeChoices lists the access modes with their trade-offs for the chosen features,
// the recommended one marked. Application access is recommended for an unattended
// sync engine; a certificate over a secret when the admin can handle a file.
func ModeChoices(f Features) []ModeAdvice {
	many := "every chosen mailbox"
	if f.Send {
		many = "every chosen mailbox, and can send as each"
	}
	return []ModeAdvice{
		{ModeSecret, "Application with a client secret",
			"+ Runs unattended without anyone signed in; reaches " + many + ". Easiest to set up.",
			"− Needs admin consent for the whole tenant (see who above); the secret expires (max 2 years) and must be renewed.",
			true},
		{ModeCertificate, "Application with a certificate",
			"+ Like the secret, but the private key never leaves this computer; Microsoft's recommended credential for apps.",
			"− You must create a certificate and upload its public part to the app registration; it expires too.",
			false},
		{ModeDelegated, "Delegated: a signed-in service account",
			"+ Reaches only what that account may open; no tenant-wide application permission.",
			"− Needs a licensed account with Full Access / Send As on other mailboxes; the sign-in lapses after 90 days unused or on password change.",
			false},
	}
}
