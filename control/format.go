package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formatter renders answers as readable tables for `leased ctl`. The zero
// value uses the current time and the local time zone.
type Formatter struct {
	// Now returns the current time (for "expires in"); nil is time.Now.
	Now func() time.Time
	// Location is the zone times are shown in; nil is time.Local.
	Location *time.Location
}

func (f Formatter) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f Formatter) loc() *time.Location {
	if f.Location != nil {
		return f.Location
	}
	return time.Local
}

// Response writes an answer to command: leases, statistics and status
// (a server's, or the client manager's interfaces) as tables,
// list-commands as a list, anything else as indented JSON. A failure,
// or an answer without arguments, is written as its result and text.
func (f Formatter) Response(w io.Writer, command string, r *Response) error {
	raw, err := r.RawArguments()
	if err != nil {
		return err
	}
	if r.Result != Success || raw == nil {
		label := map[int]string{Success: "ok", Error: "error", Unsupported: "unsupported",
			Empty: "empty", Conflict: "conflict", Fatal: "fatal"}[r.Result]
		if label == "" {
			label = "result " + strconv.Itoa(r.Result)
		}
		if r.Text != "" {
			_, err = fmt.Fprintf(w, "%s: %s\n", label, r.Text)
		} else {
			_, err = fmt.Fprintf(w, "%s\n", label)
		}
		if err != nil || raw == nil {
			return err
		}
	}
	switch {
	case strings.HasPrefix(command, "lease4-get"):
		return f.Leases(w, raw)
	case command == "statistic-get" || command == "statistic-get-all" || command == "statistic-global-get-all":
		return f.Statistics(w, raw)
	case command == "status-get":
		return f.Status(w, raw)
	case (command == "status" || command == "release" || command == "renew") && isClientStatus(raw):
		return f.ClientStatus(w, raw)
	case command == "list-commands":
		var names []string
		if err := json.Unmarshal(raw, &names); err == nil {
			for _, n := range names {
				if _, err := fmt.Fprintln(w, n); err != nil {
					return err
				}
			}
			return nil
		}
	case command == "version-get" && r.Text != "":
		var ext struct{ Extended string }
		if json.Unmarshal(raw, &ext) == nil && ext.Extended != "" {
			_, err := fmt.Fprintln(w, ext.Extended)
			return err
		}
	}
	return indentJSON(w, raw)
}

func indentJSON(w io.Writer, raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return fmt.Errorf("formatting arguments: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// lease is the lease4 JSON of Kea's lease commands.
type lease struct {
	IP       string      `json:"ip-address"`
	HW       string      `json:"hw-address"`
	ClientID string      `json:"client-id"`
	Hostname string      `json:"hostname"`
	SubnetID json.Number `json:"subnet-id"`
	PoolID   json.Number `json:"pool-id"`
	ValidLft int64       `json:"valid-lft"`
	CLTT     int64       `json:"cltt"`
	State    int         `json:"state"`
}

var leaseStates = map[int]string{0: "default", 1: "declined", 2: "expired-reclaimed", 3: "released", 4: "registered"}

// Leases writes the leases of a lease4-get* answer ({"leases": [...]} or
// one lease) as a table.
func (f Formatter) Leases(w io.Writer, raw json.RawMessage) error {
	var wrap struct {
		Leases []lease `json:"leases"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return fmt.Errorf("reading leases: %w", err)
	}
	if wrap.Leases == nil {
		var one lease
		if err := json.Unmarshal(raw, &one); err != nil {
			return fmt.Errorf("reading lease: %w", err)
		}
		if one.IP != "" {
			wrap.Leases = []lease{one}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tHW ADDRESS\tCLIENT ID\tHOSTNAME\tSUBNET\tSTATE\tEXPIRES")
	now := f.now()
	for _, l := range wrap.Leases {
		state := leaseStates[l.State]
		if state == "" {
			state = strconv.Itoa(l.State)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.IP, dash(l.HW), dash(l.ClientID), dash(l.Hostname),
			dash(string(l.SubnetID)), state, f.expiry(l, now))
	}
	return tw.Flush()
}

func (f Formatter) expiry(l lease, now time.Time) string {
	if l.ValidLft == 0xffffffff {
		return "never"
	}
	exp := time.Unix(l.CLTT+l.ValidLft, 0)
	left := exp.Sub(now).Truncate(time.Second)
	when := exp.In(f.loc()).Format("2006-01-02 15:04:05")
	if left >= 0 {
		return when + " (in " + left.String() + ")"
	}
	return when + " (" + (-left).String() + " ago)"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Statistics writes a statistic-get* answer as a table: each statistic's
// newest value, its time and how many samples are kept, in natural order
// (subnet[2] before subnet[10]).
func (f Formatter) Statistics(w io.Writer, raw json.RawMessage) error {
	var m map[string][][]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("reading statistics: %w", err)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVALUE\tTIMESTAMP\tSAMPLES")
	for _, n := range names {
		samples := m[n]
		value, ts := "-", "-"
		if len(samples) > 0 && len(samples[0]) == 2 {
			value = scalar(samples[0][0])
			ts = scalar(samples[0][1])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", n, value, ts, len(samples))
	}
	return tw.Flush()
}

// scalar shows a JSON scalar without quotes.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// Status writes a status-get answer as "key: value" lines; nested maps
// become dotted keys, lists of maps are numbered, and uptime and reload
// (seconds) are also shown as durations.
func (f Formatter) Status(w io.Writer, raw json.RawMessage) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("reading status: %w", err)
	}
	var rows [][2]string
	var haRows [][2]string
	if m, ok := v.(map[string]any); ok {
		if list, ok := m["high-availability"].([]any); ok {
			delete(m, "high-availability")
			for i, rel := range list {
				prefix := "ha"
				if len(list) > 1 {
					prefix = "ha[" + strconv.Itoa(i+1) + "]"
				}
				haStatus(prefix, rel, &haRows)
			}
		}
	}
	flatten("", v, &rows)
	rows = append(rows, haRows...)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		val := r[1]
		if r[0] == "uptime" || r[0] == "reload" {
			if n, err := strconv.ParseInt(val, 10, 64); err == nil && n >= 0 {
				val += " (" + (time.Duration(n) * time.Second).String() + ")"
			}
		}
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], val)
	}
	return tw.Flush()
}

// haStatus writes one relationship of status-get's "high-availability"
// list as a few readable lines: the mode, this server and its partner
// each on one line, why this server is where it is (leased's reason),
// and the failure detection and clock skew. Kea's keys it does not know
// are left out; the JSON output (ctl -json) has them all.
func haStatus(prefix string, v any, rows *[][2]string) {
	rel, _ := v.(map[string]any)
	servers, _ := rel["ha-servers"].(map[string]any)
	local, _ := servers["local"].(map[string]any)
	remote, _ := servers["remote"].(map[string]any)
	str := func(m map[string]any, k string) string {
		if s, ok := m[k].(string); ok {
			return s
		}
		if m[k] == nil {
			return ""
		}
		return fmt.Sprint(m[k])
	}
	list := func(m map[string]any, k string) string {
		l, _ := m[k].([]any)
		if len(l) == 0 {
			return "nothing"
		}
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ", ")
	}
	who := func(m map[string]any) string {
		if n := str(m, "server-name"); n != "" {
			return n + " (" + str(m, "role") + ")"
		}
		return str(m, "role")
	}
	add := func(k, v string) { *rows = append(*rows, [2]string{prefix + "." + k, v}) }
	add("mode", str(rel, "ha-mode"))
	add("this", fmt.Sprintf("%s, %s, serving %s", who(local), str(local, "state"), list(local, "scopes")))
	if r := str(local, "reason"); r != "" {
		add("why", r)
	}
	if remote == nil {
		return
	}
	if in, _ := remote["in-touch"].(bool); !in {
		add("partner", who(remote)+", never heard from")
	} else {
		add("partner", fmt.Sprintf("%s, %s as of %ss ago, serving %s", who(remote), str(remote, "last-state"), str(remote, "age"), list(remote, "last-scopes")))
	}
	if in, _ := remote["communication-interrupted"].(bool); in {
		add("communication", fmt.Sprintf("interrupted: %s clients unanswered by the partner, %s more before partner-down (%s connecting, %s packets analyzed)",
			str(remote, "unacked-clients"), str(remote, "unacked-clients-left"), str(remote, "connecting-clients"), str(remote, "analyzed-packets")))
	} else {
		add("communication", "ok")
	}
	if sk := str(remote, "clock-skew"); sk != "" {
		add("clock-skew", sk+"s")
	}
}

func flatten(prefix string, v any, rows *[][2]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flatten(join(k), t[k], rows)
		}
	case []any:
		scalars := true
		for _, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				scalars = false
			}
		}
		if scalars {
			parts := make([]string, len(t))
			for i, e := range t {
				parts[i] = fmt.Sprint(e)
			}
			*rows = append(*rows, [2]string{prefix, "[" + strings.Join(parts, ", ") + "]"})
			return
		}
		for i, e := range t {
			flatten(join(strconv.Itoa(i)), e, rows)
		}
	case nil:
		*rows = append(*rows, [2]string{prefix, "null"})
	default:
		*rows = append(*rows, [2]string{prefix, fmt.Sprint(t)})
	}
}

// naturalLess orders strings with digit runs compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := digitRun(a)
			nb, rb := digitRun(b)
			ta, tb := strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) (string, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
