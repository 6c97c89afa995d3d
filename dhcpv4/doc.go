// Package dhcpv4 reads and writes DHCPv4 messages (RFC 2131, RFC 2132).
//
// A [Packet] is a view over the bytes of a received message: Decode indexes
// the options in place and copies nothing, so header fields and option
// values are slices of, or values read from, the caller's buffer. A Packet
// may be reused for many messages; reusing one makes decoding allocation
// free. Decode handles the magic cookie, pad and end, option overload into
// the file and sname fields (option 52), and options split into several
// instances (RFC 3396), which it joins in the order the RFC prescribes.
// Malformed input is reported as an error, never a panic.
//
// A [Builder] writes a message into a caller-supplied buffer. [Builder.Reply]
// starts a reply from a request: it copies what RFC 2131 says a reply
// copies, remembers the client's parameter request list (option 55) and
// maximum message size (option 57), and echoes relay agent information
// (option 82) as RFC 3046 requires. Options may be added in any order;
// [Builder.Finish] writes the message type and server identifier first, then
// the options the client asked for in the order it asked, then the rest,
// splits values longer than 255 bytes (RFC 3396), and leaves out what does
// not fit the client's maximum message size.
//
// Option values are raw bytes here. The definitions of the standard options,
// their types and Kea's text form for them live in package
// [github.com/leased/leased/dhcpv4/optdef].
package dhcpv4
