package wizard

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Migration: every schema version N < SchemaVersion has a function that turns a
// version-N document into a version-N+1 document. Load detects the version, then runs
// the chain N→N+1→…→SchemaVersion and decodes the result strictly. Each step decodes its
// input strictly with that version's own struct, so a damaged old file is refused with
// its own line and field before anything is converted.
//
// To add schema 3: bump SchemaVersion, add migrateV2toV3 to migrations() and a test with
// a v2 file.

// migrations maps a schema version to the step that upgrades it by one.
func migrations() map[int]func([]byte) ([]byte, error) {
	return map[int]func([]byte) ([]byte, error){
		1: migrateV1toV2,
	}
}

// schemaOf reads the version of a config document: "schema": N (v2 on), or
// "version": 1 (the first release).
func schemaOf(data []byte) (int, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) || strings.Contains(err.Error(), "unexpected end") {
			return 0, decodeStrict(data, &probe)
		}
		return 0, &LoadError{Err: err}
	}
	for _, key := range []string{"schema", "version"} {
		raw, ok := probe[key]
		if !ok {
			continue
		}
		var n int
		if err := json.Unmarshal(raw, &n); err != nil || n < 1 {
			return 0, &LoadError{Field: key, Err: errors.New("must be a whole number such as 2")}
		}
		return n, nil
	}
	return 0, &LoadError{Field: "schema", Err: errors.New("missing: this does not look like an m365connect config")}
}

// migrate brings data up to SchemaVersion.
func migrate(data []byte) ([]byte, error) {
	v, err := schemaOf(data)
	if err != nil {
		return nil, err
	}
	if v > SchemaVersion {
		return nil, &LoadError{Field: "schema", Err: fmt.Errorf("written by a newer m365connect (schema %d; this app reads up to %d): update the app", v, SchemaVersion)}
	}
	steps := migrations()
	for ; v < SchemaVersion; v++ {
		step, ok := steps[v]
		if !ok {
			return nil, &LoadError{Field: "schema", Err: fmt.Errorf("schema %d is no longer supported", v)}
		}
		if data, err = step(data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// configV1 is the first release's format: flat, snake_case, mailboxes in one string,
// no features (it always read and sent) and no verification.
type configV1 struct {
	Version     int    `json:"version"`
	Environment string `json:"environment"` // "worldwide" | "gcchigh" | "dod" | "china" | "practice"
	Tenant      string `json:"tenant"`
	ClientID    string `json:"client_id"`
	Auth        string `json:"auth"` // "secret" | "certificate" | "user"
	CertPath    string `json:"cert_path,omitempty"`
	Mailboxes   string `json:"mailboxes"` // "a@x.com; b@x.com"
	Shared      string `json:"shared_mailboxes,omitempty"`
	ReadOnly    bool   `json:"read_only"`
}

func migrateV1toV2(data []byte) ([]byte, error) {
	var old configV1
	if err := decodeStrict(data, &old); err != nil {
		return nil, err
	}
	cloud, ok := map[string]string{"worldwide": CloudGlobal, "gcchigh": CloudUSGov, "dod": CloudUSDoD, "china": CloudChina, "practice": CloudPractice}[old.Environment]
	if !ok {
		return nil, &LoadError{Field: "environment", Err: fmt.Errorf("%q is not one of worldwide, gcchigh, dod, china, practice", old.Environment)}
	}
	mode, ok := map[string]string{"secret": ModeSecret, "certificate": ModeCertificate, "user": ModeDelegated}[old.Auth]
	if !ok {
		return nil, &LoadError{Field: "auth", Err: fmt.Errorf("%q is not one of secret, certificate, user", old.Auth)}
	}
	c := Config{
		Schema: 2, AppVersion: "1.x (migrated)", Cloud: cloud, TenantID: old.Tenant, ClientID: old.ClientID,
		AccessMode: mode,
		Features:   Features{Read: true, Write: !old.ReadOnly, Send: !old.ReadOnly, Shared: mode == ModeDelegated && old.Shared != ""},
		Credential: Credential{CertificateFile: old.CertPath},
	}
	// Users first, then shared, each in the order written.
	for _, part := range []struct{ kind, list string }{{KindUser, old.Mailboxes}, {KindShared, old.Shared}} {
		for _, a := range strings.FieldsFunc(part.list, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			c.Mailboxes = append(c.Mailboxes, Mailbox{Address: a, Kind: part.kind})
		}
	}
	// Permissions are recomputed by the app from mode and features; v1 did not record them.
	return json.Marshal(c)
}
