package main

import (
	"os"
	"strings"

	"github.com/m365connect/m365connect/connection"
	"github.com/m365connect/m365connect/emulator"
	"github.com/m365connect/m365connect/wizard"
)

// loadConfig reads a wizard config for the headless subcommands (verify, sync, send,
// outbox) and the chain its secrets come from: environment variables for CI, then the
// OS keyring the wizard saved them to.
//
// Practice tenant: the config records the practice tenant's hosts and CA file, which
// change with every run, so sandboxInfo (the file `m365connect sandbox --info FILE`
// writes) replaces them and supplies the practice app's secret and certificate. With
// no path, the config is the one `sandbox --config` would write for that tenant.
//
// Saved connections: with no path, the profile named (or the default profile, or the
// config.json of versions before profiles) is used, its secrets under its own keys.
func loadConfig(path, sandboxInfo, profile string) (*wizard.Config, connection.Chain, error) {
	dir, err := connection.DefaultConfigDir()
	if err != nil {
		return nil, connection.Chain{}, err
	}
	src := connection.Chain{Env: os.Getenv, Store: connection.DefaultSecrets(dir)}
	var info emulator.Info
	if sandboxInfo != "" {
		var err error
		if info, err = readSandboxInfo(sandboxInfo); err != nil {
			return nil, src, err
		}
	}
	var c *wizard.Config
	switch {
	case path != "" && profile != "":
		return nil, src, usagef("use --config FILE or --profile NAME, not both")
	case path != "":
		var err error
		if c, err = wizard.Load(path); err != nil {
			return nil, src, err
		}
	case sandboxInfo != "" && profile == "":
		c = practiceConfigFile(info)
	default:
		pc, id, err := savedConnection(dir, src, profile)
		if err != nil {
			return nil, src, err
		}
		c, src.Profile = pc, id
	}
	if sandboxInfo == "" {
		return c, src, nil
	}
	if c.Cloud != wizard.CloudPractice {
		return nil, src, usagef("--sandbox-info is only for a practice-tenant config (this one is %q)", c.Cloud)
	}
	c.Practice = &wizard.PracticeHosts{AuthorityHost: info.AuthorityHost, BrowserAuthorityHost: info.BrowserAuthorityHost,
		GraphBaseURL: info.GraphBaseURL, CACertFile: info.CACertFile}
	for _, a := range info.Apps {
		if strings.EqualFold(a.ClientID, c.ClientID) {
			src.PracticeSecret = a.ClientSecret
			if c.AccessMode == wizard.ModeCertificate && a.CertificateFile != "" {
				c.Credential.CertificateFile = a.CertificateFile
			}
		}
	}
	return c, src, nil
}
