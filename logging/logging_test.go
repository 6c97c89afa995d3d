package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/internal/logtest"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stdoutLogger(name, severity string, debug uint8) config.Logger {
	return config.Logger{Name: name, Severity: severity, DebugLevel: debug,
		OutputOptions: []config.LogOutput{{Output: "stdout", Flush: true}}}
}

func TestSeverityAndHierarchy(t *testing.T) {
	var out logtest.Buffer
	lg, err := New([]config.Logger{
		stdoutLogger("kea-dhcp4", "INFO", 0),
		stdoutLogger("kea-dhcp4.packets", "DEBUG", 40),
		stdoutLogger("kea-dhcp4.leases", "NONE", 0),
	}, Options{Stdout: &out})
	must(t, err)
	defer lg.Close()
	ctx := context.Background()

	root := lg.Logger("leased")
	alloc := lg.Logger("kea-dhcp4.alloc-engine") // unconfigured: follows kea-dhcp4
	packets := lg.Logger(NamePackets)
	leases := lg.Logger(NameLeases)

	root.Info("root info")
	root.Debug("root debug")
	alloc.Warn("alloc warn")
	alloc.Log(ctx, Debug(0), "alloc debug")
	packets.Log(ctx, LevelPacket, "packet line")
	packets.Log(ctx, LevelPacketDetail, "packet detail")
	packets.Info("packets info")
	leases.Error("leases error")
	lg.Logger("unrelated").Info("unrelated info") // the default rule: INFO

	got := out.String()
	for _, want := range []string{
		`level=INFO msg="root info" logger=leased`,
		`level=WARN msg="alloc warn" logger=leased.alloc-engine`,
		`level=DEBUG[40] msg="packet line" logger=leased.packets`,
		`level=INFO msg="packets info" logger=leased.packets`,
		`msg="unrelated info" logger=unrelated`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, not := range []string{"root debug", "alloc debug", "packet detail", "leases error"} {
		if strings.Contains(got, not) {
			t.Errorf("%q was logged:\n%s", not, got)
		}
	}
	if !packets.Enabled(ctx, Debug(40)) || packets.Enabled(ctx, Debug(41)) {
		t.Error("debuglevel 40: Enabled is wrong at the boundary")
	}
}

func TestParseSeverity(t *testing.T) {
	for _, tc := range []struct {
		sev   string
		debug int
		level slog.Level
		off   bool
		bad   bool
	}{
		{"FATAL", 0, LevelFatal, false, false},
		{"ERROR", 0, slog.LevelError, false, false},
		{"WARN", 0, slog.LevelWarn, false, false},
		{"INFO", 0, slog.LevelInfo, false, false},
		{"DEBUG", 0, slog.LevelDebug, false, false},
		{"DEBUG", 99, slog.LevelDebug - 99, false, false},
		{"NONE", 0, 0, true, false},
		{"DEBUG", 100, 0, false, true},
		{"LOUD", 0, 0, false, true},
	} {
		level, off, err := ParseSeverity(tc.sev, tc.debug)
		if (err != nil) != tc.bad || (!tc.bad && (level != tc.level || off != tc.off)) {
			t.Errorf("ParseSeverity(%s, %d) = %v %v %v", tc.sev, tc.debug, level, off, err)
		}
	}
	if levelName(LevelFatal) != "FATAL" || levelName(Debug(7)) != "DEBUG[7]" || levelName(slog.LevelDebug) != "DEBUG" {
		t.Error("level names")
	}
}

// Apply changes the loggers already handed out; a failing Apply changes
// nothing.
func TestApplyAndRollback(t *testing.T) {
	var out logtest.Buffer
	lg, err := New([]config.Logger{stdoutLogger("kea-dhcp4", "WARN", 0)}, Options{Stdout: &out})
	must(t, err)
	defer lg.Close()
	log := lg.Logger("leased.dhcp4").With("k", "v").WithGroup("g")
	log.Info("before")
	must(t, lg.Apply([]config.Logger{stdoutLogger("kea-dhcp4", "DEBUG", 0)}))
	log.Info("after", "x", 1)
	err = lg.Apply([]config.Logger{stdoutLogger("kea-dhcp4", "BOGUS", 0)})
	if err == nil {
		t.Fatal("a bad severity was applied")
	}
	err = lg.Apply([]config.Logger{{Name: "kea-dhcp4", Severity: "ERROR",
		OutputOptions: []config.LogOutput{{Output: filepath.Join(t.TempDir(), "no", "such", "dir", "f.log")}}}})
	if err == nil {
		t.Fatal("an unopenable file was applied")
	}
	log.Info("still debug")
	got := out.String()
	if strings.Contains(got, "before") {
		t.Errorf("INFO logged under WARN:\n%s", got)
	}
	if !strings.Contains(got, `msg=after logger=leased.dhcp4 k=v g.x=1`) {
		t.Errorf("attrs and groups after Apply:\n%s", got)
	}
	if !strings.Contains(got, "still debug") {
		t.Errorf("a failed Apply changed the logging:\n%s", got)
	}
}

func TestVerboseAndJSON(t *testing.T) {
	var out logtest.Buffer
	lg, err := New([]config.Logger{stdoutLogger("kea-dhcp4", "ERROR", 0)}, Options{Stdout: &out, JSON: true, Verbose: true})
	must(t, err)
	defer lg.Close()
	lg.Logger(NamePackets).Log(context.Background(), Debug(99), "deep", "n", 1)
	lg.Logger(Root).Log(context.Background(), LevelFatal, "bad")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	var rec map[string]any
	must(t, json.Unmarshal([]byte(lines[0]), &rec))
	if rec["level"] != "DEBUG[99]" || rec["msg"] != "deep" || rec["logger"] != "leased.packets" || rec["n"] != 1.0 {
		t.Errorf("record %v", rec)
	}
	must(t, json.Unmarshal([]byte(lines[1]), &rec))
	if rec["level"] != "FATAL" {
		t.Errorf("fatal record %v", rec)
	}
}

func TestRedaction(t *testing.T) {
	var out logtest.Buffer
	lg, err := New(nil, Options{Stdout: &out})
	must(t, err)
	defer lg.Close()
	log := lg.Logger(Root)
	log.Info("connecting",
		"password", "hunter2",
		slog.Group("db", slog.String("db-password", "pg-secret-1"), slog.String("user", "kea")),
		"key", config.Secret("from-config"),
		"client-secret", []byte("bytes-secret"),
		Secret("token"))
	log.With("Password", "with-secret").Info("derived")
	got := out.String()
	for _, s := range []string{"hunter2", "pg-secret-1", "from-config", "bytes-secret", "with-secret"} {
		if strings.Contains(got, s) {
			t.Errorf("secret %q in log:\n%s", s, got)
		}
	}
	if !strings.Contains(got, "db.user=kea") || strings.Count(got, Redacted) < 6 {
		t.Errorf("expected redacted values and the plain user:\n%s", got)
	}

	doc := []byte(`{"Dhcp4": {"lease-database": {"type": "postgresql", "password": "p1", "user": "kea"},
		"hooks-libraries": [{"library": "x.so", "parameters": {"deep": {"api-secret": "s2", "n": 1.5}}}],
		"user-context": {"password": "kept-as-in-kea"}}}`)
	red := string(RedactJSON(doc))
	if strings.Contains(red, "p1") || strings.Contains(red, "s2") || !strings.Contains(red, `"user":"kea"`) ||
		!strings.Contains(red, `"n":1.5`) || !strings.Contains(red, "kept-as-in-kea") {
		t.Errorf("RedactJSON: %s", red)
	}
	if got := string(RedactJSON([]byte(`{"password": "x"`))); strings.Contains(got, "x\"") {
		t.Errorf("unreadable JSON passed through: %s", got)
	}
}

func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leased.log")
	lg, err := New([]config.Logger{{Name: "kea-dhcp4", Severity: "INFO",
		OutputOptions: []config.LogOutput{{Output: path, Flush: true, MaxSize: MinRotateSize, MaxVer: 2}}}}, Options{})
	must(t, err)
	log := lg.Logger(Root)
	pad := strings.Repeat("x", 200)
	const n = 3000 // about 780 kB: several rotations
	for i := range n {
		log.Info("line", "i", i, "pad", pad)
	}
	must(t, lg.Close())

	var total int
	last := -1
	for _, p := range []string{path + ".2", path + ".1", path} {
		b, err := os.ReadFile(p)
		must(t, err)
		if len(b) > MinRotateSize {
			t.Errorf("%s has %d bytes, more than maxsize %d", p, len(b), MinRotateSize)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var i int
			if _, err := fmt.Sscanf(line[strings.Index(line, " i=")+3:], "%d", &i); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			if i != last+1 && last != -1 {
				t.Fatalf("%s: line %d follows %d", p, i, last)
			}
			last = i
			total++
		}
	}
	if last != n-1 {
		t.Errorf("newest line is %d, want %d", last, n-1)
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("maxver 2 left a .3: %v", err)
	}
	if total >= n {
		t.Errorf("kept %d lines of %d: nothing was dropped with maxver 2", total, n)
	}

	// Below the minimum size, no rotation.
	p2 := filepath.Join(dir, "small.log")
	fs, err := openFile(p2, 1000, 3, true)
	must(t, err)
	for range 100 {
		fs.Write([]byte(pad + "\n"))
	}
	must(t, fs.Close())
	if _, err := os.Stat(p2 + ".1"); !os.IsNotExist(err) {
		t.Error("a maxsize under 204800 rotated")
	}
}

// Without "flush", records are buffered until Sync (or a delay).
func TestFileBuffering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.log")
	fs, err := openFile(path, 0, 1, false)
	must(t, err)
	fs.delay = time.Hour
	fs.Write([]byte("buffered\n"))
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("written before Sync: %q", b)
	}
	must(t, fs.Sync())
	if b, _ := os.ReadFile(path); string(b) != "buffered\n" {
		t.Errorf("after Sync: %q", b)
	}
	fs.Write([]byte("at close\n"))
	must(t, fs.Close())
	if b, _ := os.ReadFile(path); string(b) != "buffered\nat close\n" {
		t.Errorf("after Close: %q", b)
	}
	if _, err := fs.Write([]byte("late")); err == nil {
		t.Error("write after Close succeeded")
	}
}

func TestSyslog(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", addr)
	must(t, err)
	defer pc.Close()
	lg, err := New([]config.Logger{{Name: "kea-dhcp4", Severity: "INFO",
		OutputOptions: []config.LogOutput{{Output: "syslog:local3"}}}},
		Options{SyslogNetwork: "unixgram", SyslogAddr: addr})
	must(t, err)
	defer lg.Close()
	lg.Logger(NameLeases).Error("lease trouble", "password", "nope")
	lg.Logger(Root).Info("hello")

	buf := make([]byte, 4096)
	read := func() string {
		pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		must(t, err)
		return string(buf[:n])
	}
	first, second := read(), read()
	// local3 (19) * 8 + err (3) = 155; + info (6) = 158.
	if !strings.HasPrefix(first, "<155>") || !strings.Contains(first, `msg="lease trouble" logger=leased.leases password=*****`) {
		t.Errorf("first datagram %q", first)
	}
	if strings.Contains(first, "time=") || strings.Contains(first, "nope") {
		t.Errorf("first datagram carries a time or a secret: %q", first)
	}
	if !strings.HasPrefix(second, "<158>") || !strings.Contains(second, " leased[") {
		t.Errorf("second datagram %q", second)
	}

	if f, tag := parseSyslog("syslog", "leased"); f != 16<<3 || tag != "leased" {
		t.Errorf("syslog: %v %s", f, tag)
	}
	if f, tag := parseSyslog("syslog:myname", "leased"); f != 16<<3 || tag != "myname" {
		t.Errorf("syslog:myname: %v %s", f, tag)
	}
}

func TestSharedOutputAndConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.log")
	out := []config.LogOutput{{Output: path, Flush: true}}
	lg, err := New([]config.Logger{
		{Name: "kea-dhcp4", Severity: "INFO", OutputOptions: out},
		{Name: "kea-dhcp4.packets", Severity: "DEBUG", DebugLevel: 99, OutputOptions: out},
	}, Options{})
	must(t, err)
	lg.Logger(Root).Info("one")
	lg.Logger(NamePackets).Log(context.Background(), LevelPacketDetail, "two")
	must(t, lg.Close())
	b, _ := os.ReadFile(path)
	if strings.Count(string(b), "\n") != 2 {
		t.Errorf("shared file:\n%s", b)
	}
	_, err = New([]config.Logger{stdoutLogger("kea-dhcp4", "INFO", 0), stdoutLogger("leased", "INFO", 0)}, Options{})
	if err == nil || !strings.Contains(err.Error(), "configured twice") {
		t.Errorf("duplicate logger: %v", err)
	}
}

// Loggers are used while the configuration changes; run with -race.
func TestConcurrentApply(t *testing.T) {
	var out logtest.Buffer
	lg, err := New(nil, Options{Stdout: &out})
	must(t, err)
	defer lg.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := lg.Logger(fmt.Sprintf("leased.w%d", g)).With("g", g)
			for i := range 500 {
				log.Info("m", "i", i)
			}
		}()
	}
	for i := range 50 {
		sev := []string{"INFO", "DEBUG", "WARN"}[i%3]
		if err := lg.Apply([]config.Logger{stdoutLogger("kea-dhcp4", sev, 0)}); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func TestPacketLogDisabledAllocatesNothing(t *testing.T) {
	lg, err := New([]config.Logger{stdoutLogger("kea-dhcp4", "INFO", 0)}, Options{Stdout: &logtest.Buffer{}})
	must(t, err)
	defer lg.Close()
	log := lg.Logger(NamePackets)
	ctx := context.Background()
	mac := net.HardwareAddr{1, 2, 3, 4, 5, 6}
	allocs := testing.AllocsPerRun(1000, func() {
		if log.Enabled(ctx, LevelPacket) {
			log.LogAttrs(ctx, LevelPacket, "packet received", slog.String("chaddr", mac.String()), slog.Int("type", 1))
		}
	})
	if allocs != 0 {
		t.Errorf("disabled packet logging allocates %.1f times", allocs)
	}
}

func BenchmarkPacketLogDisabled(b *testing.B) {
	lg, err := New([]config.Logger{stdoutLogger("kea-dhcp4", "INFO", 0)}, Options{Stdout: &logtest.Buffer{}})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	log := lg.Logger(NamePackets)
	ctx := context.Background()
	mac := net.HardwareAddr{1, 2, 3, 4, 5, 6}
	b.ReportAllocs()
	for b.Loop() {
		if log.Enabled(ctx, LevelPacket) {
			log.LogAttrs(ctx, LevelPacket, "packet received", slog.String("chaddr", mac.String()), slog.Int("type", 1))
		}
	}
}

func BenchmarkPacketLogEnabled(b *testing.B) {
	var out bytes.Buffer
	lg, err := New([]config.Logger{stdoutLogger("kea-dhcp4.packets", "DEBUG", 40)}, Options{Stdout: &out})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	log := lg.Logger(NamePackets)
	ctx := context.Background()
	mac := net.HardwareAddr{1, 2, 3, 4, 5, 6}
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if log.Enabled(ctx, LevelPacket) {
			log.LogAttrs(ctx, LevelPacket, "packet received", slog.String("chaddr", mac.String()), slog.Int("type", 1))
		}
	}
}
