package pgsql

import (
	"strings"
	"testing"

	"github.com/leased/leased/lease/pgsql/schema"
)

// TestConnect: one connection with a store's options, to a database with
// any schema or none; a failure names the database, never the password.
func TestConnect(t *testing.T) {
	o := newDB(t)
	conn, w, err := Connect(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if !strings.Contains(w, o.Name) || !strings.Contains(w, o.User) || strings.Contains(w, o.Password) {
		t.Errorf("where = %q", w)
	}
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT version FROM schema_version").Scan(&n); err != nil || n != schema.Kea22.Major {
		t.Errorf("schema_version through Connect: %d, %v", n, err)
	}
	o.Password = "not-the-Pa55word"
	if _, _, err := Connect(t.Context(), o); err == nil || !strings.Contains(err.Error(), o.Name) || strings.Contains(err.Error(), o.Password) {
		t.Errorf("Connect with a wrong password: %v", err)
	}
}
