package schema

import (
	"net/netip"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
	"github.com/leased/leased/lease/mysql"
)

// TestStoreOnInit: leased's own MySQL lease store opens a database Init
// made (its schema check accepts it) and passes the lease store suite
// there, its statistics read from the lease4_stat our triggers keep.
func TestStoreOnInit(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	db, conn := initDB(t, s)
	o := mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password}
	leasetest.RunOptions(t, func(t *testing.T) lease.Store {
		if _, err := conn.Exec("DELETE FROM lease4"); err != nil {
			t.Fatal(err)
		}
		st, err := mysql.Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, leasetest.Options{PoolID: func(uint32, netip.Addr) uint32 { return 0 }, NoReleased: true})
}
