package daemon

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ha"
)

// TestHAFromConfig reads the libdhcp_ha.so entry of hooks-libraries as
// `leased serve` does: Kea 2.2's form, Kea 3.x's (two relationships,
// which 2.2 refuses), none, and broken ones, whose errors name the entry
// and the parameter at fault.
func TestHAFromConfig(t *testing.T) {
	peers := func(this, other string) string {
		return fmt.Sprintf(`{"this-server-name": %q, "mode": "hot-standby", "peers": [
			{"name": %q, "url": "http://192.0.2.1:8000/", "role": "primary"},
			{"name": %q, "url": "http://192.0.2.2:8000/", "role": "standby"}]}`, this, this, other)
	}
	load := func(hooks string) *config.Config {
		t.Helper()
		src := `{"Dhcp4": {"hooks-libraries": [` + hooks + `], "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]}}`
		cfg, diags, err := config.Parse("t.json", []byte(src), nil)
		if err != nil {
			t.Fatalf("%v %v", err, diags)
		}
		for _, d := range diags {
			t.Errorf("diagnostic: %v", d)
		}
		return cfg
	}
	leaseCmds := `{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}, `
	haLib := `{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so", "parameters": `

	c, err := haFromConfig(load(leaseCmds + haLib + `{"high-availability": [` + peers("server1", "server2") + `]}}`))
	if err != nil || c == nil || c.Dialect != ha.Kea22 || len(c.Relationships) != 1 || c.Relationships[0].ThisServerName != "server1" {
		t.Errorf("Kea 2.2 form: %+v %v", c, err)
	}
	c, err = haFromConfig(load(leaseCmds + haLib + `{"high-availability": [` + peers("server1", "server2") + `, ` + peers("server3", "server4") + `]}}`))
	if err != nil || c == nil || c.Dialect != ha.Kea3 || len(c.Relationships) != 2 {
		t.Errorf("Kea 3.x form: %+v %v", c, err)
	}
	if c, err := haFromConfig(load(leaseCmds[:len(leaseCmds)-2])); c != nil || err != nil {
		t.Errorf("no HA hook: %+v %v", c, err)
	}
	for _, tc := range []struct{ hooks, want string }{
		{`{"library": "libdhcp_ha.so"}`, `hooks-libraries libdhcp_ha.so at t.json:1:32: no "parameters"`},
		{haLib + `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "peers": []}]}}`, "high-availability[0]"},
		{haLib + `{"high-availability": [` + peers("server1", "server2") + `]}}, ` + haLib + `{}}`, "is loaded twice"},
	} {
		_, err := haFromConfig(load(tc.hooks))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.hooks, err, tc.want)
		}
	}
}

// TestHASameOnReload: a reload keeps the running HA relationship, so a
// configuration whose libdhcp_ha.so entry changed is refused, one that
// only lays it out differently is not, and one without HA stays without.
func TestHASameOnReload(t *testing.T) {
	load := func(hooks string) *config.Config {
		t.Helper()
		cfg, diags, err := config.Parse("t.json", []byte(`{"Dhcp4": {"hooks-libraries": [`+hooks+`]}}`), nil)
		if err != nil {
			t.Fatalf("%v %v", err, diags)
		}
		return cfg
	}
	ha1 := `{"library": "libdhcp_ha.so", "parameters": {"high-availability": [{"this-server-name": "server1", "mode": "hot-standby"}]}}`
	ha1b := `{"library": "/usr/lib/kea/hooks/libdhcp_ha.so", "parameters": {"high-availability": [{"mode": "hot-standby",  "this-server-name": "server1"}]}}`
	ha2 := `{"library": "libdhcp_ha.so", "parameters": {"high-availability": [{"this-server-name": "server2", "mode": "hot-standby"}]}}`
	cmds := `{"library": "libdhcp_lease_cmds.so"}`
	if err := sameHA(load(ha1), load(cmds+", "+ha1b)); err != nil {
		t.Errorf("the same parameters laid out differently: %v", err)
	}
	if err := sameHA(load(cmds), load(cmds)); err != nil {
		t.Errorf("no HA before or after: %v", err)
	}
	for _, tc := range [][2]string{{ha1, ha2}, {cmds, ha1}, {ha1, cmds}} {
		if err := sameHA(load(tc[0]), load(tc[1])); err == nil || !strings.Contains(err.Error(), "take effect at a restart") {
			t.Errorf("%s to %s: %v, want refused", tc[0], tc[1], err)
		}
	}
}
