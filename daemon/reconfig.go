package daemon

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/leased/leased/config"
)

// storeIdentity is what of lease-database the running lease store was
// opened with: the fields leased acts on. The others only matter to SQL
// backends, which leased does not have, and may change freely.
type storeIdentity struct {
	typ, name   string
	persist     bool
	lfcInterval uint32
}

func storeOf(cfg *config.Config) storeIdentity {
	db := cfg.LeaseDatabase
	id := storeIdentity{typ: db.Type, persist: db.Persist, lfcInterval: db.LFCInterval}
	if id.typ == "" {
		id.typ = "memfile"
	}
	if db.Persist {
		id.name = db.Name
		if id.name == "" {
			id.name = DefaultLeaseFile
		}
		if abs, err := filepath.Abs(id.name); err == nil {
			id.name = abs
		}
	}
	return id
}

// sameLeaseStore refuses a configuration whose lease-database differs
// from the running one's in what leased acts on. The lease store is
// opened once, at start: it holds every lease handed out, the PID file
// lives beside it, and a reload that switched it would leave the running
// leases behind (Kea, which does switch, starts over on the new store's
// leases). So the change is refused, with the reason, and the running
// configuration, which config-get shows, stays in force; a restart
// opens the new store.
func sameLeaseStore(cur, next *config.Config) error {
	a, b := storeOf(cur), storeOf(next)
	if a == b {
		return nil
	}
	var changes []string
	if a.typ != b.typ {
		changes = append(changes, fmt.Sprintf("type %q to %q", a.typ, b.typ))
	}
	if a.persist != b.persist {
		changes = append(changes, fmt.Sprintf("persist %t to %t", a.persist, b.persist))
	}
	if a.name != b.name {
		changes = append(changes, fmt.Sprintf("name %q to %q", a.name, b.name))
	}
	if a.lfcInterval != b.lfcInterval {
		changes = append(changes, fmt.Sprintf("lfc-interval %d to %d", a.lfcInterval, b.lfcInterval))
	}
	return fmt.Errorf("lease-database changed (%s): leased does not switch its lease store while it runs, so the configuration is not applied; restart leased to use the new lease-database",
		strings.Join(changes, ", "))
}
