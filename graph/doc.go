// Package graph is m365connect's side of Microsoft's identity platform and
// Microsoft Graph: clouds as data, the three access modes (application +
// client secret, application + certificate, delegated sign-in with
// authorization code + PKCE over a one-shot 127.0.0.1 loopback listener),
// admin consent, pre-flight checks, access-token introspection, the
// structured connection checks (permissions, reachability, access scoping,
// test read, test send), the mailbox picker's directory search, the
// error → advice catalogue, and the admin scripts.
//
// Everything here takes a context first and puts a deadline on every HTTP
// call. No secret, token, authorization code or refresh token ever appears in
// an error string or in advice text: errors carry Microsoft's error codes and
// descriptions only.
//
// Only this package imports msgraph-sdk-go, and only its models, users and
// odataerrors subpackages plus msgraph-sdk-go-core (the root package is
// expensive to compile). It never imports Fyne or the practice-tenant
// emulator; tests meet the emulator through the same public protocol a real
// tenant speaks.
package graph
