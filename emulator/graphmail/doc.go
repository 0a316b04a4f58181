// Package graphmail is the practice tenant's Microsoft Graph v1.0 mail surface:
// an in-memory, concurrency-safe mailbox store (users and shared mailboxes,
// well-known folders, messages with regular and immutable ids, a per-folder
// change log for delta queries), a deterministic data generator, and an
// http.Handler that speaks Graph's wire protocol closely enough for
// msgraph-sdk-go (kiota) to work against it unmodified — including the ways
// Exchange Online refuses and throttles requests.
//
// The emulator core (package emulator) validates bearer tokens and puts a
// Principal into the request context before calling Store.Handler(); this
// package never parses tokens. It is written from Microsoft's published
// documentation (URLs cited beside each shape) and never imports the app's
// graph package, so tests where both agree mean something.
//
// Id behaviour: every message has an immutable id (stable for its life in the
// mailbox) and a regular id that changes whenever the message moves to another
// folder (as Exchange's EntryID-based ids do). Responses use regular ids unless
// the request carries Prefer: IdType="ImmutableId", in which case every id in
// the response (and in @removed entries) is the immutable one and the response
// carries Preference-Applied. Both kinds of id resolve on input.
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
package graphmail
