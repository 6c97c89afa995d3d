package ha

import (
	"errors"
	"io/fs"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

const lbPrimary = `{"high-availability": [{
	"this-server-name": "server1",
	"mode": "load-balancing",
	"heartbeat-delay": 3000, "max-response-delay": 9000,
	"max-ack-delay": 2000, "max-unacked-clients": 2,
	"sync-timeout": 20000, "sync-page-limit": 50,
	"peers": [
		{"name": "server1", "url": "http://10.0.0.1:8000/", "role": "primary"},
		{"name": "server2", "url": "http://10.0.0.2:8000/", "role": "secondary", "auto-failover": false}
	]}]}`

func TestParseLoadBalancing22(t *testing.T) {
	c, err := Parse([]byte(lbPrimary), Options{Dialect: Kea22})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Relationships) != 1 {
		t.Fatalf("relationships = %d", len(c.Relationships))
	}
	r := c.Relationships[0]
	want := Relationship{
		ThisServerName: "server1", Mode: ModeLoadBalancing,
		HeartbeatDelay: 3 * time.Second, MaxResponseDelay: 9 * time.Second, MaxAckDelay: 2 * time.Second,
		MaxUnackedClients: 2, DelayedUpdatesLimit: 100, SendLeaseUpdates: true, SyncLeases: true,
		SyncTimeout: 20 * time.Second, SyncPageLimit: 50, RequireClientCerts: true,
	}
	got := *r
	got.Peers, got.Pauses = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relationship\n got %+v\nwant %+v", got, want)
	}
	if r.MultiThreading.Listener() || r.RestrictCommands || r.MaxRejectedLeaseUpdates != 0 {
		t.Errorf("2.2 defaults: mt %+v restrict %v max-rejected %d", r.MultiThreading, r.RestrictCommands, r.MaxRejectedLeaseUpdates)
	}
	if r.This().Name != "server1" || r.Partner().Name != "server2" || r.Partner().Role != RoleSecondary {
		t.Errorf("this %v partner %v", r.This(), r.Partner())
	}
	if r.This().AutoFailover != true || r.Partner().AutoFailover != false {
		t.Errorf("auto-failover: %v %v", r.This().AutoFailover, r.Partner().AutoFailover)
	}
	if r.Partner().Addr != netip.MustParseAddrPort("10.0.0.2:8000") {
		t.Errorf("partner addr %v", r.Partner().Addr)
	}
}

func TestParseDefaults3(t *testing.T) {
	c, err := Parse([]byte(`{"high-availability": [{"this-server-name": " a ", "mode": "hot-standby",
		"peers": [{"name": "a", "url": "http://[2001:db8::1]/", "role": "primary"},
		          {"name": "b", "url": "http://192.0.2.2:8001/", "role": "standby"}]}]}`), Options{Dialect: Kea3})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Relationships[0]
	if r.ThisServerName != "a" {
		t.Errorf("this-server-name not trimmed: %q", r.ThisServerName)
	}
	if r.HeartbeatDelay != 10*time.Second || r.MaxResponseDelay != time.Minute || r.MaxAckDelay != 10*time.Second ||
		r.MaxUnackedClients != 10 || r.MaxRejectedLeaseUpdates != 10 || r.DelayedUpdatesLimit != 0 ||
		r.SyncTimeout != time.Minute || r.SyncPageLimit != 10000 || !r.RestrictCommands || !r.MultiThreading.Listener() {
		t.Errorf("3.x defaults wrong: %+v", r)
	}
	if r.This().Addr != netip.MustParseAddrPort("[2001:db8::1]:80") {
		t.Errorf("addr %v", r.This().Addr)
	}
}

func TestParseHubAndSpoke3(t *testing.T) {
	const hub = `{"high-availability": [
	{"this-server-name": "hub1", "mode": "hot-standby", "peers": [
		{"name": "hub1", "url": "http://192.0.2.1:8001/", "role": "primary"},
		{"name": "spoke1", "url": "http://192.0.2.2:8001/", "role": "standby"}]},
	{"this-server-name": "hub2", "mode": "hot-standby", "peers": [
		{"name": "hub2", "url": "http://192.0.2.1:8002/", "role": "primary"},
		{"name": "spoke2", "url": "http://192.0.2.3:8001/", "role": "standby"}]}]}`
	c, err := Parse([]byte(hub), Options{Dialect: Kea3})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Relationships) != 2 || c.Relationship("hub2").Partner().Name != "spoke2" {
		t.Fatalf("relationships %+v", c.Relationships)
	}
	if _, err := Parse([]byte(hub), Options{Dialect: Kea22}); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("2.2 accepted two relationships: %v", err)
	}
	lb := strings.Replace(hub, `"hub2", "mode": "hot-standby"`, `"hub2", "mode": "load-balancing"`, 1)
	lb = strings.Replace(lb, `"spoke2", "url": "http://192.0.2.3:8001/", "role": "standby"`, `"spoke2", "url": "http://192.0.2.3:8001/", "role": "secondary"`, 1)
	if _, err := Parse([]byte(lb), Options{Dialect: Kea3}); err == nil || !strings.Contains(err.Error(), "high-availability[1].mode") {
		t.Errorf("load balancing among several relationships: %v", err)
	}
	dup := strings.Replace(hub, `"spoke2"`, `"spoke1"`, 1)
	if _, err := Parse([]byte(dup), Options{Dialect: Kea3}); err == nil || !strings.Contains(err.Error(), `"spoke1" is also used`) {
		t.Errorf("duplicate name across relationships: %v", err)
	}
}

func TestParseStateMachineAndIgnored(t *testing.T) {
	c, err := Parse([]byte(`{"high-availability": [{"this-server-name": "s1", "mode": "passive-backup",
		"wait-backup-ack": true, "colour": "blue", "comment": "fine",
		"state-machine": {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}, {"state": "syncing"}]},
		"peers": [{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		          {"name": "b1", "url": "http://127.0.0.2:8000/", "role": "backup", "flavour": 1},
		          {"name": "b2", "url": "http://127.0.0.3:8000/", "role": "backup"}]}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Relationships[0]
	if r.Pause(StateWaiting) != PauseOnce || r.Pause(StateReady) != PauseAlways || r.Pause(StateSyncing) != PauseNever || r.Pause(StatePartnerDown) != PauseNever {
		t.Errorf("pauses %v", r.Pauses)
	}
	if r.Partner() != nil || len(r.Backups()) != 2 {
		t.Errorf("partner %v backups %v", r.Partner(), r.Backups())
	}
	want := "high-availability[0].colour high-availability[0].peers[1].flavour"
	if got := strings.Join(c.Ignored, " "); got != want {
		t.Errorf("ignored %q, want %q", got, want)
	}
}

func TestParseAuthAndTLS(t *testing.T) {
	files := map[string]string{"/pw": "s3cret", "/user": "joe"}
	read := func(n string) ([]byte, error) {
		if s, ok := files[n]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	c, err := Parse([]byte(`{"high-availability": [{"this-server-name": "s1", "mode": "hot-standby",
		"trust-anchor": "/ca", "cert-file": "/cert", "key-file": "/key",
		"peers": [{"name": "s1", "url": "https://127.0.0.1:8000/", "role": "primary", "basic-auth-user": "u", "basic-auth-password-file": "/pw"},
		          {"name": "s2", "url": "https://127.0.0.2:8000/", "role": "standby", "cert-file": "/cert2", "basic-auth-user-file": "/user", "basic-auth-password": "p"}]}]}`),
		Options{Dialect: Kea3, ReadFile: read})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Relationships[0]
	if p := r.Peer("s1"); p.BasicAuthUser != "u" || p.BasicAuthPassword != "s3cret" || p.TLS != (TLS{"/ca", "/cert", "/key"}) {
		t.Errorf("s1 %+v", p)
	}
	if p := r.Peer("s2"); p.BasicAuthUser != "joe" || p.BasicAuthPassword != "p" || p.TLS != (TLS{"/ca", "/cert2", "/key"}) {
		t.Errorf("s2 %+v", p)
	}
	_, err = Parse([]byte(`{"high-availability": [{"this-server-name": "s1", "mode": "hot-standby",
		"peers": [{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary", "basic-auth-password-file": "/missing"},
		          {"name": "s2", "url": "http://127.0.0.2:8000/", "role": "standby"}]}]}`), Options{ReadFile: read})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "peers[0] (s1).basic-auth-password-file") {
		t.Errorf("missing password file: %v", err)
	}
}

// TestParseErrors checks that each rule Kea enforces is enforced, and that
// the error names the parameter at fault.
func TestParseErrors(t *testing.T) {
	const peers = `"peers": [{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		{"name": "s2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]`
	rel := func(extra string) string {
		return `{"high-availability": [{"this-server-name": "s1", "mode": "load-balancing", ` + extra + peers + `}]}`
	}
	withPeers := func(mode, p string) string {
		return `{"high-availability": [{"this-server-name": "s1", "mode": "` + mode + `", "peers": [` + p + `]}]}`
	}
	const s1 = `{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary"}`
	for _, tc := range []struct {
		name, cfg string
		d         Dialect
		want      string
	}{
		{"not json", `{`, Kea22, "not valid JSON"},
		{"not a map", `[]`, Kea22, "must be a map"},
		{"no list", `{}`, Kea22, `"high-availability" is missing`},
		{"list is a map", `{"high-availability": {}}`, Kea22, "high-availability: must be a list"},
		{"empty list", `{"high-availability": []}`, Kea22, "list is empty"},
		{"no mode", `{"high-availability": [{"this-server-name": "s1", ` + peers + `}]}`, Kea22, `high-availability[0]: "mode" is missing`},
		{"bad mode", `{"high-availability": [{"this-server-name": "s1", "mode": "fast", ` + peers + `}]}`, Kea22, `high-availability[0].mode: "fast" is not a mode`},
		{"no name", `{"high-availability": [{"mode": "load-balancing", ` + peers + `}]}`, Kea22, `"this-server-name" is missing`},
		{"blank name", `{"high-availability": [{"this-server-name": "  ", "mode": "load-balancing", ` + peers + `}]}`, Kea22, "this-server-name: must not be empty"},
		{"name not a peer", `{"high-availability": [{"this-server-name": "s3", "mode": "load-balancing", ` + peers + `}]}`, Kea22, `"s3" is not the name of any peer`},
		{"no peers", `{"high-availability": [{"this-server-name": "s1", "mode": "load-balancing"}]}`, Kea22, `"peers" is missing`},
		{"delay 16 bit", rel(`"heartbeat-delay": 65536, `), Kea22, "high-availability[0].heartbeat-delay: 65536 is greater than 65535"},
		{"negative", rel(`"max-ack-delay": -1, `), Kea3, "max-ack-delay: must not be negative"},
		{"fraction", rel(`"max-unacked-clients": 1.5, `), Kea3, "max-unacked-clients: must be an integer"},
		{"string int", rel(`"sync-timeout": "1", `), Kea3, "sync-timeout: must be an integer, not a string"},
		{"bool", rel(`"sync-leases": 1, `), Kea3, "sync-leases: must be a boolean"},
		{"page limit 0", rel(`"sync-page-limit": 0, `), Kea3, "sync-page-limit: must be greater than 0"},
		{"wait-backup-ack lb", rel(`"wait-backup-ack": true, `), Kea22, "wait-backup-ack: true is allowed only in passive-backup"},
		{"mt not map", rel(`"multi-threading": true, `), Kea22, "multi-threading: must be a map"},
		{"states not list", rel(`"state-machine": {"states": {}}, `), Kea22, "state-machine.states: must be a list"},
		{"bad state", rel(`"state-machine": {"states": [{"state": "asleep"}]}, `), Kea22, `states[0].state: "asleep" is not an HA state`},
		{"unavailable state", rel(`"state-machine": {"states": [{"state": "unavailable"}]}, `), Kea22, `"unavailable" is not an HA state`},
		{"dup state", rel(`"state-machine": {"states": [{"state": "ready"}, {"state": "ready", "pause": "once"}]}, `), Kea22, `states[1].state: "ready" is configured twice`},
		{"bad pause", rel(`"state-machine": {"states": [{"state": "ready", "pause": "sometimes"}]}, `), Kea22, `states[0].pause: "sometimes"`},
		{"peer not map", withPeers("load-balancing", `1`), Kea22, "peers[0]: must be a map"},
		{"dup peer", withPeers("load-balancing", s1+`,`+s1), Kea22, `peers[1].name: "s1" names two peers`},
		{"bad role", withPeers("load-balancing", `{"name": "s1", "url": "http://127.0.0.1/", "role": "boss"}`), Kea22, `peers[0] (s1).role: "boss" is not a role`},
		{"host name", withPeers("load-balancing", `{"name": "s1", "url": "http://localhost:8000/", "role": "primary"}`), Kea22, `peers[0] (s1).url: "http://localhost:8000/": the host must be an IP address`},
		{"scheme", withPeers("load-balancing", `{"name": "s1", "url": "ftp://127.0.0.1/", "role": "primary"}`), Kea22, "scheme must be http or https"},
		{"https no tls", withPeers("load-balancing", `{"name": "s1", "url": "https://127.0.0.1/", "role": "primary"}`), Kea22, "https, but TLS is not configured"},
		{"partial tls", withPeers("load-balancing", `{"name": "s1", "url": "http://127.0.0.1/", "role": "primary", "trust-anchor": "/ca", "cert-file": "/c"}`), Kea22, "key-file is missing or empty"},
		{"password twice", withPeers("load-balancing", `{"name": "s1", "url": "http://127.0.0.1/", "role": "primary", "basic-auth-password": "a", "basic-auth-password-file": "/f"}`), Kea22, "basic-auth-password and basic-auth-password-file are both set"},
		{"user colon", withPeers("load-balancing", `{"name": "s1", "url": "http://127.0.0.1/", "role": "primary", "basic-auth-user": "a:b"}`), Kea22, "basic-auth-user: must not contain ':'"},
		{"two primaries", withPeers("load-balancing", s1+`, {"name": "s2", "url": "http://127.0.0.2/", "role": "primary"}`), Kea22, "2 primary servers"},
		{"lb no secondary", withPeers("load-balancing", s1), Kea22, "load-balancing mode needs a secondary server"},
		{"lb standby", withPeers("load-balancing", s1+`, {"name": "s2", "url": "http://127.0.0.2/", "role": "secondary"}, {"name": "s3", "url": "http://127.0.0.3/", "role": "standby"}`), Kea22, "load-balancing mode allows no standby"},
		{"hs no standby", withPeers("hot-standby", s1), Kea22, "hot-standby mode needs a standby server"},
		{"hs secondary", withPeers("hot-standby", s1+`, {"name": "s2", "url": "http://127.0.0.2/", "role": "secondary"}`), Kea22, "hot-standby mode allows no secondary"},
		{"pb standby", withPeers("passive-backup", s1+`, {"name": "s2", "url": "http://127.0.0.2/", "role": "standby"}`), Kea22, "passive-backup mode allows no standby"},
		{"pb no primary", withPeers("passive-backup", `{"name": "s1", "url": "http://127.0.0.1/", "role": "backup"}`), Kea22, "passive-backup mode needs a primary"},
		{"hs delayed updates", `{"high-availability": [{"this-server-name": "s1", "mode": "hot-standby", "delayed-updates-limit": 5, "peers": [` + s1 + `, {"name": "s2", "url": "http://127.0.0.2/", "role": "standby"}]}]}`, Kea22, "delayed-updates-limit: must be 0 in hot-standby"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.cfg), Options{Dialect: tc.d})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// The 16-bit bound is Kea 2.2's only.
	if _, err := Parse([]byte(rel(`"heartbeat-delay": 65536, `)), Options{Dialect: Kea3}); err != nil {
		t.Errorf("3.x refused a 32-bit delay: %v", err)
	}
}

func TestParseValue(t *testing.T) {
	v := map[string]any{"high-availability": []any{map[string]any{
		"this-server-name": "s1", "mode": "hot-standby", "max-unacked-clients": 0,
		"peers": []any{
			map[string]any{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary"},
			map[string]any{"name": "s2", "url": "http://127.0.0.2:8000/", "role": "standby"},
		},
	}}}
	c, err := ParseValue(v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Relationships[0].MaxUnackedClients != 0 {
		t.Errorf("max-unacked-clients %d", c.Relationships[0].MaxUnackedClients)
	}
}
