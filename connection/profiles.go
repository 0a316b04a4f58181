package connection

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/m365connect/m365connect/secretstore"
	"github.com/m365connect/m365connect/wizard"
)

// Connection profiles let one person keep several saved connections side by side (a
// consultant's customers): each is a named config file with its own secrets.
//
// Layout under the config folder (appdirs.ConfigDir):
//
//	profiles.json            the index: names, ids, the default profile
//	profiles/<id>.json       one config per profile (package wizard's format)
//
// A profile's secrets live in the keyring under "profile/<id>/<kind>" (ProfileSecrets),
// so a rename moves no secret and two profiles of the same tenant and app never share
// one. The id is random and never shown; the name is what people and `--profile` use.

// ProfilesSchema is the index file's schema version.
const ProfilesSchema = 1

// MaxProfileName bounds a profile name's length in characters.
const MaxProfileName = 64

// Profile errors; compare with errors.Is.
var (
	ErrProfileNotFound = errors.New("no such connection profile")
	ErrProfileExists   = errors.New("a connection profile with this name exists")
	ErrNoProfiles      = errors.New("no connection profiles saved yet")
)

// ProfileEntry is one line of the index.
type ProfileEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type profileIndex struct {
	Schema   int            `json:"schema"`
	Default  string         `json:"default,omitempty"` // id
	Profiles []ProfileEntry `json:"profiles"`
}

// KeyStore is the part of secretstore.Store the profiles use.
type KeyStore interface {
	Get(key string) (string, error)
	Set(key, value string) (secretstore.Backend, error)
	Delete(key string) error
}

var _ KeyStore = (*secretstore.Store)(nil)

// Profiles is the store of saved connections in one config folder.
type Profiles struct {
	// Dir is the config folder (appdirs.ConfigDir()).
	Dir string
	// Secrets is the keyring (with its fallback file) holding every profile's secrets.
	Secrets KeyStore
	// Now is the clock for expiry warnings; nil means time.Now.
	Now func() time.Time
}

// ProfileSummary is what the profile list shows of one profile.
type ProfileSummary struct {
	ID        string
	Name      string
	Default   bool
	Tenant    string
	Cloud     string
	Mode      string
	Mailboxes []string
	Locked    bool
	// LastVerified is the last verification run's time (zero when never verified);
	// Passed says how it went.
	LastVerified time.Time
	Passed       bool
	// SecretExpires is when the client secret or certificate stops working (nil when
	// unknown or delegated); ExpiryWarning is the warning text from ExpiryWarnDays
	// before, else "".
	SecretExpires *time.Time
	ExpiryWarning string
	// Err is set when the profile's config could not be read; the other fields
	// (besides ID, Name, Default) are then empty.
	Err error
}

func (p *Profiles) indexPath() string { return filepath.Join(p.Dir, "profiles.json") }

// ConfigPath is the config file of the profile with this id.
func (p *Profiles) ConfigPath(id string) string {
	return filepath.Join(p.Dir, "profiles", id+".json")
}

func (p *Profiles) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Profiles) readIndex() (profileIndex, error) {
	b, err := os.ReadFile(p.indexPath())
	if errors.Is(err, fs.ErrNotExist) {
		return profileIndex{Schema: ProfilesSchema}, nil
	}
	if err != nil {
		return profileIndex{}, fmt.Errorf("read the profile list: %w", err)
	}
	var ix profileIndex
	if err := json.Unmarshal(b, &ix); err != nil {
		return profileIndex{}, fmt.Errorf("the profile list %s is damaged: %w", p.indexPath(), err)
	}
	if ix.Schema > ProfilesSchema {
		return profileIndex{}, fmt.Errorf("the profile list was written by a newer m365connect (schema %d); update the app", ix.Schema)
	}
	for _, e := range ix.Profiles {
		if !validID(e.ID) {
			return profileIndex{}, fmt.Errorf("the profile list %s is damaged: bad id %q", p.indexPath(), e.ID)
		}
	}
	return ix, nil
}

func (p *Profiles) writeIndex(ix profileIndex) error {
	ix.Schema = ProfilesSchema
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return wizard.WriteFileAtomic(p.indexPath(), append(b, '\n'), 0o600)
}

// ValidateProfileName checks a profile name: 1 to MaxProfileName printable characters,
// not only spaces. It is a func(string) error for an entry's Validator.
func ValidateProfileName(s string) error {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return errors.New("Name: enter a name, such as the customer's")
	case len([]rune(t)) > MaxProfileName:
		return fmt.Errorf("Name: use at most %d characters", MaxProfileName)
	}
	for _, r := range t {
		if !unicode.IsPrint(r) {
			return errors.New("Name: use letters, digits, spaces and punctuation only")
		}
	}
	return nil
}

func validID(id string) bool {
	if len(id) != 17 || id[0] != 'p' {
		return false
	}
	_, err := hex.DecodeString(id[1:])
	return err == nil
}

func newProfileID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "p" + hex.EncodeToString(b)
}

func find(ix profileIndex, name string) int {
	name = strings.TrimSpace(name)
	return slices.IndexFunc(ix.Profiles, func(e ProfileEntry) bool { return strings.EqualFold(e.Name, name) })
}

// lookup reads the index and finds the profile called name in it (ErrProfileNotFound
// when there is none).
func (p *Profiles) lookup(name string) (profileIndex, int, error) {
	ix, err := p.readIndex()
	if err != nil {
		return profileIndex{}, -1, err
	}
	i := find(ix, name)
	if i < 0 {
		return profileIndex{}, -1, fmt.Errorf("%w: %q", ErrProfileNotFound, name)
	}
	return ix, i, nil
}

// List returns every profile's summary, in the index's order (the order they were
// added). A profile whose config cannot be read is listed with Err set.
func (p *Profiles) List() ([]ProfileSummary, error) {
	ix, err := p.readIndex()
	if err != nil {
		return nil, err
	}
	out := make([]ProfileSummary, 0, len(ix.Profiles))
	for _, e := range ix.Profiles {
		s := ProfileSummary{ID: e.ID, Name: e.Name, Default: e.ID == ix.Default}
		c, err := wizard.Load(p.ConfigPath(e.ID))
		if err != nil {
			s.Err = err
			out = append(out, s)
			continue
		}
		s.Tenant, s.Cloud, s.Mode, s.Locked = c.TenantID, c.Cloud, c.AccessMode, c.Locked
		for _, m := range c.Mailboxes {
			s.Mailboxes = append(s.Mailboxes, m.Address)
		}
		if v := c.Verification; v != nil && c.VerificationOutcome().Verified {
			// The verdict is recomputed from the recorded checks (wizard.VerificationOutcome).
			s.LastVerified, s.Passed = v.At, c.VerificationOutcome().Passed
		}
		if c.AccessMode != wizard.ModeDelegated {
			s.SecretExpires = c.Credential.ExpiresAt
		}
		s.ExpiryWarning = c.ExpiryWarning(p.now())
		out = append(out, s)
	}
	return out, nil
}

// Resolve finds a profile by name (case-insensitive). An empty name means the default
// profile, or the only one when there is exactly one.
func (p *Profiles) Resolve(name string) (ProfileEntry, error) {
	ix, err := p.readIndex()
	if err != nil {
		return ProfileEntry{}, err
	}
	if strings.TrimSpace(name) == "" {
		if len(ix.Profiles) == 0 {
			return ProfileEntry{}, ErrNoProfiles
		}
		if i := slices.IndexFunc(ix.Profiles, func(e ProfileEntry) bool { return e.ID == ix.Default }); i >= 0 {
			return ix.Profiles[i], nil
		}
		if len(ix.Profiles) == 1 {
			return ix.Profiles[0], nil
		}
		return ProfileEntry{}, fmt.Errorf("%w: %d profiles and no default; name one with --profile", ErrProfileNotFound, len(ix.Profiles))
	}
	i := find(ix, name)
	if i < 0 {
		names := make([]string, len(ix.Profiles))
		for j, e := range ix.Profiles {
			names[j] = e.Name
		}
		return ProfileEntry{}, fmt.Errorf("%w: %q (saved: %s)", ErrProfileNotFound, strings.TrimSpace(name), strings.Join(names, ", "))
	}
	return ix.Profiles[i], nil
}

// Open loads a profile's config by name ("" = the default profile).
func (p *Profiles) Open(name string) (ProfileEntry, *wizard.Config, error) {
	e, err := p.Resolve(name)
	if err != nil {
		return ProfileEntry{}, nil, err
	}
	c, err := wizard.Load(p.ConfigPath(e.ID))
	if err != nil {
		return e, nil, fmt.Errorf("profile %q: %w", e.Name, err)
	}
	return e, c, nil
}

// Add saves c as a new profile called name. The first profile becomes the default.
func (p *Profiles) Add(name string, c *wizard.Config) (ProfileEntry, error) {
	if err := ValidateProfileName(name); err != nil {
		return ProfileEntry{}, err
	}
	ix, err := p.readIndex()
	if err != nil {
		return ProfileEntry{}, err
	}
	name = strings.TrimSpace(name)
	if find(ix, name) >= 0 {
		return ProfileEntry{}, fmt.Errorf("%w: %q", ErrProfileExists, name)
	}
	e := ProfileEntry{ID: newProfileID(), Name: name}
	if err := c.Save(p.ConfigPath(e.ID)); err != nil {
		return ProfileEntry{}, err
	}
	ix.Profiles = append(ix.Profiles, e)
	if ix.Default == "" {
		ix.Default = e.ID
	}
	if err := p.writeIndex(ix); err != nil {
		_ = os.Remove(p.ConfigPath(e.ID))
		return ProfileEntry{}, err
	}
	return e, nil
}

// Save replaces the config of an existing profile.
func (p *Profiles) Save(name string, c *wizard.Config) error {
	e, err := p.Resolve(name)
	if err != nil {
		return err
	}
	return c.Save(p.ConfigPath(e.ID))
}

// Rename gives a profile a new name; its config and secrets stay where they are.
func (p *Profiles) Rename(oldName, newName string) error {
	if err := ValidateProfileName(newName); err != nil {
		return err
	}
	ix, i, err := p.lookup(oldName)
	if err != nil {
		return err
	}
	if j := find(ix, newName); j >= 0 && j != i {
		return fmt.Errorf("%w: %q", ErrProfileExists, strings.TrimSpace(newName))
	}
	ix.Profiles[i].Name = strings.TrimSpace(newName)
	return p.writeIndex(ix)
}

// Duplicate copies a profile's config under a new name, as the start of another
// customer's connection: unlocked, without its verification and without secrets
// (a secret belongs to one connection; the copy asks for its own).
func (p *Profiles) Duplicate(name, newName string) (ProfileEntry, error) {
	_, c, err := p.Open(name)
	if err != nil {
		return ProfileEntry{}, err
	}
	c.Locked, c.Verification = false, nil
	return p.Add(newName, c)
}

// Delete removes a profile: its config file, its secrets and its line in the index. The
// local mail store (DataDir) is left alone; the caller may remove it.
func (p *Profiles) Delete(name string) error {
	ix, i, err := p.lookup(name)
	if err != nil {
		return err
	}
	e := ix.Profiles[i]
	var errs []error
	if p.Secrets != nil {
		for _, kind := range secretKinds() {
			if err := p.Secrets.Delete(profileKey(e.ID, kind)); err != nil {
				errs = append(errs, fmt.Errorf("remove the %s: %w", kind, err))
			}
		}
	}
	ix.Profiles = slices.Delete(ix.Profiles, i, i+1)
	if ix.Default == e.ID {
		ix.Default = ""
		if len(ix.Profiles) > 0 {
			ix.Default = ix.Profiles[0].ID
		}
	}
	if err := p.writeIndex(ix); err != nil {
		return err
	}
	if err := os.Remove(p.ConfigPath(e.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SetDefault makes a profile the one used when none is named.
func (p *Profiles) SetDefault(name string) error {
	ix, i, err := p.lookup(name)
	if err != nil {
		return err
	}
	ix.Default = ix.Profiles[i].ID
	return p.writeIndex(ix)
}

// Export returns one profile's config as the JSON file it is saved as: no secret (the
// config has no field for one).
func (p *Profiles) Export(name string) ([]byte, error) {
	_, c, err := p.Open(name)
	if err != nil {
		return nil, err
	}
	return c.Marshal()
}

// CommandConfig is the config a command works on and where its secrets come from:
// configPath when given (a file, its secrets under the connection's own keys), else the
// profile named (case-insensitive), else the default profile. src is the chain the
// command uses (environment, keyring); a profile's keys are looked up through it.
func (p *Profiles) CommandConfig(profile, configPath string, src SecretSource) (*wizard.Config, SecretSource, error) {
	if configPath != "" {
		if profile != "" {
			return nil, nil, errors.New("use --profile or --config, not both")
		}
		c, err := wizard.Load(configPath)
		return c, src, err
	}
	e, c, err := p.Open(profile)
	if err != nil {
		if errors.Is(err, ErrNoProfiles) {
			return nil, nil, fmt.Errorf("%w: save a connection in the window first, or name a file with --config", err)
		}
		return nil, nil, err
	}
	return c, ProfileSecrets(e, src), nil
}

// FreeName is base, or base (2), base (3), ... : the first name no profile has.
func (p *Profiles) FreeName(base string) string {
	base = strings.TrimSpace(base)
	if base == "" {
		base = "Connection"
	}
	name := base
	for i := 2; ; i++ {
		if _, err := p.Resolve(name); err != nil {
			return name
		}
		name = fmt.Sprintf("%s (%d)", base, i)
	}
}
