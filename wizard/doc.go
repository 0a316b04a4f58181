// Package wizard is the pure logic of the setup wizard: the steps and which of them may
// advance, the values typed at each step and their validation, and the config model the
// wizard saves and exports. It imports no UI toolkit and does no network I/O, so every
// rule here is tested with plain table tests; package ui only presents it.
package wizard
