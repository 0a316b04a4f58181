package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DeviceCode is what the person needs to sign in on another device.
type DeviceCode struct {
	UserCode        string
	VerificationURI string
	Message         string // Microsoft's own sentence with both
	Expires         time.Time
}

// DeviceCodeOptions configure a device code sign-in (the fallback when no browser can
// be opened here: no desktop, a remote shell, a blocked loopback).
// Protocol: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code
type DeviceCodeOptions struct {
	Cloud       Cloud
	TenantID    string
	ClientID    string
	Permissions []string // delegated permission names; offline_access, openid, profile added
	// OnCode shows the code and the page to the person (required).
	OnCode         func(DeviceCode)
	OnRefreshToken func(string)
	// Timeout bounds the wait (default: the code's own expiry, 15 minutes).
	Timeout time.Duration
}

// DeviceCodeSignIn runs the device authorization grant with x/oauth2: it asks for a
// code, hands it to OnCode, and polls until the person signed in, declined
// (ErrConsentDeclined) or the code expired (ErrTimeout).
func DeviceCodeSignIn(ctx context.Context, o DeviceCodeOptions) (*DelegatedCredential, error) {
	if err := checkTenant(o.TenantID); err != nil {
		return nil, err
	}
	if o.OnCode == nil {
		return nil, errors.New("device code sign-in: nowhere to show the code")
	}
	scopes := delegatedScopes(o.Permissions)
	conf := oauthConfig(o.Cloud, o.TenantID, o.ClientID, "", scopes)
	conf.Endpoint.DeviceAuthURL = o.Cloud.endpoint(o.TenantID, "/oauth2/v2.0/devicecode")
	conf.Endpoint.TokenURL = o.Cloud.endpoint(o.TenantID, "/oauth2/v2.0/token")
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, o.Cloud.HTTPClient())
	da, err := conf.DeviceAuth(hctx)
	if err != nil {
		return nil, deviceError(err)
	}
	o.OnCode(DeviceCode{UserCode: da.UserCode, VerificationURI: da.VerificationURI, Message: extraString(da), Expires: da.Expiry})
	tok, err := conf.DeviceAccessToken(hctx, da)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		if errors.Is(err, context.Canceled) {
			return nil, ErrCancelled
		}
		return nil, deviceError(err)
	}
	return signedIn(o.Cloud, o.TenantID, o.ClientID, o.Permissions, tok, o.OnRefreshToken), nil
}

// AdminDeviceCodeSignIn is DeviceCodeSignIn with AdminClientID and AdminScopes.
func AdminDeviceCodeSignIn(ctx context.Context, o DeviceCodeOptions) (*DelegatedCredential, error) {
	o.ClientID = AdminClientID(o.Cloud.Name)
	o.Permissions = AdminScopes()
	return DeviceCodeSignIn(ctx, o)
}

func extraString(da *oauth2.DeviceAuthResponse) string {
	if da.VerificationURIComplete != "" {
		return "Open " + da.VerificationURIComplete
	}
	return fmt.Sprintf("To sign in, open %s and enter the code %s.", da.VerificationURI, da.UserCode)
}

func deviceError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "authorization_declined" || re.ErrorCode == "access_denied" {
			return fmt.Errorf("%w: %s", ErrConsentDeclined, strings.TrimSpace(firstLine(re.ErrorDescription)))
		}
		if re.ErrorCode == "expired_token" {
			return ErrTimeout
		}
		return identityError(statusOf(re.Response), re.ErrorCode, re.ErrorDescription, nil)
	}
	return fmt.Errorf("device code sign-in: %w", scrubURLError(err))
}
