package connection

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDataDirOfMigratesSharedFiles: the files every profile shared before (mail.db with
// its WAL, outbox.db, the drop folder) move into the default profile's folder — the
// first profile's when none is the default — the first time it is asked for; another
// profile gets an empty folder of its own; an unknown id is refused.
func TestDataDirOfMigratesSharedFiles(t *testing.T) {
	for _, withDefault := range []bool{true, false} {
		cfgDir, dataDir := t.TempDir(), t.TempDir()
		ps := &Profiles{Dir: cfgDir}
		a, err := ps.Add("Alpha", profileConfig("contoso.com", time.Now().AddDate(1, 0, 0)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := ps.Add("Beta", profileConfig("contoso.com", time.Now().AddDate(1, 0, 0)))
		if err != nil {
			t.Fatal(err)
		}
		heir, other := a, b
		if withDefault {
			if err := ps.SetDefault("Beta"); err != nil {
				t.Fatal(err)
			}
			heir, other = b, a
		}
		for _, f := range []string{"mail.db", "mail.db-wal", "outbox.db", filepath.Join("outbox", "drop.json")} {
			p := filepath.Join(dataDir, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(f), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		od, err := ps.DataDirOf(dataDir, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(od); len(ents) != 0 {
			t.Fatalf("default %v: the other profile's folder got %d files", withDefault, len(ents))
		}
		hd, err := ps.DataDirOf(dataDir, heir.ID)
		if err != nil {
			t.Fatal(err)
		}
		if hd == od || hd != DataDirFor(dataDir, heir) {
			t.Fatalf("folders %s and %s", hd, od)
		}
		for _, f := range []string{"mail.db", "mail.db-wal", "outbox.db", filepath.Join("outbox", "drop.json")} {
			if b, err := os.ReadFile(filepath.Join(hd, f)); err != nil || string(b) != f {
				t.Errorf("default %v: %s in the heir's folder: %v %q", withDefault, f, err, b)
			}
			if _, err := os.Stat(filepath.Join(dataDir, f)); !os.IsNotExist(err) {
				t.Errorf("default %v: %s stayed in the shared folder", withDefault, f)
			}
		}
		if fi, err := os.Stat(hd); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("folder mode %v %v", fi, err)
		}
		if _, err := ps.DataDirOf(dataDir, "0123456789abcdef"); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("unknown id: %v", err)
		}
	}
}
