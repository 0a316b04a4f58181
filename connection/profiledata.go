package connection

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/m365connect/m365connect/appdirs"
	"github.com/m365connect/m365connect/outbox"
)

// Each profile keeps its mail store and outbox in its own folder under the app's data
// folder (DataDirFor: <data>/profiles/<id>/), so two customers' mail never share a
// file. Versions before that kept one mail.db, outbox.db and outbox/ directly in the
// data folder for every profile; those stay with the default profile (the first one
// when none is the default): the first time its folder is asked for, they move into it.

// sharedDataFiles are the files an earlier version kept directly in the data folder:
// the mail store and the outbox database with their SQLite companions, and the outbox's
// drop folder.
func sharedDataFiles() []string {
	var out []string
	for _, db := range []string{StoreFileName, outbox.FileName} {
		out = append(out, db, db+"-wal", db+"-shm", db+"-journal")
	}
	return append(out, "outbox")
}

// DataDirOf is the data folder of the profile with this id (DataDirFor under dataDir),
// created 0700. The default profile's folder takes over the shared files of earlier
// versions when it is created (see above). An id no profile has is refused.
func (p *Profiles) DataDirOf(dataDir, id string) (string, error) {
	ix, err := p.readIndex()
	if err != nil {
		return "", err
	}
	heir := ix.Default
	if heir == "" && len(ix.Profiles) > 0 {
		heir = ix.Profiles[0].ID
	}
	var e ProfileEntry
	for _, x := range ix.Profiles {
		if x.ID == id {
			e = x
		}
	}
	if e.ID == "" || !validID(e.ID) {
		return "", ErrProfileNotFound
	}
	dir := DataDirFor(dataDir, e)
	_, statErr := os.Stat(dir)
	if err := appdirs.Ensure(dir); err != nil {
		return "", fmt.Errorf("create the connection's data folder: %w", err)
	}
	if e.ID == heir && errors.Is(statErr, fs.ErrNotExist) {
		if err := moveSharedData(dataDir, dir); err != nil {
			return dir, err
		}
	}
	return dir, nil
}

// moveSharedData moves the shared files of earlier versions from dataDir into dir (a
// rename each: the same disk, nothing copied, nothing half-written). What is missing is
// skipped; a file that cannot move is reported and the rest stay where they were.
func moveSharedData(dataDir, dir string) error {
	for _, name := range sharedDataFiles() {
		from := filepath.Join(dataDir, name)
		if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(from, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("move the shared %s into the default connection's folder: %w", name, err)
		}
	}
	return nil
}

// CommandDataDir is the data folder a command (`sync`, `outbox`) uses for the config it
// opened: the profile's own folder when the config is the saved connection with this
// id (Chain.Profile), else the app's data folder (a --config file, a sandbox).
func CommandDataDir(profileID string) (string, error) {
	base, err := DataDir()
	if err != nil || profileID == "" {
		return base, err
	}
	dir, err := DefaultConfigDir()
	if err != nil {
		return "", err
	}
	return (&Profiles{Dir: dir}).DataDirOf(base, profileID)
}
