package config

import (
	"sort"
	"strings"
)

// keaKeywords lists, per scope, every keyword kea-dhcp4 accepts in either
// dialect. It is used to word messages (a keyword written in the wrong
// scope, a misspelling); what leased accepts is decided by the readers of
// each scope, and a test checks that each keyword here is either read or
// listed in NotSupported.
var keaKeywords = map[string]string{
	"authentication":            "clients comment directory realm type user-context",
	"clients":                   "comment password password-file user user-context user-file",
	"client-classes":            "boot-file-name client-class comment max-valid-lifetime min-valid-lifetime name next-server offer-lifetime only-if-required only-in-additional-list option-data option-def server-hostname template-test test user-context valid-lifetime",
	"compatibility":             "exclude-first-last-24 ignore-dhcp-server-identifier ignore-rai-link-selection lenient-option-parsing",
	"config-control":            "config-databases config-fetch-wait-time",
	"control-socket":            "authentication cert-file cert-required comment http-headers key-file socket-address socket-name socket-port socket-type trust-anchor user-context",
	"control-sockets":           "authentication cert-file cert-required comment http-headers key-file socket-address socket-name socket-port socket-type trust-anchor user-context",
	"Dhcp4":                     "adaptive-lease-time-threshold allocator authoritative boot-file-name cache-max-age cache-threshold calculate-tee-times client-classes comment compatibility config-control control-socket control-sockets ddns-conflict-resolution-mode ddns-generated-prefix ddns-override-client-update ddns-override-no-update ddns-qualifying-suffix ddns-replace-client-name ddns-send-updates ddns-ttl ddns-ttl-max ddns-ttl-min ddns-ttl-percent ddns-update-on-renew ddns-use-conflict-resolution decline-probation-period dhcp-ddns dhcp-queue-control dhcp4o6-port early-global-reservations-lookup echo-client-id expired-leases-processing hooks-libraries host-reservation-identifiers hostname-char-replacement hostname-char-set hosts-database hosts-databases interfaces-config ip-reservations-unique lease-database loggers match-client-id max-valid-lifetime min-valid-lifetime multi-threading next-server offer-lifetime option-data option-def parked-packet-limit rebind-timer renew-timer reservation-mode reservations reservations-global reservations-in-subnet reservations-lookup-first reservations-out-of-pool sanity-checks server-hostname server-tag shared-networks stash-agent-options statistic-default-sample-age statistic-default-sample-count store-extended-info subnet4 t1-percent t2-percent user-context valid-lifetime",
	"dhcp-ddns":                 "comment enable-updates generated-prefix hostname-char-replacement hostname-char-set max-queue-size ncr-format ncr-protocol override-client-update override-no-update qualifying-suffix replace-client-name sender-ip sender-port server-ip server-port user-context",
	"multi-threading":           "comment enable-multi-threading packet-queue-size thread-pool-size user-context",
	"dhcp-queue-control":        "capacity comment enable-queue queue-type user-context",
	"expired-leases-processing": "flush-reclaimed-timer-wait-time hold-reclaimed-time max-reclaim-leases max-reclaim-time reclaim-timer-wait-time unwarned-reclaim-cycles",
	"hooks-libraries":           "library parameters",
	"http-headers":              "comment name user-context value",
	"interfaces-config":         "comment dhcp-socket-type interfaces outbound-interface re-detect service-sockets-max-retries service-sockets-require-all service-sockets-retry-wait-time user-context",
	"hosts-database":            "cert-file cipher-list connect-timeout host key-file max-reconnect-tries name on-fail password password-file port read-timeout readonly reconnect-wait-time retry-on-startup ssl-mode tcp-user-timeout trust-anchor type user write-timeout",
	"hosts-databases":           "cert-file cipher-list connect-timeout host key-file max-reconnect-tries name on-fail password password-file port read-timeout readonly reconnect-wait-time retry-on-startup ssl-mode tcp-user-timeout trust-anchor type user write-timeout",
	"lease-database":            "cert-file cipher-list connect-timeout host key-file lfc-interval max-reconnect-tries max-row-errors name on-fail password password-file persist port read-timeout reconnect-wait-time retry-on-startup ssl-mode tcp-user-timeout trust-anchor type user write-timeout",
	"loggers":                   "comment debuglevel name output-options output_options severity user-context",
	"option-data":               "always-send client-classes code comment csv-format data name never-send space user-context",
	"option-def":                "array code comment encapsulate name record-types space type user-context",
	"output-options":            "flush maxsize maxver output pattern",
	"pools":                     "client-class client-classes comment ddns-conflict-resolution-mode ddns-generated-prefix ddns-override-client-update ddns-override-no-update ddns-qualifying-suffix ddns-replace-client-name ddns-send-updates ddns-ttl ddns-ttl-max ddns-ttl-min ddns-ttl-percent ddns-update-on-renew evaluate-additional-classes hostname-char-replacement hostname-char-set option-data pool pool-id require-client-classes user-context",
	"relay":                     "ip-address ip-addresses",
	"reservations":              "boot-file-name circuit-id client-classes client-id comment duid flex-id hostname hw-address ip-address next-server option-data server-hostname user-context",
	"sanity-checks":             "extended-info-checks lease-checks",
	"shared-networks":           "adaptive-lease-time-threshold allocator authoritative boot-file-name cache-max-age cache-threshold calculate-tee-times client-class client-classes comment ddns-conflict-resolution-mode ddns-generated-prefix ddns-override-client-update ddns-override-no-update ddns-qualifying-suffix ddns-replace-client-name ddns-send-updates ddns-ttl ddns-ttl-max ddns-ttl-min ddns-ttl-percent ddns-update-on-renew ddns-use-conflict-resolution evaluate-additional-classes hostname-char-replacement hostname-char-set interface match-client-id max-valid-lifetime min-valid-lifetime name next-server offer-lifetime option-data rebind-timer relay renew-timer require-client-classes reservation-mode reservations-global reservations-in-subnet reservations-out-of-pool server-hostname store-extended-info subnet4 t1-percent t2-percent user-context valid-lifetime",
	"subnet4":                   "4o6-interface 4o6-interface-id 4o6-subnet adaptive-lease-time-threshold allocator authoritative boot-file-name cache-max-age cache-threshold calculate-tee-times client-class client-classes comment ddns-conflict-resolution-mode ddns-generated-prefix ddns-override-client-update ddns-override-no-update ddns-qualifying-suffix ddns-replace-client-name ddns-send-updates ddns-ttl ddns-ttl-max ddns-ttl-min ddns-ttl-percent ddns-update-on-renew ddns-use-conflict-resolution evaluate-additional-classes hostname-char-replacement hostname-char-set id interface match-client-id max-valid-lifetime min-valid-lifetime next-server offer-lifetime option-data pools rebind-timer relay renew-timer require-client-classes reservation-mode reservations reservations-global reservations-in-subnet reservations-out-of-pool server-hostname store-extended-info subnet t1-percent t2-percent user-context valid-lifetime",
}

// scopesOf returns the scopes in which Kea accepts keyword.
func scopesOf(keyword string) []string {
	var out []string
	for scope, kws := range keaKeywords {
		for _, k := range strings.Fields(kws) {
			if k == keyword {
				out = append(out, scope)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// maxSuggestLen is the longest name a "did you mean" suggestion is
// looked for: no keyword is half as long, and the bound keeps the search
// cheap whatever a configuration holds.
const maxSuggestLen = 64

// suggest returns the keyword of scope closest to a misspelt one, or "".
func suggest(keyword, scope string) string {
	best, bestD := "", 3
	for _, k := range strings.Fields(keaKeywords[scope]) {
		if d, ok := closer(keyword, k, bestD); ok {
			best, bestD = k, d
		}
	}
	return best
}

// closer returns the edit distance of a and b when it is below bound.
// Names longer than maxSuggestLen, and pairs whose lengths differ by
// bound or more (the distance is at least the difference), are not
// compared.
func closer(a, b string, bound int) (int, bool) {
	if len(a) > maxSuggestLen || len(b) > maxSuggestLen || abs(len(a)-len(b)) >= bound {
		return 0, false
	}
	d := editDistance(a, b)
	return d, d < bound
}

// editDistance is the Levenshtein distance, for short keywords.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
