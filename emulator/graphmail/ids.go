package graphmail

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
)

// The ids the store hands out, shaped like Exchange's: folder ids, regular message ids
// (which change on a move), immutable ids (which do not), conversation ids, the host of
// the internetMessageIds it makes, and the hashes they are derived from, so a seed
// gives the same ids every time.

func hashBytes(parts ...string) []byte {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

func folderID(mailboxID, name string) string {
	return "AQMkA" + base64.RawURLEncoding.EncodeToString(hashBytes("folder", mailboxID, name)) + "AAAA"
}

func regularID(mailboxID, immID string, moves uint32) string {
	return "AAMkAD" + base64.RawURLEncoding.EncodeToString(hashBytes("reg", mailboxID, immID, fmt.Sprint(moves))) +
		base64.RawURLEncoding.EncodeToString(hashBytes("reg2", immID, fmt.Sprint(moves))) + "AAA="
}

func immutableID(mailboxID string, n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A" + base64.RawURLEncoding.EncodeToString(hashBytes("imm", mailboxID, string(b[:]))) + "AAA="
}

func conversationID(seed string) string {
	return "AAQkAD" + base64.RawURLEncoding.EncodeToString(hashBytes("conv", seed)) + "="
}

func base64URL(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := make([]byte, len(b)*2)
	for i, c := range b {
		out[2*i] = alphabet[int(c>>4)%len(alphabet)]
		out[2*i+1] = alphabet[int(c&15)%len(alphabet)]
	}
	return string(out)
}

// outlookHost is the host part of the internetMessageIds Exchange Online gives mail
// sent from the tenant: the default domain without dots, upper case, at
// prod.outlook.com.
func outlookHost(domain string) string {
	return strings.ToUpper(strings.ReplaceAll(domain, ".", "")) + ".prod.outlook.com"
}
