package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// OpenIDConfig is the part of a tenant's OpenID configuration the
// pre-flight reads. Document:
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
type OpenIDConfig struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	CloudInstanceName     string `json:"cloud_instance_name"`     // "microsoftonline.com", "microsoftonline.us", ...
	TenantRegionScope     string `json:"tenant_region_scope"`     // "NA", "EU", "USGov", ...
	TenantRegionSubScope  string `json:"tenant_region_sub_scope"` // "GCC", "DOD", "DODCON", ...
	MSGraphHost           string `json:"msgraph_host"`
}

var tenantIDRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// isGUID reports whether s (trimmed) is exactly a GUID: graph's one test of an id's
// form (a tenant id, an object id, a secret's ID). wizard.IsGUID is the same rule for
// typed values; graph does not import wizard.
func isGUID(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) == 36 && tenantIDRE.MatchString(s)
}

// TenantID returns the tenant GUID named in the issuer, or "".
func (o OpenIDConfig) TenantID() string { return tenantIDRE.FindString(o.Issuer) }

// FetchOpenIDConfig gets /{tenant}/v2.0/.well-known/openid-configuration.
// An unknown tenant comes back as an *Error (AADSTS90002).
func FetchOpenIDConfig(ctx context.Context, c Cloud, tenant string) (OpenIDConfig, error) {
	if err := checkTenant(tenant); err != nil {
		return OpenIDConfig{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(tenant, "/v2.0/.well-known/openid-configuration"), nil)
	if err != nil {
		return OpenIDConfig{}, fmt.Errorf("openid configuration: %w", err)
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		return OpenIDConfig{}, fmt.Errorf("openid configuration: %w", scrubURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return OpenIDConfig{}, fmt.Errorf("openid configuration: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if oe := parseIdentityErrorBody(resp.StatusCode, body); oe != nil {
			return OpenIDConfig{}, oe
		}
		return OpenIDConfig{}, &Error{Op: "openid configuration", Status: resp.StatusCode, Identity: true}
	}
	var o OpenIDConfig
	if err := json.Unmarshal(body, &o); err != nil {
		return OpenIDConfig{}, fmt.Errorf("openid configuration is not JSON: %w", err)
	}
	return o, nil
}

// CloudMismatch explains why a tenant's OpenID configuration does not fit
// cloud c, naming the cloud it does fit ("" when it fits). GCC (moderate)
// tenants live in the global cloud; GCC High / DoD report microsoftonline.us.
// https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud
func CloudMismatch(c Cloud, o OpenIDConfig) (suggest string, mismatch bool) {
	if c.Name == CloudPractice {
		return "", false
	}
	inst := strings.ToLower(o.CloudInstanceName)
	if inst == "" {
		return "", false
	}
	if inst != strings.ToLower(c.InstanceName) {
		for _, k := range Clouds() {
			if strings.ToLower(k.InstanceName) == inst {
				if k.Name == CloudUSGov && strings.EqualFold(o.TenantRegionSubScope, "DOD") {
					return CloudUSDoD, true
				}
				return k.Name, true
			}
		}
		return "", true
	}
	// Same instance: GCC High vs DoD differ only by the Graph host.
	if c.Name == CloudUSGov && strings.EqualFold(o.TenantRegionSubScope, "DOD") {
		return CloudUSDoD, true
	}
	if c.Name == CloudUSDoD && !strings.EqualFold(o.TenantRegionSubScope, "DOD") && o.TenantRegionSubScope != "" {
		return CloudUSGov, true
	}
	return "", false
}

// LooksLikeSecretID reports whether s is a bare GUID: Entra shows a client
// secret's "Secret ID" (a GUID) next to its "Value"; a pasted GUID is almost
// surely the ID. Secret values are ~40 characters and contain "~" or ".".
func LooksLikeSecretID(s string) bool { return isGUID(s) }

// PreflightInput is what the pre-flight needs. Nothing is sent to the token
// endpoint during pre-flight.
type PreflightInput struct {
	Cloud        Cloud
	TenantID     string
	Mode         Mode
	ClientSecret string // checked locally only
}
