package manager

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
)

func TestParseConfig(t *testing.T) {
	script := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := `// a comment, as Kea allows
{
  "Dhcp4": {"whatever": "another module's"},
  "Client4": {
    "lease-directory": "/tmp/leases",
    "control-socket": {"socket-type": "unix", "socket-name": "/tmp/c4.sock"},
    "restart-backoff": {"initial": 0.5, "max": 30, "reset-after": 120},
    "interfaces": [
      {
        "interface": "wan0",
        "client-id": "00:63:70:65",
        "hostname": "cpe",
        "vendor-class": "leased",
        "requested-lease-time": 7200,
        "parameter-request-list": [1, 3, 6, 121],
        "script": "` + script + `",
        "script-timeout": 5,
        "configure-interface": false,
        "route-metric": 100,
        "resolv-conf": "/tmp/resolv.wan0",
        "arp-probe": false,
        "init-delay": 0,
        "broadcast-flag": true,
        "release-on-stop": true,
        "comment": "the WAN"
      },
      {"interface": "wan1", "fqdn": "cpe.example.test", "fqdn-server-update": true, "lease-directory": "/tmp/other"}
    ]
  }
}`
	cfg, err := ParseConfig("test.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LeaseDirectory != "/tmp/leases" || cfg.ControlSocket != "/tmp/c4.sock" ||
		cfg.Restart != (Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, ResetAfter: 2 * time.Minute}) {
		t.Errorf("globals %+v", cfg)
	}
	if len(cfg.Interfaces) != 2 {
		t.Fatalf("%d interfaces", len(cfg.Interfaces))
	}
	w := cfg.Interfaces[0]
	if w.Name != "wan0" || string(w.ClientID) != "\x00cpe" || w.HostName != "cpe" || w.VendorClass != "leased" ||
		w.RequestedLeaseTime != 2*time.Hour || !slices.Equal(w.ParameterRequestList, []dhcpv4.OptionCode{1, 3, 6, 121}) ||
		w.Script != script || w.ScriptTimeout != 5*time.Second || w.ConfigureInterface || w.RouteMetric != 100 ||
		w.ResolvConf != "/tmp/resolv.wan0" || w.ARPProbe || w.InitDelay != 0 || !w.BroadcastFlag || !w.ReleaseOnStop {
		t.Errorf("wan0 %+v", w)
	}
	w1 := cfg.Interfaces[1]
	if w1.FQDN != "cpe.example.test" || !w1.FQDNServerUpdate || w1.LeaseDirectory != "/tmp/other" ||
		!w1.ConfigureInterface || !w1.ARPProbe || w1.InitDelay != 10*time.Second || w1.ClientID != nil {
		t.Errorf("wan1 defaults %+v", w1)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"syntax", `{"Client4": {`, "t.json:1:"},
		{"not a map", `[1]`, `t.json:1:1: configuration must be a map`},
		{"no Client4", `{"Dhcp4": {}}`, `no "Client4" key`},
		{"unknown top", `{"Client4": {"interfaces": []}, "Clinet4": {}}`, `t.json:1:33: unknown top-level key "Clinet4"`},
		{"no interfaces", `{"Client4": {}}`, `Client4 has no "interfaces" list`},
		{"unknown key", "{\"Client4\": {\"interfaces\": [\n  {\"interface\": \"a\", \"hostnme\": \"x\"}]}}", `t.json:2:22: unknown key "hostnme" in Client4.interfaces[0]`},
		{"no name", `{"Client4": {"interfaces": [{"hostname": "x"}]}}`, `Client4.interfaces[0] has no "interface"`},
		{"bad name", `{"Client4": {"interfaces": [{"interface": "a/b"}]}}`, `"a/b" is not a valid interface name`},
		{"duplicate", `{"Client4": {"interfaces": [{"interface": "a"}, {"interface": "a"}]}}`, `interface "a" configured twice (first at t.json:1:29)`},
		{"bad client id", `{"Client4": {"interfaces": [{"interface": "a", "client-id": "zz"}]}}`, `Client4.interfaces[0].client-id must be 2 to 255 bytes in hex`},
		{"short client id", `{"Client4": {"interfaces": [{"interface": "a", "client-id": "01"}]}}`, `client-id must be 2 to 255 bytes`},
		{"lease type", `{"Client4": {"interfaces": [{"interface": "a", "requested-lease-time": "1h"}]}}`, `requested-lease-time must be a number, not string "1h"`},
		{"lease range", `{"Client4": {"interfaces": [{"interface": "a", "requested-lease-time": 0}]}}`, `requested-lease-time must be an integer from 1 to 4294967294, not 0`},
		{"prl range", `{"Client4": {"interfaces": [{"interface": "a", "parameter-request-list": [1, 255]}]}}`, `parameter-request-list[1] must be an integer from 1 to 254, not 255`},
		{"bool", `{"Client4": {"interfaces": [{"interface": "a", "arp-probe": "yes"}]}}`, `arp-probe must be a boolean`},
		{"script relative", `{"Client4": {"interfaces": [{"interface": "a", "script": "hook.sh"}]}}`, `is not absolute`},
		{"script missing", `{"Client4": {"interfaces": [{"interface": "a", "script": "/nonexistent/hook"}]}}`, `no such file`},
		{"fqdn", `{"Client4": {"interfaces": [{"interface": "a", "fqdn": "a..b"}]}}`, `fqdn "a..b": empty label`},
		{"socket type", `{"Client4": {"interfaces": [], "control-socket": {"socket-type": "http", "socket-name": "x"}}}`, `socket-type must be "unix"`},
		{"socket name", `{"Client4": {"interfaces": [], "control-socket": {"socket-type": "unix"}}}`, `needs a "socket-name"`},
		{"backoff", `{"Client4": {"interfaces": [], "restart-backoff": {"initial": 10, "max": 1}}}`, `max at least initial`},
		{"negative", `{"Client4": {"interfaces": [{"interface": "a", "init-delay": -1}]}}`, `init-delay must be a number of seconds from 0 to 60, not -1`},
	}
	for _, c := range cases {
		_, err := ParseConfig("t.json", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client4.json")
	if err := os.WriteFile(path, []byte("{\"Client4\": {\"interfaces\": [{\"interface\": \"eth0\"}]}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Interfaces[0].Name != "eth0" || cfg.LeaseDirectory != DefaultLeaseDirectory || cfg.Restart != DefaultRestart {
		t.Errorf("%+v %v", cfg, err)
	}
	if _, err := LoadConfig(path + ".missing"); err == nil || !strings.Contains(err.Error(), "client4.json.missing") {
		t.Errorf("missing file: %v", err)
	}
}
