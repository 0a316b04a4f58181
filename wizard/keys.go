package wizard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxConfigSize bounds a config file. A real one is a few kilobytes; the limit keeps a
// hostile or wrong file (a log, a disk image) from being read into memory whole.
const MaxConfigSize = 1 << 20

// A config crosses a trust boundary (a consultant hands it to a customer), so its keys
// are checked before it is decoded. Go's encoding/json matches object keys to struct
// fields case-insensitively and lets a later duplicate key win, so
// {"tenantId": "a", "TENANTID": "b"} decodes as "b" while a person reading the file sees
// "a". checkKeys refuses both: a key written twice (compared the way encoding/json
// compares them, by Unicode case folding), and a key that matches a field only when case
// is ignored.

// foldKey maps s to a value equal for two keys exactly when strings.EqualFold (which is
// what encoding/json uses) says they are equal: each rune becomes the smallest rune of
// its simple case-folding orbit (so 'K', 'k' and the Kelvin sign U+212A all map to 'K').
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// checkKeys walks the JSON document in data and refuses duplicate keys (by case folding)
// in any object, and keys that differ only in case from the field names of target (a
// struct type, followed into nested structs, slices and pointers). It reports a
// *LoadError naming the key's path, line and column; syntax errors are left to the
// decoder, which reports them better.
func checkKeys(data []byte, target reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := keyWalker{data: data, dec: dec}
	err := w.value(target, "")
	var le *LoadError
	if errors.As(err, &le) {
		return le
	}
	return nil // syntax trouble: the strict decode reports it
}

type keyWalker struct {
	data []byte
	dec  *json.Decoder
}

// fieldNames returns the JSON names of a struct's fields, by folded name.
func fieldNames(t reflect.Type) map[string]string {
	m := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		m[foldKey(name)] = name
	}
	return m
}

// elem strips pointers.
func elem(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func (w *keyWalker) errAt(path, format string, a ...any) error {
	line, col := lineCol(w.data, w.dec.InputOffset())
	return &LoadError{Line: line, Column: col, Field: path, Err: fmt.Errorf(format, a...)}
}

// value reads one JSON value whose Go type is t (nil when unknown).
func (w *keyWalker) value(t reflect.Type, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = elem(t)
	switch d {
	case '[':
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(et, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := w.dec.Token() // ]
		return err
	case '{':
		var names map[string]string
		var mapElem reflect.Type
		if t != nil && t.Kind() == reflect.Struct && t.String() != "time.Time" {
			names = fieldNames(t)
		} else if t != nil && t.Kind() == reflect.Map {
			mapElem = t.Elem()
		}
		seen := map[string]string{}
		for w.dec.More() {
			kt, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			full := key
			if path != "" {
				full = path + "." + key
			}
			if !utf8.ValidString(key) {
				return w.errAt(full, "key is not valid UTF-8")
			}
			f := foldKey(key)
			if prev, dup := seen[f]; dup {
				if prev == key {
					return w.errAt(full, "the key is written twice in the same object; keep one and delete the other")
				}
				return w.errAt(full, "the key is written twice (as %q and %q; keys are compared without regard to case); keep one and delete the other", prev, key)
			}
			seen[f] = key
			var ft reflect.Type = mapElem
			if names != nil {
				want, known := names[f]
				if known && want != key {
					return w.errAt(full, "write the key as %q (keys are case-sensitive in an m365connect config)", want)
				}
				if known {
					sf, _ := fieldByJSONName(t, want)
					ft = sf
				}
			}
			if err := w.value(ft, full); err != nil {
				return err
			}
		}
		_, err := w.dec.Token() // }
		return err
	}
	return nil
}

// fieldByJSONName returns the type of the struct field whose JSON name is name.
func fieldByJSONName(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		n := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tn, _, _ := strings.Cut(tag, ","); tn != "" {
				n = tn
			}
		}
		if n == name {
			return f.Type, true
		}
	}
	return nil, false
}
