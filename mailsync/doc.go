// Package mailsync is the local sync engine: it mirrors Microsoft 365 mailbox folders into
// a local SQLite store, first backfilling the last N days newest first and then following
// each folder's changes with Graph's message delta query.
//
// # Design
//
// The engine never talks HTTP itself. It calls a [Source], an interface declared here
// whose methods use only this package's plain types (every field a standard Go type).
// Package graph's MailSourceClient satisfies it directly, with these types (graph
// checks so at compile time); mailsync never imports graph. Errors cross the boundary
// through small behaviour interfaces (HTTPStatus, GraphCode, RetryAfter, GraphRequestID,
// AdviceKey) that mailsync reads with errors.As, see [Classify] and [InfoOf]; the status
// records keep them as fields ([ErrorInfo]) for the front ends' advice.
//
// # Backfill and delta
//
// Per folder the first delta round is requested with
// $filter=receivedDateTime ge {window start} and $orderby=receivedDateTime desc, the only
// filter and order Graph supports on message delta, so the newest mail lands first and
// is usable at once; the deltaLink that ends that round continues incrementally
// (https://learn.microsoft.com/en-us/graph/api/message-delta,
// https://learn.microsoft.com/en-us/graph/delta-query-messages).
//
// # Crash safety
//
// Each page's upserts and deletions and the folder's next link / delta link are written in
// one SQLite transaction, so a process killed at any point resumes from the last
// committed page: nothing lost, nothing twice. Messages are keyed by (mailbox, immutable
// id), so a page fetched again after a crash only overwrites identical rows.
package mailsync
