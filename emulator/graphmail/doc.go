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
// Ids: every message has an immutable id (stable for its life in the
// mailbox) and a regular id that changes whenever the message moves to another
// folder (as Exchange's EntryID-based ids do; the old regular id then answers
// 404 ErrorItemNotFound). Responses use regular ids unless the request carries
// Prefer: IdType="ImmutableId", in which case every id in the response (and in
// @removed entries) is the immutable one and the response carries
// Preference-Applied. Both kinds of id resolve on input.
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
//
// Behaviour worth knowing when integrating:
//   - Delta is per folder; the page size comes only from Prefer:
//     odata.maxpagesize (default 10). Tokens are opaque and carry the initial
//     request's $select, $filter (receivedDateTime ge/gt) and $orderby
//     (receivedDateTime desc). A round's window is fixed when it starts:
//     changes made while paging show up in the next round. An initial round
//     with $filter stops after 5,000 messages (Microsoft's documented cap,
//     StoreOptions.DeltaFilterCap) and ends with its deltaLink; later rounds
//     report changes to every message in the filter's window. Moved-out and
//     deleted items come back as @removed {"reason": "deleted"}.
//     Store.ExpireDeltaTokens makes old tokens answer 410 SyncStateNotFound.
//   - DELETE moves a message to Deleted Items (deletes it there);
//     permanentDelete and Store.DeleteMessage remove it for good.
//   - sendMail and draft send answer 202; in-tenant recipients get a copy in
//     their Inbox after StoreOptions.DeliveryDelay (0 = before the 202),
//     unknown in-tenant addresses produce a "Undeliverable: ..." report from
//     postmaster in the sender's Inbox, other domains are recorded as
//     delivered externally. Store.Sent and Store.DeliveryCount expose it all.
//   - Outlook limits are enforced per app and mailbox: 4 concurrent requests
//     (the 5th gets 429 MailboxConcurrency) and 10,000 requests per 10 minutes.
//   - $batch items run one after another in dependsOn order.
//   - GET /users returns Graph's default property set; accountEnabled (false
//     for shared mailboxes) only with $select. mailboxSettings.userPurpose
//     tells users from shared mailboxes.
//   - Error bodies follow Graph's shape, except that innerError.date carries a
//     trailing Z: kiota parses it as RFC 3339 and would drop the whole error
//     otherwise.
package graphmail
