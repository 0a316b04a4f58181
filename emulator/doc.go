// Package emulator is the practice tenant: a local, TLS-on-loopback implementation of
// the Microsoft Entra ID (identity platform v2.0) side of Microsoft 365 that the real
// SDKs (azidentity / MSAL Go, golang.org/x/oauth2, msgraph-sdk-go) talk to unmodified.
//
// A Server listens on two loopback ports: an HTTPS listener (per-run, in-memory CA that
// clients trust explicitly through RootCAs) for the token, discovery and Graph endpoints,
// and a plain-HTTP listener with the same paths for the pages a real browser opens
// (authorize, admin consent), so no certificate warning appears.
//
// The identity side issues RS256 JWT access tokens with the claims Microsoft documents,
// validates them on every /v1.0/ request, and then hands the request, with the caller
// as a graphmail.Principal in its context, to the Graph mail surface (package
// emulator/graphmail). Identity faults (AADSTS errors) are switched on through the
// Identity control API and answered with Microsoft's documented wire shapes.
//
// Everything here is written from Microsoft's public documentation; the URL of the
// document each shape comes from is cited beside the code that emulates it.
package emulator
