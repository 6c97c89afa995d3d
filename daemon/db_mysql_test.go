package daemon

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
)

// TestDBMySQL runs leased db's actions with the mysql backend on an empty
// database of a private MariaDB: init creates Kea's schema 14.0, version
// shows it, a second init is refused, upgrade takes it to 35.0 once.
func TestDBMySQL(t *testing.T) {
	s := mysqltest.New(t, mysqltest.Options{})
	s.Admin(t, "", "CREATE DATABASE fresh")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	flags := DBOptions{Backend: "mysql", Name: "fresh", User: mysqltest.User, Password: mysqltest.Password, Host: s.Socket()}
	run := func(action string) (string, error) {
		t.Helper()
		var out strings.Builder
		err := DB(t.Context(), action, flags, &out, log)
		return out.String(), err
	}
	if out, err := run("version"); err == nil || !strings.Contains(err.Error(), "no Kea schema") || !strings.Contains(err.Error(), "leased db init mysql") {
		t.Errorf("version of an empty database = %q, %v; want an error saying leased db init mysql creates the schema", out, err)
	}
	if out, err := run("init"); err != nil || !strings.Contains(out, `"fresh"`) || !strings.Contains(out, "MySQL schema 14.0") {
		t.Errorf("init = %q, %v", out, err)
	}
	if out, err := run("version"); err != nil || out != "14.0\n" {
		t.Errorf("version after init = %q, %v; want 14.0", out, err)
	}
	if _, err := run("init"); err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "14.0 already") {
		t.Errorf("a second init = %v; want it refused, naming the schema there", err)
	}
	if out, err := run("upgrade"); err != nil || !strings.Contains(out, "from 14.0 to 35.0") {
		t.Errorf("upgrade = %q, %v; want 14.0 upgraded to 35.0", out, err)
	}
	if out, err := run("version"); err != nil || out != "35.0\n" {
		t.Errorf("version after upgrade = %q, %v; want 35.0", out, err)
	}
	if out, err := run("upgrade"); err != nil || !strings.Contains(out, "35.0 already") {
		t.Errorf("a second upgrade = %q, %v; want nothing done", out, err)
	}
	if strings.Contains(func() string { _, err := run("init"); return err.Error() }(), mysqltest.Password) {
		t.Error("an error shows the password")
	}
}
