package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

func writeConfig(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name+".json")
	cfg := `{"Dhcp4": {"lease-database": {"type": "memfile", "name": "` + filepath.Join(dir, name) + `"},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100-192.0.2.199"}]}]}}`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// storeWithLeases opens a persistent memfile store at path holding n
// leases from 192.0.2.100, each with hostname.
func storeWithLeases(t *testing.T, path string, n int, hostname string) *memfile.Store {
	t.Helper()
	st, err := memfile.Open(memfile.Options{Path: path, Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		l := lease.Lease{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + i)}), HWType: 1,
			HWAddr: []byte{2, 0, 0, 0, 0, byte(i)}, ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1, Hostname: hostname}
		if err := st.Add(context.Background(), &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestExportImport moves leases from one store to another through Kea's
// CSV, checks that import refuses a store a server holds while export
// still reads it, and that Kea 2.2's 11-column form imports.
func TestExportImport(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	src := writeConfig(t, dir, "src")
	dst := writeConfig(t, dir, "dst")

	// A "server" holds the source store while we export.
	held := storeWithLeases(t, filepath.Join(dir, "src"), 3, "h,ost")
	var csv bytes.Buffer
	n, err := ExportLeases(ctx, src, &csv, log)
	if err != nil || n != 3 {
		t.Fatalf("export while held: %d leases, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id") {
		t.Fatalf("export:\n%s", csv.String())
	}
	if !strings.Contains(lines[1], "h&#x2cost") {
		t.Errorf("comma in hostname not escaped as Kea does: %s", lines[1])
	}
	if _, err := ImportLeases(ctx, src, []string{"/dev/null"}, nil, log); err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Errorf("import into a held store: %v", err)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}

	exported := filepath.Join(dir, "export.csv")
	kea22 := filepath.Join(dir, "kea22.csv")
	os.WriteFile(exported, csv.Bytes(), 0o600)
	os.WriteFile(kea22, []byte("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"+
		"192.0.2.150,02:00:00:00:00:50,,3600,1800003600,1,0,0,old-kea,0,\n"), 0o600)
	res, err := ImportLeases(ctx, dst, []string{exported, kea22}, func(e error) { t.Errorf("bad row: %v", e) }, log)
	if err != nil || res.Put != 4 {
		t.Fatalf("import: %+v %v", res, err)
	}
	var again bytes.Buffer
	if n, err := ExportLeases(ctx, dst, &again, log); err != nil || n != 4 {
		t.Fatalf("export of the imported store: %d %v", n, err)
	}
	if !strings.Contains(again.String(), "192.0.2.150,02:00:00:00:00:50,,3600,1800003600,1,0,0,old-kea,0,,0") {
		t.Errorf("Kea 2.2 row not carried over:\n%s", again.String())
	}
	for _, l := range lines[1:] {
		if !strings.Contains(again.String(), l) {
			t.Errorf("row lost in the round trip: %s", l)
		}
	}
}

// TestExportChangesNothing: exporting a stopped store whose journal ends
// in a torn record and holds a damaged one reads what it can and leaves
// every file as it was: the repairs are the server's to make.
func TestExportChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "st")
	if err := storeWithLeases(t, filepath.Join(dir, "st"), 20, "").Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "st.j0*"))
	if len(segs) == 0 {
		t.Fatal("no journal segment")
	}
	seg := segs[len(segs)-1]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(seg, data[:len(data)-5], 0o600); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]string {
		out := map[string]string{}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(b)
		}
		return out
	}
	before := snapshot()
	var csv bytes.Buffer
	n, err := ExportLeases(ctx, cfg, &csv, slog.New(slog.DiscardHandler))
	if err != nil || n < 15 || n >= 20 {
		t.Errorf("export of the damaged store: %d leases, %v; want the intact ones", n, err)
	}
	after := snapshot()
	for name, b := range before {
		if after[name] != b {
			t.Errorf("export changed %s", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("export created %s", name)
		}
	}
}
