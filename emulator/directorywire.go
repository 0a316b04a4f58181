package emulator

// Wire shapes of the directory resources the practice tenant's Graph answers and
// accepts, as in Microsoft Graph v1.0:
// application https://learn.microsoft.com/en-us/graph/api/resources/application
// requiredResourceAccess https://learn.microsoft.com/en-us/graph/api/resources/requiredresourceaccess
// keyCredential https://learn.microsoft.com/en-us/graph/api/resources/keycredential
// passwordCredential https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential
// servicePrincipal https://learn.microsoft.com/en-us/graph/api/resources/serviceprincipal
// appRoleAssignment https://learn.microsoft.com/en-us/graph/api/resources/approleassignment
// oAuth2PermissionGrant https://learn.microsoft.com/en-us/graph/api/resources/oauth2permissiongrant

type wireRequiredResourceAccess struct {
	ResourceAppID  string               `json:"resourceAppId"`
	ResourceAccess []wireResourceAccess `json:"resourceAccess"`
}

type wireResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"` // "Role" (application) or "Scope" (delegated)
}

type wireRedirects struct {
	RedirectURIs []string `json:"redirectUris"`
}

type wireKeyCredential struct {
	KeyID         string  `json:"keyId,omitempty"`
	DisplayName   string  `json:"displayName,omitempty"`
	Type          string  `json:"type"`
	Usage         string  `json:"usage"`
	Key           *string `json:"key"`
	StartDateTime string  `json:"startDateTime,omitempty"`
	EndDateTime   string  `json:"endDateTime,omitempty"`
}

type wirePasswordCredential struct {
	KeyID         string  `json:"keyId,omitempty"`
	DisplayName   string  `json:"displayName,omitempty"`
	Hint          string  `json:"hint,omitempty"`
	SecretText    *string `json:"secretText"`
	StartDateTime string  `json:"startDateTime,omitempty"`
	EndDateTime   string  `json:"endDateTime,omitempty"`
}

type wireApplication struct {
	OdataContext           string                       `json:"@odata.context,omitempty"`
	ID                     string                       `json:"id,omitempty"`
	AppID                  string                       `json:"appId,omitempty"`
	DisplayName            string                       `json:"displayName"`
	SignInAudience         string                       `json:"signInAudience,omitempty"`
	CreatedDateTime        string                       `json:"createdDateTime,omitempty"`
	IsFallbackPublicClient *bool                        `json:"isFallbackPublicClient"`
	RequiredResourceAccess []wireRequiredResourceAccess `json:"requiredResourceAccess"`
	Web                    *wireRedirects               `json:"web,omitempty"`
	PublicClient           *wireRedirects               `json:"publicClient,omitempty"`
	KeyCredentials         []wireKeyCredential          `json:"keyCredentials"`
	PasswordCredentials    []wirePasswordCredential     `json:"passwordCredentials"`
}

type wireAppRole struct {
	ID                 string   `json:"id"`
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	DisplayName        string   `json:"displayName"`
	Description        string   `json:"description"`
	IsEnabled          bool     `json:"isEnabled"`
	Value              string   `json:"value"`
}

type wirePermissionScope struct {
	ID                      string `json:"id"`
	AdminConsentDisplayName string `json:"adminConsentDisplayName"`
	IsEnabled               bool   `json:"isEnabled"`
	Type                    string `json:"type"` // "User" or "Admin"
	Value                   string `json:"value"`
}

type wireServicePrincipal struct {
	ID                     string                `json:"id"`
	AppID                  string                `json:"appId"`
	DisplayName            string                `json:"displayName"`
	ServicePrincipalType   string                `json:"servicePrincipalType"`
	AppRoles               []wireAppRole         `json:"appRoles"`
	OAuth2PermissionScopes []wirePermissionScope `json:"oauth2PermissionScopes"`
}

type wireAppRoleAssignment struct {
	ID                   string `json:"id,omitempty"`
	AppRoleID            string `json:"appRoleId"`
	PrincipalID          string `json:"principalId"`
	PrincipalType        string `json:"principalType,omitempty"`
	PrincipalDisplayName string `json:"principalDisplayName,omitempty"`
	ResourceID           string `json:"resourceId"`
	ResourceDisplayName  string `json:"resourceDisplayName,omitempty"`
	CreatedDateTime      string `json:"createdDateTime,omitempty"`
}

type wireOAuth2PermissionGrant struct {
	ID          string  `json:"id,omitempty"`
	ClientID    string  `json:"clientId"`
	ConsentType string  `json:"consentType"`
	PrincipalID *string `json:"principalId"`
	ResourceID  string  `json:"resourceId"`
	Scope       string  `json:"scope"`
}
