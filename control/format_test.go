package control

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"
)

func fixedFormatter() Formatter {
	return Formatter{Now: func() time.Time { return time.Unix(1700000000, 0) }, Location: time.UTC}
}

func TestFormatLeases(t *testing.T) {
	// The shape of Kea's lease4-get-all answer.
	raw := json.RawMessage(`{"leases": [
		{"cltt": 1699999000, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "host-a",
		 "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.1", "state": 0, "subnet-id": 1, "valid-lft": 3600},
		{"client-id": "01:02", "cltt": 1690000000, "hostname": "", "hw-address": "2a:2b:2c:2d:2e:2f",
		 "ip-address": "192.0.2.2", "state": 1, "subnet-id": 1, "valid-lft": 60}]}`)
	var b bytes.Buffer
	if err := fixedFormatter().Leases(&b, raw); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ADDRESS    HW ADDRESS         CLIENT ID  HOSTNAME  SUBNET  STATE     EXPIRES\n" +
		"192.0.2.1  1a:1b:1c:1d:1e:1f  -          host-a    1       default   2023-11-14 22:56:40 (in 43m20s)\n" +
		"192.0.2.2  2a:2b:2c:2d:2e:2f  01:02      -         1       declined  2023-07-22 04:27:40 (2777h45m40s ago)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	// lease4-get answers one lease, not a list.
	b.Reset()
	if err := fixedFormatter().Leases(&b, json.RawMessage(`{"ip-address": "192.0.2.9", "cltt": 0, "valid-lft": 4294967295, "state": 3}`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "192.0.2.9") || !strings.Contains(b.String(), "released") || !strings.Contains(b.String(), "never") {
		t.Errorf("single lease:\n%s", b.String())
	}
}

func TestFormatStatistics(t *testing.T) {
	raw := json.RawMessage(`{
		"subnet[10].assigned-addresses": [[5, "2023-11-14 22:13:20.000001"]],
		"subnet[2].assigned-addresses": [[7, "2023-11-14 22:13:20.000002"], [6, "2023-11-14 22:13:19.000000"]],
		"pkt4-received": [[100, "2023-11-14 22:13:20.000003"]],
		"some-string": [["text", "2023-11-14 22:13:20.000004"]]}`)
	var b bytes.Buffer
	if err := fixedFormatter().Statistics(&b, raw); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME                           VALUE  TIMESTAMP                   SAMPLES\n" +
		"pkt4-received                  100    2023-11-14 22:13:20.000003  1\n" +
		"some-string                    text   2023-11-14 22:13:20.000004  1\n" +
		"subnet[2].assigned-addresses   7      2023-11-14 22:13:20.000002  2\n" +
		"subnet[10].assigned-addresses  5      2023-11-14 22:13:20.000001  1\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFormatStatus(t *testing.T) {
	raw := json.RawMessage(`{"pid": 42, "uptime": 3725, "reload": 60, "multi-threading-enabled": true,
		"sockets": {"status": "ready"}, "packet-queue-statistics": [1.5, 2, 3]}`)
	var b bytes.Buffer
	if err := fixedFormatter().Status(&b, raw); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"multi-threading-enabled:  true\n" +
		"packet-queue-statistics:  [1.5, 2, 3]\n" +
		"pid:                      42\n" +
		"reload:                   60 (1m0s)\n" +
		"sockets.status:           ready\n" +
		"uptime:                   3725 (1h2m5s)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestFormatStatusHA: the high-availability part of status-get reads as
// a few lines (mode, this server, why, partner, communication, clock
// skew) after the other keys, not as dotted keys of Kea's nesting.
func TestFormatStatusHA(t *testing.T) {
	raw := json.RawMessage(`{"pid": 42, "high-availability": [{"ha-mode": "load-balancing", "ha-servers": {
		"local": {"role": "primary", "scopes": ["server1", "server2"], "server-name": "server1", "state": "partner-down",
			"reason": "server2 is unavailable; serving its clients"},
		"remote": {"age": 12, "analyzed-packets": 40, "clock-skew": 0, "communication-interrupted": true,
			"connecting-clients": 5, "in-touch": true, "last-scopes": ["server2"], "last-state": "load-balancing",
			"role": "secondary", "server-name": "server2", "unacked-clients": 3, "unacked-clients-left": 0}}}]}`)
	var b bytes.Buffer
	if err := fixedFormatter().Status(&b, raw); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"pid:               42\n" +
		"ha.mode:           load-balancing\n" +
		"ha.this:           server1 (primary), partner-down, serving server1, server2\n" +
		"ha.why:            server2 is unavailable; serving its clients\n" +
		"ha.partner:        server2 (secondary), load-balancing as of 12s ago, serving server2\n" +
		"ha.communication:  interrupted: 3 clients unanswered by the partner, 0 more before partner-down (5 connecting, 40 packets analyzed)\n" +
		"ha.clock-skew:     0s\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFormatResponse(t *testing.T) {
	f := fixedFormatter()
	var b bytes.Buffer
	must(t, f.Response(&b, "lease4-get", &Response{Result: Empty, Text: "Lease not found."}))
	if b.String() != "empty: Lease not found.\n" {
		t.Errorf("empty: %q", b.String())
	}
	b.Reset()
	must(t, f.Response(&b, "list-commands", &Response{Arguments: json.RawMessage(`["a","b"]`)}))
	if b.String() != "a\nb\n" {
		t.Errorf("list: %q", b.String())
	}
	b.Reset()
	must(t, f.Response(&b, "config-get", &Response{Arguments: map[string]int{"x": 1}}))
	if b.String() != "{\n  \"x\": 1\n}\n" {
		t.Errorf("json: %q", b.String())
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"subnet[10].x", "subnet[2].x", "subnet[2].pool[10].x", "subnet[2].pool[9].x", "a", "subnet[02].y"}
	sort.Slice(in, func(i, j int) bool { return naturalLess(in[i], in[j]) })
	want := "a subnet[2].pool[9].x subnet[2].pool[10].x subnet[2].x subnet[02].y subnet[10].x"
	if strings.Join(in, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(in, " "), want)
	}
}
