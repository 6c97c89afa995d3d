package keacsv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// A file as Kea 2.2 writes it: 11 columns, an escaped comma in a hostname,
// a declined lease without identifiers, a deletion (valid_lifetime 0).
const kea22 = `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
10.1.0.10,52:54:00:aa:bb:01,01:52:54:00:aa:bb:01,4000,1700004000,1,1,1,pc&#x2cone.example.org,0,
10.1.0.11,52:54:00:aa:bb:02,,4000,1700004100,1,0,0,,0,{ "ISC": { "relay-agent-info": "0x0104" } }
10.1.0.12,,,86400,1700086400,1,0,0,,1,
10.1.0.13,52:54:00:aa:bb:03,,4000,1700004000,1,0,0,,2,
10.1.0.11,52:54:00:aa:bb:02,,0,1700004200,1,0,0,,0,
`

// The same kind of file as Kea 3.x writes it, with pool_id and escapes for
// a control character and the escape character itself.
const kea3 = `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id
10.2.0.1,0a:0b:0c:0d:0e:0f,ff:00:00:00:01:00:01,7200,1700007200,2,0,1,a&#x26b&#x09c,3,{"k": "x&#x2cy"},5
10.2.0.2,0a:0b:0c:0d:0e:10,,4294967295,5994967295,2,0,0,,0,,0
`

func readAll(t *testing.T, text, name string) ([]Row, []error) {
	t.Helper()
	r := NewReader(strings.NewReader(text), name)
	var rows []Row
	var errs []error
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err)
			if r.err != nil {
				return rows, errs
			}
			continue
		}
		rows = append(rows, row)
	}
}

func TestReadKea22(t *testing.T) {
	rows, errs := readAll(t, kea22, "kea-leases4.csv")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	l := rows[0].Lease
	want := lease.Lease{
		Addr: netip.MustParseAddr("10.1.0.10"), HWType: 1,
		HWAddr:        []byte{0x52, 0x54, 0, 0xaa, 0xbb, 1},
		ClientID:      []byte{1, 0x52, 0x54, 0, 0xaa, 0xbb, 1},
		ValidLifetime: 4000, CLTT: 1700000000, SubnetID: 1,
		FQDNFwd: true, FQDNRev: true, Hostname: "pc,one.example.org",
	}
	if !l.Equal(&want) {
		t.Errorf("row 1 = %v %q\nwant    %v %q", &l, l.Hostname, &want, want.Hostname)
	}
	if rows[0].Line != 2 {
		t.Errorf("row 1 line = %d", rows[0].Line)
	}
	if got := rows[1].Lease.UserContext; got != `{ "ISC": { "relay-agent-info": "0x0104" } }` {
		t.Errorf("user context = %q", got)
	}
	if rows[2].Lease.State != lease.StateDeclined || len(rows[2].Lease.HWAddr) != 0 {
		t.Errorf("declined row = %v", &rows[2].Lease)
	}
	if rows[3].Lease.State != lease.StateExpiredReclaimed {
		t.Errorf("row 4 state = %v", rows[3].Lease.State)
	}
	if !rows[4].Deleted || rows[1].Deleted {
		t.Errorf("deletion flags = %v %v", rows[4].Deleted, rows[1].Deleted)
	}
}

func TestReadKea3(t *testing.T) {
	rows, errs := readAll(t, kea3, "x.csv")
	if len(errs) > 0 || len(rows) != 2 {
		t.Fatalf("rows %d, errors %v", len(rows), errs)
	}
	l := rows[0].Lease
	if l.Hostname != "a&b\tc" || l.UserContext != `{"k": "x,y"}` || l.PoolID != 5 || l.State != lease.StateReleased || l.FQDNFwd || !l.FQDNRev {
		t.Errorf("row 1 = %v host %q ctx %q pool %d", &l, l.Hostname, l.UserContext, l.PoolID)
	}
	if l := rows[1].Lease; l.ValidLifetime != lease.InfiniteLifetime || l.CLTT != 1700000000 {
		t.Errorf("infinite lease = %v", &l)
	}
}

func TestOlderSchemas(t *testing.T) {
	// Schema 1.0: nine columns, no state.
	rows, errs := readAll(t, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n"+
		"192.0.2.7,1:2:3:4:5:6,,100,1100,3,0,0,h\n", "old.csv")
	if len(errs) > 0 || len(rows) != 1 || rows[0].Lease.State != lease.StateDefault || rows[0].Lease.HWAddr[5] != 6 {
		t.Errorf("schema 1.0: %v %v", rows, errs)
	}
	// A newer file with a column we do not know: ignored.
	rows, errs = readAll(t, strings.Join(Columns[:], ",")+",future\n"+
		"192.0.2.8,01:02:03:04:05:06,,100,1100,3,0,0,h,0,,0,whatever\n", "new.csv")
	if len(errs) > 0 || len(rows) != 1 {
		t.Errorf("extra column: %v %v", rows, errs)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	text := strings.Join(Columns[:], ",") + "\n" +
		"10.0.0.1,01:02:03:04:05:06,,100,1100,1,0,0,,0,,0\n" +
		"10.0.0.x,01:02:03:04:05:06,,100,1100,1,0,0,,0,,0\n" +
		"10.0.0.3,01:02:zz,,100,1100,1,0,0,,0,,0\n" +
		"\n" +
		"10.0.0.4,01:02:03:04:05:06,,100,50,1,0,0,,0,,0\n" +
		"10.0.0.5,01:02:03:04:05:06,,100,1100,1,2,0,,0,,0\n" +
		"10.0.0.6,01:02:03:04:05:06,,100,1100,1,0,0,,7,,0\n" +
		"10.0.0.7,,,100,1100,1,0,0,,0,,0\n" +
		"10.0.0.8,01:02:03:04:05:06,,100,1100,1,0,0,,0,[1],0\n" +
		"10.0.0.9,01:02:03:04:05:06,,100,1100,1,0,0\n" +
		"2001:db8::1,01:02:03:04:05:06,,100,1100,1,0,0,,0,,0\n" +
		"10.0.0.10,01:02:03:04:05:06,,100,1100,1,0,0,,0,,0\n"
	rows, errs := readAll(t, text, "leases.csv")
	if len(rows) != 2 {
		t.Errorf("%d good rows, want 2", len(rows))
	}
	wantLines := []string{
		"leases.csv:3: address", "leases.csv:4: hwaddr", "leases.csv:6: expire",
		"leases.csv:7: fqdn_fwd", "leases.csv:8: state", "leases.csv:9: lease 10.0.0.7 has neither",
		"leases.csv:10: lease 10.0.0.8: user context", "leases.csv:11: row has 8 values",
		"leases.csv:12: address",
	}
	if len(errs) != len(wantLines) {
		t.Fatalf("errors:\n%v", errs)
	}
	for i, want := range wantLines {
		if !strings.HasPrefix(errs[i].Error(), want) {
			t.Errorf("error %d = %q, want prefix %q", i, errs[i], want)
		}
	}

	_, errs = readAll(t, "address,mac,client_id\n", "bad-header.csv")
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `bad-header.csv:1: header column 2 is "mac"`) {
		t.Errorf("bad header: %v", errs)
	}
	// A line past the bound ends the file with its number and the reason.
	huge := strings.Join(Columns[:], ",") + "\n" + "10.0.0.1,01:02:03:04:05:06,,100,1100,1,0,0," +
		strings.Repeat("a", maxLine) + ",0,,0\n"
	_, errs = readAll(t, huge, "huge.csv")
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "huge.csv:2: line longer than 1048576 bytes") {
		t.Errorf("over-long line: %v", errs)
	}
	_, errs = readAll(t, "", "empty.csv")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "empty.csv:1: empty file") {
		t.Errorf("empty file: %v", errs)
	}
}

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"plain.example.org", "plain.example.org"},
		{"a,b", "a&#x2cb"},
		{"a&b", "a&#x26b"},
		{"&#x2c", "&#x26#x2c"},
		{"tab\there", "tab&#x09here"},
		{"é", "&#xc3&#xa9"},
	} {
		if got := Escape(c.in); got != c.out {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.out)
		}
		if got := Unescape(c.out); got != c.in {
			t.Errorf("Unescape(%q) = %q, want %q", c.out, got, c.in)
		}
	}
	// As in Kea: a tag without two hex digits stays, upper case is read.
	for in, out := range map[string]string{"&#x": "&#x", "a&#xg1": "a&#xg1", "&#x2C": ",", "x&#x4": "x&#x4", "&#x41&#x": "A&#x"} {
		if got := Unescape(in); got != out {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, out)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	rows, _ := readAll(t, kea22+strings.SplitN(kea3, "\n", 2)[1], "in.csv")
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range rows {
		if err := w.Write(&rows[i].Lease); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	out := buf.String()
	if !strings.HasPrefix(out, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n") {
		t.Errorf("header: %q", strings.SplitN(out, "\n", 2)[0])
	}
	if !strings.Contains(out, "\n10.1.0.10,52:54:00:aa:bb:01,01:52:54:00:aa:bb:01,4000,1700004000,1,1,1,pc&#x2cone.example.org,0,,0\n") {
		t.Errorf("row 1 not written as Kea writes it:\n%s", out)
	}
	back, errs := readAll(t, out, "out.csv")
	if len(errs) > 0 || len(back) != len(rows) {
		t.Fatalf("reading back: %d rows, %v", len(back), errs)
	}
	for i := range rows {
		if !back[i].Lease.Equal(&rows[i].Lease) {
			t.Errorf("row %d: %v, read back %v", i, &rows[i].Lease, &back[i].Lease)
		}
	}
}

func TestImportExportThroughStore(t *testing.T) {
	dir := t.TempDir()
	older, newer := filepath.Join(dir, "kea-leases4.csv.1"), filepath.Join(dir, "kea-leases4.csv")
	os.WriteFile(older, []byte(kea22), 0o644)
	// The newer file renews 10.1.0.10, deletes 10.1.0.12, and has a bad row.
	os.WriteFile(newer, []byte(strings.Join(Columns[:], ",")+"\n"+
		"10.1.0.10,52:54:00:aa:bb:01,01:52:54:00:aa:bb:01,4000,1700008000,1,1,1,pc&#x2cone.example.org,0,,0\n"+
		"10.1.0.12,,,0,1700086400,1,0,0,,1,,0\n"+
		"oops\n"+
		kea3[strings.Index(kea3, "\n")+1:]), 0o644)

	opts := memfile.Options{Path: filepath.Join(dir, "store", "leases4"), Persist: true}
	s, err := memfile.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	var bad []error
	res, err := Import(context.Background(), s, []string{older, newer}, func(err error) { bad = append(bad, err) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Put != 4 || res.Bad != 1 || len(bad) != 1 || !strings.Contains(bad[0].Error(), "kea-leases4.csv:4:") {
		t.Errorf("import = %+v, bad %v", res, bad)
	}
	// A second importer is refused while the store is held.
	if _, err := memfile.Open(opts); !errors.Is(err, memfile.ErrLocked) {
		t.Errorf("Open while held = %v", err)
	}
	var l lease.Lease
	if ok, _ := s.Get(context.Background(), netip.MustParseAddr("10.1.0.10"), &l); !ok || l.CLTT != 1700004000 {
		t.Errorf("10.1.0.10 after import = %v %v", ok, &l)
	}
	if ok, _ := s.Get(context.Background(), netip.MustParseAddr("10.1.0.12"), &l); ok {
		t.Errorf("deleted 10.1.0.12 was imported")
	}
	s.Close()

	// Export reads the files without the lock and writes Kea's form.
	ro, err := memfile.OpenReadOnly(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := Export(context.Background(), &buf, ro)
	if err != nil || n != 4 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	want := strings.Join(Columns[:], ",") + "\n" +
		"10.1.0.10,52:54:00:aa:bb:01,01:52:54:00:aa:bb:01,4000,1700008000,1,1,1,pc&#x2cone.example.org,0,,0\n" +
		"10.1.0.13,52:54:00:aa:bb:03,,4000,1700004000,1,0,0,,2,,0\n" +
		"10.2.0.1,0a:0b:0c:0d:0e:0f,ff:00:00:00:01:00:01,7200,1700007200,2,0,1,a&#x26b&#x09c,3,{\"k\": \"x&#x2cy\"},5\n" +
		"10.2.0.2,0a:0b:0c:0d:0e:10,,4294967295,5994967295,2,0,0,,0,,0\n"
	if buf.String() != want {
		t.Errorf("export:\n%s\nwant\n%s", buf.String(), want)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(kea22)
	f.Add(kea3)
	f.Add("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n1.2.3.4,1,,1,1,1,0,0,&#x\n")
	f.Fuzz(func(t *testing.T, text string) {
		r := NewReader(strings.NewReader(text), "fuzz")
		var rows []Row
		for {
			row, err := r.Next()
			if err == io.EOF || (err != nil && r.err != nil) {
				break
			}
			if err == nil {
				if verr := row.Lease.Validate(); verr != nil {
					t.Fatalf("Reader returned an invalid lease: %v", verr)
				}
				rows = append(rows, row)
			}
		}
		// What was read writes and reads back the same.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := range rows {
			w.Write(&rows[i].Lease)
		}
		w.Flush()
		back := NewReader(&buf, "back")
		for i := range rows {
			row, err := back.Next()
			if err != nil {
				t.Fatalf("reading back row %d: %v\n%s", i, err, buf.String())
			}
			if !row.Lease.Equal(&rows[i].Lease) {
				t.Fatalf("row %d: %v, back %v", i, &rows[i].Lease, &row.Lease)
			}
		}
	})
}

// failingSync is a real store whose journal fails its next `fails` Syncs
// (all of them if negative): writes change memory and Sync reports
// ErrNotDurable, as memfile does on a full disk until it recovers.
type failingSync struct {
	lease.Store
	fails int
}

func (f *failingSync) Sync(ctx context.Context) error {
	if f.fails != 0 {
		f.fails--
		return fmt.Errorf("journal: no space left on device: %w", lease.ErrNotDurable)
	}
	return f.Store.Sync(ctx)
}

// An import the store cannot make durable is undone: the store holds what
// it held before, and the error says nothing was imported.
func TestImportUndoneWhenNotDurable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kea-leases4.csv")
	os.WriteFile(file, []byte(kea22), 0o644)
	ms, err := memfile.Open(memfile.Options{Path: filepath.Join(dir, "store", "leases4"), Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	ctx := context.Background()
	// Before the import: 10.1.0.10 is another client's, 10.1.0.11 (which
	// the file deletes) exists.
	before := []lease.Lease{
		{Addr: netip.MustParseAddr("10.1.0.10"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 60, CLTT: 1700000000, SubnetID: 1},
		{Addr: netip.MustParseAddr("10.1.0.11"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 2}, ValidLifetime: 60, CLTT: 1700000000, SubnetID: 1},
	}
	for i := range before {
		if err := ms.Put(ctx, &before[i], lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Join(Columns[:], ",") + "\n" +
		"10.1.0.10,02:00:00:00:00:01,,60,1700000060,1,0,0,,0,,0\n" +
		"10.1.0.11,02:00:00:00:00:02,,60,1700000060,1,0,0,,0,,0\n"
	check := func(what string) {
		t.Helper()
		var buf bytes.Buffer
		if _, err := Export(ctx, &buf, ms); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Errorf("store after %s:\n%s\nwant what it held before:\n%s", what, buf.String(), want)
		}
	}
	// A transient failure: the undo is made durable.
	_, err = Import(ctx, &failingSync{Store: ms, fails: 1}, []string{file}, nil)
	if !errors.Is(err, lease.ErrNotDurable) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("Import = %v, want ErrNotDurable saying nothing was imported", err)
	}
	check("a failed import")
	// A lasting one: the error says the store may keep imported leases.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = Import(short, &failingSync{Store: ms, fails: -1}, []string{file}, nil)
	if !errors.Is(err, lease.ErrNotDurable) || !strings.Contains(err.Error(), "may keep some of the imported leases") {
		t.Errorf("Import into a store that stays failed = %v, want the warning that leases may remain", err)
	}
	check("an import whose undo could not be made durable")
}
