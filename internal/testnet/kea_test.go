//go:build linux

package testnet

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartKea runs kea-ctrl-agent through StartKea and checks what the
// program gets: as root, the user nobody; the lock and pid file
// directories, PATH and the extra variables; the arguments after the
// configuration file; and that Stop ends it.
func TestStartKea(t *testing.T) {
	RequireBinaries(t, "kea-ctrl-agent")
	dir := UnprivilegedDir(t)
	port := FreeTCPPort(t, "127.0.0.1")
	cfg := fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
		"loggers": [{"name": "kea-ctrl-agent", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`, port)
	p := StartKea(t, dir, "kea-ctrl-agent", cfg, KeaOptions{Env: []string{"TZ=Asia/Kathmandu"}, Args: []string{"-d"}})

	// It listens once configured: it read the file StartKea wrote.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		select {
		case <-p.Done():
			t.Fatalf("kea-ctrl-agent exited: %v\n%s", p.ExitErr(), p.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kea-ctrl-agent not listening on %d after 10 s:\n%s", port, p.Output())
		}
	}

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	wantUID := fmt.Sprint(os.Geteuid())
	if os.Geteuid() == 0 {
		cred, err := Nobody()
		if err != nil {
			t.Fatal(err)
		}
		wantUID = fmt.Sprint(cred.Uid)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] != wantUID {
			t.Errorf("kea-ctrl-agent runs as uid %s, want %s", f[1], wantUID)
		}
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00")
	want := []string{"KEA_LOCKFILE_DIR=" + dir, "KEA_PIDFILE_DIR=" + dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=Asia/Kathmandu"}
	if strings.Join(env, " ") != strings.Join(want, " ") {
		t.Errorf("kea-ctrl-agent's environment %q, want %q", env, want)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) != 4 || args[1] != "-c" || args[2] != filepath.Join(dir, "kea-ctrl-agent.json") || args[3] != "-d" {
		t.Errorf("kea-ctrl-agent's command line %q, want it, -c, the configuration file, -d", args)
	}

	p.Stop()
	select {
	case <-p.Done():
	default:
		t.Error("kea-ctrl-agent runs after Stop")
	}
	p.Stop() // a second Stop returns at once
}

// TestStartKeaExit: a Kea program that refuses its configuration exits,
// and Wait and Output say how.
func TestStartKeaExit(t *testing.T) {
	RequireBinaries(t, "kea-dhcp4")
	dir := UnprivilegedDir(t)
	p := StartKea(t, dir, "kea-dhcp4", `{"Dhcp4": {"no-such-parameter": 1}}`, KeaOptions{})
	exit, err := p.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if exit == nil || exit != p.ExitErr() {
		t.Errorf("kea-dhcp4 on a bad configuration: Wait %v, ExitErr %v; want the same failed exit", exit, p.ExitErr())
	}
	if out := p.Output(); !strings.Contains(out, "no-such-parameter") {
		t.Errorf("kea-dhcp4's output does not name the bad parameter:\n%s", out)
	}
}

// TestKeaWaitTimeout: Wait on a program that keeps running says so.
func TestKeaWaitTimeout(t *testing.T) {
	RequireBinaries(t, "kea-ctrl-agent")
	dir := UnprivilegedDir(t)
	cfg := fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d}}`, FreeTCPPort(t, "127.0.0.1"))
	p := StartKea(t, dir, "kea-ctrl-agent", cfg, KeaOptions{})
	if exit, err := p.Wait(200 * time.Millisecond); err == nil {
		t.Errorf("Wait on a running kea-ctrl-agent: exited %v, want a still-running error\n%s", exit, p.Output())
	}
}

func TestKeaHooksDir(t *testing.T) {
	RequireBinaries(t, "kea-dhcp4")
	for _, lib := range []string{"libdhcp_ha.so", "libdhcp_lease_cmds.so"} {
		dir := KeaHooksDir(t, lib)
		if _, err := os.Stat(filepath.Join(dir, lib)); err != nil {
			t.Errorf("KeaHooksDir(%s) = %s: %v", lib, dir, err)
		}
	}
}

// TestUnprivilegedDir: the directory and those above it up to the system's
// temporary directory are writable by anyone.
func TestUnprivilegedDir(t *testing.T) {
	dir := UnprivilegedDir(t)
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o777 {
			t.Errorf("%s: mode %v, want rwxrwxrwx", d, fi.Mode().Perm())
		}
	}
}

func TestFreePorts(t *testing.T) {
	tcp := FreeTCPPort(t, "127.0.0.1")
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", tcp))
	if err != nil {
		t.Errorf("listening on the free TCP port %d: %v", tcp, err)
	} else {
		l.Close()
	}
	udp := FreeUDPPort(t, "127.0.0.1")
	c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", udp))
	if err != nil {
		t.Errorf("listening on the free UDP port %d: %v", udp, err)
	} else {
		c.Close()
	}
	if tcp == 0 || udp == 0 {
		t.Errorf("free ports %d/tcp, %d/udp, want neither 0", tcp, udp)
	}
}
