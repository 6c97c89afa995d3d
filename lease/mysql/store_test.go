package mysql

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// testPools stands for a configuration's pools: the pool of an address is
// its last byte modulo 3, which is how leasetest numbers the pools of the
// leases it writes for the statistics.
func testPools(_ uint32, a netip.Addr) uint32 { return uint32(a.As4()[3] % 3) }

// TestConformance runs the suite on one database made by kea-admin,
// emptied before each part (a copy of the schema per part takes seconds):
// the schema's triggers keep lease4_stat right through the DELETE.
func TestConformance(t *testing.T) {
	o := newDB(t)
	db := openDB(t, o.Name)
	open := func(t *testing.T) lease.Store {
		if _, err := db.Exec("DELETE FROM lease4"); err != nil {
			t.Fatal(err)
		}
		s, err := Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("PoolsFromConfig", func(t *testing.T) {
		leasetest.RunOptions(t, func(t *testing.T) lease.Store {
			s := open(t).(*Store)
			s.poolID = testPools
			return s
		}, leasetest.Options{PoolID: testPools, NoReleased: true})
	})
	t.Run("StatsFromLease4Stat", func(t *testing.T) {
		leasetest.RunOptions(t, open, leasetest.Options{PoolID: func(uint32, netip.Addr) uint32 { return 0 }, NoReleased: true})
	})
}

func TestOpenRefuses(t *testing.T) {
	ctx := t.Context()
	refused := func(t *testing.T, o Options, want ...string) {
		t.Helper()
		s, err := Open(ctx, o)
		if err == nil {
			s.Close()
			t.Fatalf("Open succeeded, want an error saying %q", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Open: %v\nwant it to say %q", err, w)
			}
		}
		if o.Password != "" && strings.Contains(err.Error(), o.Password) {
			t.Errorf("Open's error shows the password: %v", err)
		}
	}
	o := newDB(t)
	db := openDB(t, o.Name)
	exec := func(t *testing.T, q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("NewerSchema", func(t *testing.T) {
		exec(t, "UPDATE schema_version SET version = 19, minor = 0")
		defer exec(t, "UPDATE schema_version SET version = 14, minor = 0")
		refused(t, o, "schema version 19.0", "14.0", o.Name)
	})
	t.Run("AlteredTable", func(t *testing.T) {
		exec(t, "ALTER TABLE lease4 ADD COLUMN pool_id INT UNSIGNED NOT NULL DEFAULT 0")
		defer exec(t, "ALTER TABLE lease4 DROP COLUMN pool_id")
		refused(t, o, "column pool_id")
	})
	t.Run("NoSchema", func(t *testing.T) {
		exec(t, "CREATE DATABASE IF NOT EXISTS "+o.Name+"_empty")
		e := o
		e.Name += "_empty"
		refused(t, e, "no Kea schema", "kea-admin db-init mysql")
	})
	t.Run("WrongPassword", func(t *testing.T) {
		w := o
		w.Password = "not-the-Pa55word"
		refused(t, w, o.Name, o.User, o.Host)
	})
	if s, err := Open(ctx, o); err != nil {
		t.Errorf("Open after the refusals: %v", err)
	} else {
		s.Close()
	}
}

func TestOptionsHidePassword(t *testing.T) {
	o := Options{Host: "db.example.org", Name: "kea", User: "kea", Password: "hunter2-Secret"}
	for _, s := range []string{o.String(), o.GoString()} {
		if strings.Contains(s, o.Password) {
			t.Errorf("%q shows the password", s)
		}
	}
}

// TestRefusesWhatKeaCannotRead: Kea 2.2's schema has no released state,
// and its reader fails on client identifiers of one byte.
func TestRefusesWhatKeaCannotRead(t *testing.T) {
	s := openStore(t, newDB(t))
	l := leasetest.Make(1)
	l.PoolID = 0
	l.State = lease.StateReleased
	if err := s.Add(t.Context(), &l, lease.Durable); !errors.Is(err, lease.ErrStateUnsupported) {
		t.Errorf("Add of a released lease = %v, want ErrStateUnsupported", err)
	}
	l.State = lease.StateDefault
	l.ClientID = []byte{1}
	if err := s.Add(t.Context(), &l, lease.Durable); err == nil {
		t.Error("Add of a one-byte client identifier succeeded")
	}
}
