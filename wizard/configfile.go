package wizard

// This file holds the config on disk: Marshal, Save (atomic, 0600), Load and Parse
// (strict decoding, schema migration) and the LoadError that points at a line.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// Marshal encodes the config as indented JSON, as written to disk and exported.
func (c *Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save validates c and writes it to path atomically (mode 0600).
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config not saved: %w", err)
	}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b, 0o600)
}

// WriteFileAtomic writes data to path so that a reader sees the old file or the new
// one, never a part: a temp file in the same folder, fsync, rename, fsync the folder.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	_ = f.Chmod(perm)    // not supported on Windows; the folder's ACL applies there
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LoadError says why a config file was refused, with the line and column when the
// problem is at a place in the text.
type LoadError struct {
	Path         string
	Line, Column int    // 0 when not known
	Field        string // JSON field, when known
	Err          error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d column %d", e.Line, e.Column)
	}
	if e.Field != "" {
		b.WriteString(" field " + e.Field)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// Load reads, migrates and validates a config file. A damaged, hand-edited or
// incomplete file is refused whole, with the line and field, never half-loaded.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			le.Path = path
		}
		return nil, err
	}
	return c, nil
}

// Parse is Load for bytes already read.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &LoadError{Err: fmt.Errorf("the file is larger than %d KiB, which no m365connect config is; choose the config file that export or save wrote", MaxConfigSize>>10)}
	}
	data, err := migrate(data)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := decodeStrict(data, &c); err != nil {
		return nil, err
	}
	c.TenantID = NormaliseTenant(c.TenantID) // a hand-edited file: the one form, as typed ones
	if err := c.Validate(); err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) && len(fe) > 0 {
			return nil, &LoadError{Field: fe[0].Field, Err: err}
		}
		return nil, &LoadError{Err: err}
	}
	if c.Verification != nil {
		// A record, not a credential: the verdict is recomputed from the checks.
		c.Verification.Passed = c.VerificationOutcome().Passed
	}
	return &c, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields and
// trailing data, and turns decoder errors into a LoadError with line and column.
func decodeStrict(data []byte, v any) error {
	if err := checkKeys(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(data, dec, err)
	}
	if _, err := dec.Token(); err == nil {
		off := dec.InputOffset()
		line, col := lineCol(data, off)
		return &LoadError{Line: line, Column: col, Err: errors.New("unexpected data after the end of the config")}
	}
	return nil
}

func decodeError(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the bad one included.
		line, col := lineCol(data, syn.Offset-1)
		return &LoadError{Line: line, Column: col, Err: fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(syn.Error(), "json: "))}
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return &LoadError{Line: line, Column: col, Field: typ.Field, Err: fmt.Errorf("must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)}
	case errors.Is(err, io.EOF):
		return &LoadError{Err: errors.New("the file is empty")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, int64(len(data)))
		return &LoadError{Line: line, Column: col, Err: errors.New("the file ends too early (cut off?)")}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		off := dec.InputOffset()
		// The decoder stops just past the key: find where the key starts.
		if i := bytes.LastIndex(data[:min(int(off), len(data))], []byte(`"`+name+`"`)); i >= 0 {
			off = int64(i)
		}
		line, col := lineCol(data, off)
		return &LoadError{Line: line, Column: col, Field: name, Err: errors.New("unknown field (misspelt, or written by another version?)")}
	default:
		return &LoadError{Err: err}
	}
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "text in quotes"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "a list [...]"
	default:
		return "an object {...}"
	}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
