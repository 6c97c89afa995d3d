package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// initScript is the procd init script of the OpenWrt package.
const initScript = "../../contrib/openwrt/leased-mesh/files/leased-mesh.init"

// procdStubs stand in for OpenWrt's rc.common, functions.sh and procd.sh
// around the init script: UCI values come from the environment (UCI_name),
// dhcp_option sections from DHCP_OPTIONS ("name=code:len:payload ..."),
// and the command and environment procd would get are printed one word a
// line.
const procdStubs = `
config_load() { :; }
uci_validate_section() {
	shift 3
	for spec in "$@"; do
		name=${spec%%:*}
		def=${spec#*:}; def=${def#*:}
		case "$spec" in *:*:*) ;; *) def= ;; esac
		eval "val=\${UCI_$name-\$def}"
		eval "$name=\$val"
	done
}
config_foreach() {
	fn=$1
	for s in $DHCP_OPTIONS; do "$fn" "${s%%=*}"; done
}
config_get() {
	for s in $DHCP_OPTIONS; do
		[ "${s%%=*}" = "$2" ] || continue
		v=${s#*=}
		case $3 in
		code) v=${v%%:*} ;;
		len) v=${v#*:}; v=${v%%:*} ;;
		payload) v=${v#*:}; v=${v#*:} ;;
		esac
		eval "$1=\$v"
	done
}
procd_open_instance() { :; }
procd_close_instance() { :; }
procd_set_param() {
	[ "$1" = command ] || return 0
	shift
	for a in "$@"; do echo "cmd $a"; done
}
procd_append_param() {
	kind=$1; shift
	for a in "$@"; do echo "$kind $a"; done
}
`

// runInit runs the init script's start_service with uci values and dhcp
// options, and returns the command line procd would start and the
// environment it would set.
func runInit(t *testing.T, uci map[string]string, options string) (args, env []string) {
	t.Helper()
	script, err := os.ReadFile(initScript)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", procdStubs+string(script)+"\nstart_service\n")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "DHCP_OPTIONS=" + options}
	for k, v := range uci {
		cmd.Env = append(cmd.Env, "UCI_"+k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("start_service: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		kind, word, _ := strings.Cut(line, " ")
		switch kind {
		case "cmd", "command":
			args = append(args, word)
		case "env":
			env = append(env, word)
		case "netdev", "":
		default:
			t.Fatalf("unexpected procd parameter %q", line)
		}
	}
	return args, env
}

// The init script maps ddhcpd's UCI options, as Gluon's ddhcpd package
// names them, onto ddhcpd's flags, and leased's own onto leased-mesh's;
// leased-mesh accepts the command line it builds (-V parses every flag,
// then prints the version).
func TestOpenWrtInit(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "leased-mesh")
	if out, err := exec.Command(goTool(), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hook := filepath.Join(t.TempDir(), "ddhcpd.hook")
	if err := os.WriteFile(hook, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		uci     map[string]string
		options string
		args    string // the command line, without the program
		env     []string
	}{
		{
			name: "defaults",
			uci:  map[string]string{"hook": filepath.Join(t.TempDir(), "missing.hook")},
			args: "-D -c br-client -i br-client -b 2 -B 300 -t 15 -s 2 -o 51:4:0.0.1.44",
		},
		{
			name: "Gluon's settings",
			uci: map[string]string{
				"dhcp_interface": "local-node", "server_interface": "bat0", "block_network": "10.12.0.0/16",
				"block_size_pow": "3", "block_timeout": "600", "tentative_timeout": "20", "spare_leases": "4",
				"dhcp_lease_time": "3600", "needless_timeout": "120", "control_socket": "/tmp/m.ctl", "hook": hook,
				"learning": "0",
			},
			options: "server_identify=54:4:10.12.0.1 netmask=1:4:255.255.0.0",
			args: "-D -c local-node -i bat0 -N 10.12.0.0/16 -b 3 -B 600 -t 20 -s 4 -n 120 -C /tmp/m.ctl -H " + hook +
				" -L -o 51:4:0.0.14.16 -o 54:4:10.12.0.1 -o 1:4:255.255.0.0",
		},
		{
			name:    "a lease time option wins over dhcp_lease_time",
			uci:     map[string]string{"hook": "", "dhcp_lease_time": "3600"},
			options: "lease_time=51:4:0.0.1.44",
			args:    "-D -c br-client -i br-client -b 2 -B 300 -t 15 -s 2 -o 51:4:0.0.1.44",
		},
		{
			name: "state copy and memory",
			uci: map[string]string{"hook": "", "state_dir": "/tmp/lm", "state_copy": "/etc/leased-mesh",
				"state_copy_every": "6h", "memory_limit": "8MiB", "gc_percent": "25"},
			args: "-D -c br-client -i br-client -b 2 -B 300 -t 15 -s 2 -o 51:4:0.0.1.44 --state-dir /tmp/lm --state-copy /etc/leased-mesh --state-copy-every 6h",
			env:  []string{"GOMEMLIMIT=8MiB", "GOGC=25"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, env := runInit(t, tc.uci, tc.options)
			if len(args) == 0 || args[0] != "/usr/sbin/leased-mesh" {
				t.Fatalf("procd command %q, want /usr/sbin/leased-mesh first", args)
			}
			args = args[1:]
			if got := strings.Join(args, " "); got != tc.args {
				t.Errorf("command line\n%s\nwant\n%s", got, tc.args)
			}
			if !slices.Equal(env, tc.env) {
				t.Errorf("environment %q, want %q", env, tc.env)
			}
			out, err := exec.Command(bin, append(args, "-V")...).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "leased-mesh ") {
				t.Errorf("leased-mesh %s -V: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	if args, env := runInit(t, map[string]string{"enabled": "0"}, ""); args != nil || env != nil {
		t.Errorf("disabled: procd command %q, environment %q; want no instance", args, env)
	}
}
