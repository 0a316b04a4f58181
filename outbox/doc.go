// Package outbox is m365connect's outgoing mail: a queue in its own SQLite file (WAL,
// versioned schema, appdirs.DataDir()/outbox.db) with an approval policy and
// exactly-once sending through Microsoft Graph drafts.
//
// # Life of a message
//
// Enqueue stores a message with a stable internetMessageId (<uuid@sender-domain>) and
// applies the Policy in the same transaction: rejected (reason on record),
// pending_approval (until Approve or Reject) or approved. The Engine then moves each
// approved message, one committed transaction per step:
//
//	approved → drafting → drafted → sending → sent   (or failed / rejected)
//
// The draft is created (POST /users/{from}/messages, or createReply for a reply) with
// Prefer: IdType="ImmutableId", our internetMessageId (Graph lets a draft's
// internetMessageId be set: https://learn.microsoft.com/en-us/graph/api/message-update)
// and an x-m365connect-id internet message header carrying the outbox id. After a crash
// at any point the engine asks Graph rather than guessing: a message left "drafting" is
// looked up in Drafts by internetMessageId before a draft is created (and so is every
// retried creation: a lost answer may hide a created draft); a message left "sending" is
// sent only if its draft is seen still unsent (GET by immutable id, isDraft=true); a
// draft that turned into a sent item, or a copy in Sent Items with our internetMessageId,
// means it was sent. Right before the send call the engine records the request, in one
// update with the check that it still holds the lease: Graph answers 202 and submits
// afterwards, so a draft still reading isDraft after a recorded request is not sent again
// until it has sat unsent for EngineOptions.UnconfirmedAfter (a send Graph refused with
// a status clears the record). A draft that vanished with no Sent Items copy is never
// resent: after UnconfirmedAfter it fails with the reason on record. One engine sends at
// a time (a lease row in the database, renewed while a Graph call is in flight).
//
// Throttling (429/503 with Retry-After) and transient failures are retried with
// jittered exponential backoff that never undercuts Retry-After (injectable sleeper).
// Permanent Graph errors (ErrorSendAsDenied, ErrorAccessDenied, ErrorInvalidUser, ...)
// fail the message with Graph's code and message stored; a non-delivery report in the
// message's conversation within EngineOptions.BounceWindow fails a sent message. Nothing
// leaves the queue without a reason on record (Message.Reason, History).
//
// Graph is reached only through the [Graph] interface; graph.OutboxClient implements it
// with raw HTTP (connection.OutboxGraph converts its structs, which have the same fields).
//
// # Policy JSON
//
// The wizard's config (package wizard, Config.Outbox) carries the policy under "outbox";
// package connection turns it into a Policy and the files below:
//
//	{
//	  "outbox": {
//	    "database": "/optional/path/outbox.db",   // default appdirs.DataDir()/outbox.db
//	    "folder": "/optional/drop/folder",        // default appdirs.DataDir()/outbox
//	    "policy": {
//	      "allowedSenders": ["support@contoso.com"],  // addresses or user ids; empty = none may send
//	      "allowExternal": false,                      // recipients outside internalDomains
//	      "internalDomains": ["contoso.com"],          // empty = the sender's own domain
//	      "requireApproval": true                      // hold each message for Approve
//	    }
//	  }
//	}
//
// # Drop folder
//
// A JSON file (*.json) dropped into the folder is one message, the JSON of [NewMessage]:
//
//	{"from": "support@contoso.com", "to": ["a@contoso.com"], "cc": [], "subject": "Hi",
//	 "text": "plain body" | "html": "<p>html body</p>", "replyTo": "<graph message id>",
//	 "key": "optional idempotency key"}
//
// Write it under a name starting with "." or not ending in .json and rename it into
// place. ScanDropFolder claims it by rename into processing/, then moves it to
// accepted/ or to rejected/ with NAME.reason.txt beside it. Unknown fields are refused.
package outbox
