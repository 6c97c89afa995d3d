// Package ddns decides the host names and FQDNs of DHCPv4 clients as Kea
// decides them, and whether the server updates their DNS records; package
// ddns/ncr builds and sends the requests for those updates.
//
// [Decide] takes what a client sent in its Host Name option (12) or Client
// FQDN option (81, RFC 4702), the hostname of its reservation and the
// DDNS parameters of its scope ([Params], from ddns-replace-client-name,
// ddns-generated-prefix, ddns-qualifying-suffix, hostname-char-set and
// hostname-char-replacement), and returns the option the server answers
// with and the name recorded with the lease, as kea-dhcp4 3.x does:
// option 81 is preferred to option 12;
// a reserved name wins over the client's; the client's name is trimmed,
// its disallowed characters replaced, lowercased and, when it is a single
// label (option 12) or partial (option 81), qualified with the suffix; a
// name is generated from the prefix and the address when the client sends
// none that can be used or the configuration asks for it.
//
// Which DNS updates the server does is recorded with the lease (fqdn-fwd,
// fqdn-rev) and told in option 81's flags as Kea decides them. Without
// updates ([ParamsOf], dhcp-ddns enable-updates false, or
// ddns-send-updates false) the server does none: N set, S clear, O set
// when the client's S was. With updates ([UpdatingParamsOf]) a client
// that leaves the forward update to the server (S) gets both; one that
// does it itself gets the reverse only, or both with
// ddns-override-client-update (S and O answered); one that asks for none
// (N) gets none, or both with ddns-override-no-update. A client that sends
// option 12, or none and gets a generated name, gets both.
//
// Names are parsed and printed with the rules of Kea's DNS library (text
// escapes, label and name lengths, wire form for option 81's E flag), so
// that the answer and the recorded name match Kea's byte for byte.
// [ValidFQDN] tells which option 81 values Kea cannot read at all; it
// drops the messages that carry them.
//
// Where Kea versions differ, Decide follows the current one (3.3). Kea
// 2.2 to 3.0.0 qualify a single-label name that ends in a dot ("host."
// becomes "host.example.org"; now "host"); before 3.0.2, a name that
// sanitizing empties gives odd answers where current Kea answers nothing;
// before 3.3, a name that sanitizing leaves with an empty label is kept
// ("a.*.b" gives "a..b"; now nothing). Kea 3.x also lets a
// pool's ddns-send-updates switch the DNS flags on while dhcp-ddns
// enable-updates is false; here enable-updates false means no updates.
package ddns
