package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
)

// mysqlConfig writes a configuration whose lease-database is db, on its
// unix socket, the password in a password-file (or pw when not empty).
func mysqlConfig(t *testing.T, dir, name string, db mysqltest.DB, pw string) string {
	t.Helper()
	pwFile := filepath.Join(dir, name+"-password")
	if pw == "" {
		pw = db.Password
	}
	if err := os.WriteFile(pwFile, []byte(pw+"\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".json")
	cfg := fmt.Sprintf(`{"Dhcp4": {"interfaces-config": {"interfaces": ["lo"]}, "lease-database": {"type": "mysql", "host": %q, "name": %q, "user": %q, "password-file": %q},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100-192.0.2.199"}]}]}}`,
		db.Socket, db.Name, db.User, pwFile)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMysqlExportImport migrates leases from memfile to MySQL and back
// with `leased lease export` and `import`: every row survives both ways;
// -T reads the database and never shows the password, and a wrong
// password is refused with the database named and the password not shown.
func TestMysqlExportImport(t *testing.T) {
	srv := mysqltest.New(t, mysqltest.Options{TZ: "America/St_Johns"})
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	src := writeConfig(t, dir, "src")
	if err := storeWithLeases(t, filepath.Join(dir, "src"), 3, "h,ost").Close(); err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if n, err := ExportLeases(ctx, src, &csv, log); err != nil || n != 3 {
		t.Fatalf("export from memfile: %d %v", n, err)
	}
	exported := filepath.Join(dir, "memfile.csv")
	os.WriteFile(exported, csv.Bytes(), 0o600)

	db := srv.NewDB(t)
	my := mysqlConfig(t, dir, "my", db, "")
	res, err := ImportLeases(ctx, my, []string{exported}, func(e error) { t.Errorf("bad row: %v", e) }, log)
	if err != nil || res.Put != 3 {
		t.Fatalf("import into mysql: %+v %v", res, err)
	}
	var fromMy bytes.Buffer
	if n, err := ExportLeases(ctx, my, &fromMy, log); err != nil || n != 3 {
		t.Fatalf("export from mysql: %d %v", n, err)
	}
	if fromMy.String() != csv.String() {
		t.Errorf("memfile → mysql → CSV changed the leases:\n%s\nwant\n%s", fromMy.String(), csv.String())
	}

	back := filepath.Join(dir, "my.csv")
	os.WriteFile(back, fromMy.Bytes(), 0o600)
	dst := writeConfig(t, dir, "dst")
	if res, err := ImportLeases(ctx, dst, []string{back}, func(e error) { t.Errorf("bad row: %v", e) }, log); err != nil || res.Put != 3 {
		t.Fatalf("import into memfile: %+v %v", res, err)
	}
	var again bytes.Buffer
	if _, err := ExportLeases(ctx, dst, &again, log); err != nil || again.String() != csv.String() {
		t.Errorf("mysql → memfile changed the leases (%v):\n%s\nwant\n%s", err, again.String(), csv.String())
	}

	var w, errw bytes.Buffer
	if err := CheckDeep(my, dir, &w, &errw); err != nil {
		t.Fatalf("-T: %v\n%s", err, errw.String())
	}
	if !strings.Contains(w.String(), "3 leases") || !strings.Contains(w.String(), "mysql database") || strings.Contains(w.String()+errw.String(), mysqltest.Password) {
		t.Errorf("-T: %s%s", w.String(), errw.String())
	}

	// leased db version mysql, as kea-admin db-version mysql; the
	// backend follows from the configuration's lease-database too.
	for _, o := range []DBOptions{
		{Backend: "mysql", Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password},
		{Config: my},
	} {
		var out bytes.Buffer
		if err := DB(ctx, "version", o, &out, log); err != nil || out.String() != "14.0\n" {
			t.Errorf("leased db version %+v: %q, %v; want 14.0", o.Backend, out.String(), err)
		}
	}
	// The database holds the schema already: init refuses to touch it.
	if err := DB(ctx, "init", DBOptions{Config: my}, &bytes.Buffer{}, log); err == nil || !strings.Contains(err.Error(), "schema 14.0 already") {
		t.Errorf("leased db init on a mysql database that has the schema: %v, want a refusal saying it holds schema 14.0 already", err)
	}

	wrong := mysqlConfig(t, dir, "wrong", db, "not-the-Pa55word")
	w.Reset()
	errw.Reset()
	if err := CheckDeep(wrong, dir, &w, &errw); err == nil || strings.Contains(errw.String(), "not-the-Pa55word") || !strings.Contains(errw.String(), db.Name) {
		t.Errorf("-T with a wrong password: %v\n%s%s", err, w.String(), errw.String())
	}
}
