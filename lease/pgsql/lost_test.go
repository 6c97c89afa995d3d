package pgsql

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

func TestConnectionLost(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{fmt.Errorf("add: %w", lease.ErrClosed), false},
		{&pgconn.PgError{Code: "23505"}, false},                     // unique violation
		{&pgconn.PgError{Code: "42P01"}, false},                     // undefined table
		{fmt.Errorf("x: %w", &pgconn.PgError{Code: "57P01"}), true}, // admin shutdown
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "58030"}, true},
		{errors.New("read unix: connection reset by peer"), true},
		{context.DeadlineExceeded, true},
	} {
		if got := ConnectionLost(tc.err); got != tc.want {
			t.Errorf("ConnectionLost(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

// TestOnLostAndPing: a store whose server goes away reports each failed
// call to OnLost, and its Ping fails until the server is back; a refused
// statement is no lost connection.
func TestOnLostAndPing(t *testing.T) {
	o := newDB(t)
	var lost atomic.Int32
	o.OnLost = func(error) { lost.Add(1) }
	o.ConnectTimeout = 2 * time.Second
	s := openStore(t, o)
	ctx := t.Context()
	l := leasetest.Make(1)
	if err := s.Add(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, &l, lease.Durable); !errors.Is(err, lease.ErrExists) {
		t.Fatalf("second Add: %v", err)
	}
	bad := l
	bad.State = lease.StateReleased
	if err := s.Put(ctx, &bad, lease.Durable); err == nil {
		t.Fatal("Put of a released lease accepted")
	}
	if n := lost.Load(); n != 0 {
		t.Fatalf("OnLost called %d times while the server answered", n)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// The database is taken away: every connection to it is ended and
	// none is accepted, as when its server is down.
	admin(t, "postgres", "ALTER DATABASE "+o.Name+" ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+o.Name+"'")
	var got lease.Lease
	if _, err := s.Get(ctx, l.Addr, &got); err == nil {
		t.Fatal("Get succeeded with the database gone")
	}
	if lost.Load() == 0 {
		t.Fatal("OnLost not called for a failed Get")
	}
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), o.Name) {
		t.Fatalf("Ping with the database gone: %v", err)
	}
	admin(t, "postgres", "ALTER DATABASE "+o.Name+" ALLOW_CONNECTIONS true")
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the database came back: %v", err)
	}
	if ok, err := s.Get(ctx, l.Addr, &got); err != nil || !ok {
		t.Fatalf("Get after the database came back: %t, %v", ok, err)
	}
}

// TestTLSSettingsApplied: ssl-mode and the TLS files reach the driver (a
// missing trust anchor is named), and a store with tcp-user-timeout
// works. The test server listens on a unix socket only, where TLS does
// not apply.
func TestTLSSettingsApplied(t *testing.T) {
	o := newDB(t)
	o.Host = "127.0.0.1"
	o.SSLMode = "verify-full"
	o.TrustAnchor = filepath.Join(t.TempDir(), "no-such-ca.pem")
	_, err := Open(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), "no-such-ca.pem") {
		t.Fatalf("Open with a missing trust anchor: %v", err)
	}
	if strings.Contains(err.Error(), testPass) {
		t.Errorf("error shows the password: %v", err)
	}
	o = newDB(t)
	o.SSLMode = "disable"
	o.TCPUserTimeout = 10 * time.Second
	s := openStore(t, o)
	if _, err := s.Len(t.Context()); err != nil {
		t.Fatal(err)
	}
}
