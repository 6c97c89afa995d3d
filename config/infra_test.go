package config

import (
	"strings"
	"testing"
)

// TestControlSocketDefaults checks Kea's defaults of an HTTP control
// socket: client certificates are required unless cert-required says
// otherwise, and address and port default to 127.0.0.1:8000.
func TestControlSocketDefaults(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"control-sockets": [
		{"socket-type": "unix", "socket-name": "/run/leased/ctl"},
		{"socket-type": "https", "trust-anchor": "/ca.pem", "cert-file": "/c.pem", "key-file": "/k.pem"},
		{"socket-type": "https", "socket-port": 8001, "trust-anchor": "/ca.pem", "cert-file": "/c.pem", "key-file": "/k.pem", "cert-required": false}
	]}}`)
	if len(c.ControlSockets) != 3 {
		t.Fatalf("got %d control sockets, want 3", len(c.ControlSockets))
	}
	if cs := c.ControlSockets[1]; !cs.CertRequired || cs.Address != "127.0.0.1" || cs.Port != 8000 {
		t.Errorf("https socket without cert-required: CertRequired=%v address %q port %d; want true, 127.0.0.1, 8000", cs.CertRequired, cs.Address, cs.Port)
	}
	if cs := c.ControlSockets[2]; cs.CertRequired {
		t.Errorf(`"cert-required": false was read as true`)
	}
}

// TestControlSocketTLSAllOrNone checks that a control socket with some but
// not all of its TLS files is rejected at load, with the position of the
// first TLS parameter and the names of the missing ones.
func TestControlSocketTLSAllOrNone(t *testing.T) {
	tests := []struct {
		name, sock string
		want       string // "" means the configuration loads
	}{
		{"none over http", `{"socket-type": "http"}`, ""},
		{"all over http", `{"socket-type": "http", "trust-anchor": "/ca", "cert-file": "/c", "key-file": "/k"}`, ""},
		{"cert only", `{"socket-type": "http", "cert-file": "/c"}`,
			`t.json:1:56: error: control-sockets: TLS needs all of "trust-anchor", "cert-file" and "key-file": "trust-anchor" and "key-file" missing or empty`},
		{"no key", `{"socket-type": "https", "trust-anchor": "/ca", "cert-file": "/c"}`,
			`t.json:1:57: error: control-sockets: TLS needs all of "trust-anchor", "cert-file" and "key-file": "key-file" missing or empty`},
		{"empty anchor", `{"socket-type": "https", "trust-anchor": "", "cert-file": "/c", "key-file": "/k"}`,
			`"trust-anchor" missing or empty`},
		{"https without tls", `{"socket-type": "https"}`,
			`t.json:1:32: error: control-sockets: an https socket needs "trust-anchor", "cert-file" and "key-file"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"Dhcp4": {"control-sockets": [` + tt.sock + `]}}`
			_, diags, err := load(t, src)
			got := joinDiags(diags)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v\n%s", err, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s", src)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics:\n%s\nwant one containing %q", got, tt.want)
			}
		})
	}
}

// TestLogOutputDefaults checks Kea's defaults of an output-options entry:
// flush true, maxsize 10240000, maxver 1; and that given values win.
func TestLogOutputDefaults(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "output-options": [
		{"output": "/var/log/leased.log"},
		{"output": "/var/log/other.log", "flush": false, "maxsize": 0, "maxver": 7}
	]}]}}`)
	outs := c.Loggers[0].OutputOptions
	if len(outs) != 2 {
		t.Fatalf("got %d outputs, want 2", len(outs))
	}
	if o := outs[0]; !o.Flush || o.MaxSize != 10240000 || o.MaxVer != 1 {
		t.Errorf("defaults: flush=%v maxsize=%d maxver=%d, want true, 10240000, 1", o.Flush, o.MaxSize, o.MaxVer)
	}
	if o := outs[1]; o.Flush || o.MaxSize != 0 || o.MaxVer != 7 {
		t.Errorf("given values: flush=%v maxsize=%d maxver=%d, want false, 0, 7", o.Flush, o.MaxSize, o.MaxVer)
	}
}
