package control

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// clientStatus is one interface of the client manager's status answer
// ({"interfaces": [...]}, from status, release and renew), as far as
// ClientStatus shows it. The JSON output (ctl -json) has every key.
type clientStatus struct {
	Interface  string            `json:"interface"`
	State      string            `json:"state"`
	Address    string            `json:"address"`
	ServerID   string            `json:"server-id"`
	Routers    []string          `json:"routers"`
	DNS        []string          `json:"dns"`
	LeaseTime  int64             `json:"lease-time"`
	T1         int64             `json:"t1"`
	T2         int64             `json:"t2"`
	Expires    string            `json:"expires"`
	ClientID   string            `json:"client-id"`
	LinkDown   bool              `json:"link-down"`
	StoreError string            `json:"store-error"`
	Sent       map[string]uint64 `json:"sent"`
	DHCP6      *clientStatus6    `json:"dhcp6"`
	supervision
}

type clientStatus6 struct {
	State      string            `json:"state"`
	DUID       string            `json:"duid"`
	ServerDUID string            `json:"server-duid"`
	Addresses  []string          `json:"addresses"`
	Prefixes   []string          `json:"prefixes"`
	Downstream []string          `json:"downstream"`
	DNS        []string          `json:"dns"`
	Domains    []string          `json:"domains"`
	RenewAt    string            `json:"renew-at"`
	RebindAt   string            `json:"rebind-at"`
	Expires    string            `json:"expires"`
	StoreError string            `json:"store-error"`
	Sent       map[string]uint64 `json:"sent"`
	supervision
}

// supervision is how a client has run under the manager's supervisor.
type supervision struct {
	Runs        int    `json:"runs"`
	Failures    int    `json:"failures"`
	LastError   string `json:"last-error"`
	NextRestart string `json:"next-restart"`
}

// isClientStatus reports whether raw is the client manager's
// {"interfaces": [...]} answer.
func isClientStatus(raw json.RawMessage) bool {
	var probe struct {
		Interfaces []struct {
			Interface string `json:"interface"`
		} `json:"interfaces"`
	}
	return json.Unmarshal(raw, &probe) == nil && len(probe.Interfaces) > 0 && probe.Interfaces[0].Interface != ""
}

// ClientStatus writes the client manager's status answer: per interface
// its DHCPv4 lease and its DHCPv6 addresses and prefixes, each with its
// server, times and how its client has run, as aligned "key: value"
// lines.
func (f Formatter) ClientStatus(w io.Writer, raw json.RawMessage) error {
	var wrap struct {
		Interfaces []json.RawMessage `json:"interfaces"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return fmt.Errorf("reading client status: %w", err)
	}
	now := f.now()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, one := range wrap.Interfaces {
		var s clientStatus
		if err := json.Unmarshal(one, &s); err != nil {
			return fmt.Errorf("reading client status of interface %d: %w", i+1, err)
		}
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s\n", s.Interface)
		// Each family's state heads its lines, which are indented
		// under it.
		row := func(k, v string) {
			indent := "    "
			if k == "dhcp4" || k == "dhcp6" {
				indent = "  "
			}
			if v != "" {
				fmt.Fprintf(tw, "%s%s:\t%s\n", indent, k, v)
			}
		}
		f.clientStatus4(row, &s, now)
		if s.DHCP6 != nil {
			f.clientStatus6(row, s.DHCP6, now)
		}
	}
	return tw.Flush()
}

func (f Formatter) clientStatus4(row func(k, v string), s *clientStatus, now time.Time) {
	state := s.State
	if s.LinkDown {
		state += " (link down)"
	}
	row("dhcp4", state)
	if s.State == "DISABLED" {
		return
	}
	if s.Address != "" {
		row("address", s.Address+" from "+s.ServerID)
		row("lease", fmt.Sprintf("%ds, renew after %ds, rebind after %ds, expires %s", s.LeaseTime, s.T1, s.T2, f.when(s.Expires, now)))
	}
	row("routers", strings.Join(s.Routers, ", "))
	row("dns", strings.Join(s.DNS, ", "))
	row("client-id", s.ClientID)
	row("store-error", s.StoreError)
	row("runs", f.supervised(s.supervision, now))
	row("sent", sentCounts(s.Sent))
}

func (f Formatter) clientStatus6(row func(k, v string), s *clientStatus6, now time.Time) {
	row("dhcp6", s.State)
	row("duid", s.DUID)
	row("server", s.ServerDUID)
	row("addresses", strings.Join(s.Addresses, ", "))
	row("prefixes", strings.Join(s.Prefixes, ", "))
	row("downstream", strings.Join(s.Downstream, ", "))
	if s.RenewAt != "" || s.RebindAt != "" || s.Expires != "" {
		var parts []string
		if s.RenewAt != "" {
			parts = append(parts, "renew "+f.when(s.RenewAt, now))
		}
		if s.RebindAt != "" {
			parts = append(parts, "rebind "+f.when(s.RebindAt, now))
		}
		if s.Expires != "" {
			parts = append(parts, "first expiry "+f.when(s.Expires, now))
		}
		row("times", strings.Join(parts, ", "))
	}
	row("dns", strings.Join(s.DNS, ", "))
	row("domains", strings.Join(s.Domains, ", "))
	row("store-error", s.StoreError)
	row("runs", f.supervised(s.supervision, now))
	row("sent", sentCounts(s.Sent))
}

// when shows an RFC 3339 time of the status in the Formatter's zone,
// with how far it is from now.
func (f Formatter) when(v string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	out := t.In(f.loc()).Format("2006-01-02 15:04:05")
	if left := t.Sub(now).Truncate(time.Second); left >= 0 {
		return out + " (in " + left.String() + ")"
	}
	return out + " (" + (-t.Sub(now).Truncate(time.Second)).String() + " ago)"
}

func (f Formatter) supervised(s supervision, now time.Time) string {
	out := strconv.Itoa(s.Runs) + " started, " + strconv.Itoa(s.Failures) + " failed"
	if s.LastError != "" {
		out += "; last error: " + s.LastError
	}
	if s.NextRestart != "" {
		out += "; restart " + f.when(s.NextRestart, now)
	}
	return out
}

// sentCounts lists the messages sent by type, in name order, leaving
// out the types never sent.
func sentCounts(m map[string]uint64) string {
	names := make([]string, 0, len(m))
	for k, n := range m {
		if n > 0 {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + " " + strconv.FormatUint(m[k], 10)
	}
	return strings.Join(parts, ", ")
}
