package mysql

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// TestServerKilled: with MariaDB killed, a write fails as a lost
// connection (OnLost is told, ConnectionLost says so; not ErrExists or
// ErrConflict, which would read as another server's win) and Ping fails;
// started again, Ping succeeds and writes go on, with what was committed
// before the kill still there.
func TestServerKilled(t *testing.T) {
	srv := mysqltest.New(t, mysqltest.Options{TZ: testTZ})
	d := srv.NewDB(t)
	var lost atomic.Int32
	o := Options{Host: d.Socket, Name: d.Name, User: d.User, Password: d.Password, ConnectTimeout: 2 * time.Second,
		OnLost: func(error) { lost.Add(1) }}
	s := openStore(t, o)
	ctx := t.Context()
	before := leasetest.Make(1)
	before.PoolID = 0
	if err := s.Add(ctx, &before, lease.Durable); err != nil {
		t.Fatal(err)
	}
	if err := srv.Crash(); err != nil {
		t.Fatal(err)
	}
	during := leasetest.Make(2)
	during.PoolID = 0
	err := s.Add(ctx, &during, lease.Durable)
	if err == nil || !ConnectionLost(err) || errors.Is(err, lease.ErrExists) || errors.Is(err, lease.ErrConflict) {
		t.Errorf("Add with the server killed: %v (lost connection: %t)", err, ConnectionLost(err))
	}
	if lost.Load() == 0 {
		t.Error("OnLost was not called")
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := s.Ping(pctx); err == nil {
		t.Error("Ping succeeded with the server killed")
	}
	cancel()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the restart: %v", err)
	}
	if err := s.Add(ctx, &during, lease.Durable); err != nil {
		t.Errorf("Add after the restart: %v", err)
	}
	var got lease.Lease
	if ok, err := s.Get(ctx, before.Addr, &got); !ok || err != nil || !got.Equal(&before) {
		t.Errorf("the lease committed before the kill: %v (%v, %v)", &got, ok, err)
	}
}
