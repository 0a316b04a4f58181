package graph

// appCatalogue is the advice of "Create it for me", rotation and deletion; it is part
// of the one catalogue (LookupAdvice / Catalogue).
func appCatalogue() []Advice {
	return []Advice{
		{Code: "app_not_admin", Title: "Your account is not an administrator",
			Cause: "Creating the app and granting its permissions needs an administrator role in Microsoft Entra; the signed-in account has none.",
			Fix:   "Ask an administrator to run \"Create it for me\" (or send them \"Give me a script for my admin\"), then choose \"I already have one\".",
			Step:  StepAppRegistration},
		{Code: "app_role_cannot_grant", Title: "Your administrator role cannot grant these permissions",
			Cause: "Only a Privileged Role Administrator or Global Administrator may grant Microsoft Graph application permissions; an Application or Cloud Application Administrator may create the app but not grant them.",
			Fix:   "Ask a Global Administrator or Privileged Role Administrator to run \"Create it for me\" or the script from \"Give me a script for my admin\"; or choose the delegated mode.",
			Step:  StepAppRegistration},
		{Code: "app_propagation", Title: "Microsoft did not publish the new app in time",
			Cause: "A new app registration takes a while to reach every Microsoft server; it was still unknown when the wait ended. What was created has been removed.",
			Fix:   "Try \"Create it for me\" again in a few minutes.",
			Step:  StepAppRegistration, Retryable: true},
		{Code: "NoBackingApplicationObject", Title: "Microsoft did not publish the new app in time",
			Cause: "The service principal could not be created because the new application was not yet known everywhere in the directory.",
			Fix:   "Try \"Create it for me\" again in a few minutes.",
			Step:  StepAppRegistration, Retryable: true},
		{Code: "CredentialInvalidLifetimeAsPerAppPolicy", Title: "Your organisation limits how long a client secret may live",
			Cause: "A tenant app management policy refuses secrets (or certificates) valid this long.",
			Fix:   "Choose a shorter lifetime (for example 6 or 3 months), or a certificate instead of a secret.",
			Step:  StepAppRegistration},
	}
}
