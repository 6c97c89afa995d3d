package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/internal/pgtest"
)

// TestDB runs leased db's actions on an empty database of a private
// cluster: named by flags, and by a configuration's lease-database whose
// name the flags override.
func TestDB(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	c.Admin(t, "postgres", "CREATE DATABASE fresh")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	flags := DBOptions{Name: "fresh", User: pgtest.User, Password: pgtest.Password, Host: c.Dir, Port: pgtest.Port}
	run := func(action string, o DBOptions) (string, error) {
		t.Helper()
		var out strings.Builder
		err := DB(t.Context(), action, o, &out, log)
		return out.String(), err
	}
	if out, err := run("version", flags); err == nil || !strings.Contains(err.Error(), "no Kea schema") || !strings.Contains(err.Error(), "leased db init") {
		t.Errorf("version of an empty database = %q, %v; want an error saying leased db init creates the schema", out, err)
	}
	if out, err := run("init", flags); err != nil || !strings.Contains(out, `"fresh"`) || !strings.Contains(out, "13.0") {
		t.Errorf("init = %q, %v", out, err)
	}
	if out, err := run("version", flags); err != nil || out != "13.0\n" {
		t.Errorf("version after init = %q, %v; want 13.0", out, err)
	}
	if _, err := run("init", flags); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second init = %v; want it refused", err)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "kea.json")
	db := fmt.Sprintf(`{"type": "postgresql", "name": "other", "host": %q, "port": %d, "user": %q, "password": %q}`,
		c.Dir, pgtest.Port, pgtest.User, pgtest.Password)
	if err := os.WriteFile(cfg, []byte(`{"Dhcp4": {"lease-database": `+db+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	byConfig := DBOptions{Config: cfg, Name: "fresh"}
	if out, err := run("upgrade", byConfig); err != nil || !strings.Contains(out, "from 13.0 to 34.0") {
		t.Errorf("upgrade -c = %q, %v", out, err)
	}
	if out, err := run("upgrade", byConfig); err != nil || !strings.Contains(out, "34.0 already") {
		t.Errorf("a second upgrade = %q, %v", out, err)
	}
	if out, err := run("version", byConfig); err != nil || out != "34.0\n" {
		t.Errorf("version after upgrade = %q, %v; want 34.0", out, err)
	}
	// Without -n the configuration's name stands: a database that does
	// not exist, named in the error, with no password in it.
	if _, err := run("version", DBOptions{Config: cfg}); err == nil || !strings.Contains(err.Error(), `"other"`) || strings.Contains(err.Error(), pgtest.Password) {
		t.Errorf("version of the configuration's database = %v", err)
	}

	memfile := filepath.Join(dir, "memfile.json")
	if err := os.WriteFile(memfile, []byte(`{"Dhcp4": {"lease-database": {"type": "memfile", "persist": false}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run("version", DBOptions{Config: memfile}); err == nil || !strings.Contains(err.Error(), `"memfile"`) {
		t.Errorf("version -c with a memfile lease-database = %v", err)
	}
	if _, err := run("version", DBOptions{Host: c.Dir}); err == nil || !strings.Contains(err.Error(), "-n NAME") {
		t.Errorf("version without a database name = %v", err)
	}
	if _, err := run("drop", flags); err == nil || !strings.Contains(err.Error(), "drop") {
		t.Errorf("an unknown action = %v", err)
	}
}
