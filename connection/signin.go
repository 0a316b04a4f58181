package connection

import (
	"context"
	"errors"
	"time"

	"github.com/m365connect/m365connect/graph"
	"github.com/m365connect/m365connect/wizard"
)

// The interactive sign-ins the window and the command line both start: the
// administrator's (to create, rotate or delete the app registration; the browser or a
// device code) and the mailbox account's proof that a newly created delegated app
// works. Each takes the connection as the front end has it (a wizard.Config), finds its
// cloud, and reports to the person through Browser's callbacks, so neither front end
// calls graph's flows itself.

// Browser is how an interactive flow reaches the person at the keyboard: the page it
// opens, the address shown in case no browser opens, and how long it waits.
type Browser struct {
	// Open opens an address in a browser; nil means the system's browser
	// (graph.DefaultOpenBrowser). It is called on its own goroutine.
	Open func(url string) error
	// OnURL, if set, receives the address before the browser is opened, to show it.
	OnURL func(url string)
	// OnBrowserError, if set, hears that no browser could be opened; the flow keeps
	// waiting for the address to be opened by hand.
	OnBrowserError func(error)
	// OnPasteBack, if set, receives a function that takes the address the browser was
	// redirected to, pasted by the person (graph.SignInOptions.OnPasteBack). Delegated
	// sign-ins only.
	OnPasteBack func(paste func(redirectedURL string) error)
	// Timeout bounds the wait for the person; 0 means graph's default.
	Timeout time.Duration
}

// open is b.Open or the system's browser.
func (b Browser) open() func(string) error {
	if b.Open != nil {
		return b.Open
	}
	return graph.DefaultOpenBrowser
}

// signInOptions are graph's options for a browser sign-in to tenant in cloud cl.
func (b Browser) signInOptions(cl graph.Cloud, tenant string) graph.SignInOptions {
	return graph.SignInOptions{Cloud: cl, TenantID: tenant, OpenBrowser: b.open(), OnURL: b.OnURL,
		OnBrowserError: b.OnBrowserError, OnPasteBack: b.OnPasteBack, Timeout: b.Timeout}
}

// AdminSignInOptions say how the administrator signs in.
type AdminSignInOptions struct {
	// Browser is used unless DeviceCode is set (its Timeout bounds either wait).
	Browser
	// DeviceCode signs in with a code typed on another device instead of a browser
	// here (the device authorization grant).
	DeviceCode bool
	// OnCode shows the device code and the page to type it on (DeviceCode only; its
	// Message says both in Microsoft's words).
	OnCode func(graph.DeviceCode)
}

// AdminSignIn signs an administrator of c's tenant in with Microsoft's admin tool
// (graph.AdminSignIn or graph.AdminDeviceCodeSignIn) for "Create it for me", rotation
// and deletion: the cloud comes from c (its practice hosts included).
func AdminSignIn(ctx context.Context, c *wizard.Config, o AdminSignInOptions) (*graph.DelegatedCredential, error) {
	cl, err := CloudFor(c.Cloud, c.Practice)
	if err != nil {
		return nil, err
	}
	if o.DeviceCode {
		show := o.OnCode
		if show == nil {
			return nil, errors.New("device code sign-in: nowhere to show the code")
		}
		return graph.AdminDeviceCodeSignIn(ctx, graph.DeviceCodeOptions{Cloud: cl, TenantID: c.TenantID, Timeout: o.Timeout, OnCode: show})
	}
	so := o.signInOptions(cl, c.TenantID)
	so.OnPasteBack = nil // the admin tool's redirect is not ours to take by paste
	return graph.AdminSignIn(ctx, so)
}

// DelegatedProof is how the mailbox account signs in with a newly created delegated
// app, to prove it works (AppOptions.Delegated).
type DelegatedProof struct {
	Browser
	// OnStart, if set, hears that the account's sign-in is about to start.
	OnStart func()
	// OnRefreshToken, if set, also receives the sign-in's refresh token (CreateApp
	// stores it in the keyring either way).
	OnRefreshToken func(refreshToken string)
}

// signIn is CreateApp's sign-in of the mailbox account for p: graph.SignIn with CreateApp's options
// (cloud, tenant, the new app, its permissions, the keyring) and p's browser.
func (p *DelegatedProof) signIn(ctx context.Context, so graph.SignInOptions) (*graph.DelegatedCredential, error) {
	if p.OnStart != nil {
		p.OnStart()
	}
	b := p.signInOptions(so.Cloud, so.TenantID)
	so.OpenBrowser, so.OnURL, so.OnBrowserError, so.OnPasteBack, so.Timeout = b.OpenBrowser, b.OnURL, b.OnBrowserError, b.OnPasteBack, b.Timeout
	if keep, also := so.OnRefreshToken, p.OnRefreshToken; also != nil {
		so.OnRefreshToken = func(rt string) {
			if keep != nil {
				keep(rt)
			}
			also(rt)
		}
	}
	return graph.SignIn(ctx, so)
}
