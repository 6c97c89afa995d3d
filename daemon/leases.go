package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/leased/leased/config"
	"github.com/leased/leased/lease/keacsv"
	"github.com/leased/leased/lease/memfile"
)

// storeOptions are the memfile options lease-database describes.
func storeOptions(cfg *config.Config, log *slog.Logger) (memfile.Options, error) {
	db := cfg.LeaseDatabase
	if db.Type != "" && db.Type != "memfile" {
		return memfile.Options{}, fmt.Errorf("lease-database type %q: not supported yet", db.Type)
	}
	if !db.Persist {
		return memfile.Options{}, errors.New(`lease-database has "persist": false: the leases live only in the running server's memory`)
	}
	name := db.Name
	if name == "" {
		name = DefaultLeaseFile
	}
	return memfile.Options{Path: name, Persist: true, Logger: log}, nil
}

// ExportLeases writes every lease of the store the configuration at
// cfgPath names to w, as Kea's 12-column memfile CSV. It works whether or
// not a server holds the store, and changes nothing.
func ExportLeases(ctx context.Context, cfgPath string, w io.Writer, log *slog.Logger) (int, error) {
	cfg, err := LoadConfig(cfgPath, log)
	if err != nil {
		return 0, err
	}
	if isSQL(cfg.LeaseDatabase) {
		st, err := openStore(ctx, cfg, log, pgsqlHooks{})
		if err != nil {
			return 0, err
		}
		defer st.Close()
		return keacsv.Export(ctx, w, st)
	}
	opts, err := storeOptions(cfg, log)
	if err != nil {
		return 0, err
	}
	st, err := memfile.OpenReadOnly(opts)
	if err != nil {
		return 0, fmt.Errorf("opening the lease store %s: %w", opts.Path, err)
	}
	defer st.Close()
	return keacsv.Export(ctx, w, st)
}

// ImportLeases loads Kea lease4 CSV files (11- or 12-column) into the
// store the configuration at cfgPath names. It refuses while a server
// holds a memfile store; a PostgreSQL database takes the leases while
// servers use it. Rows that cannot be read are reported to bad and
// skipped.
func ImportLeases(ctx context.Context, cfgPath string, files []string, bad func(error), log *slog.Logger) (keacsv.ImportResult, error) {
	cfg, err := LoadConfig(cfgPath, log)
	if err != nil {
		return keacsv.ImportResult{}, err
	}
	if isSQL(cfg.LeaseDatabase) {
		// A database is shared by design: servers using it go on
		// serving, and see each imported lease as it is committed.
		st, err := openStore(ctx, cfg, log, pgsqlHooks{})
		if err != nil {
			return keacsv.ImportResult{}, err
		}
		defer st.Close()
		return keacsv.Import(ctx, st, files, bad)
	}
	opts, err := storeOptions(cfg, log)
	if err != nil {
		return keacsv.ImportResult{}, err
	}
	st, err := memfile.Open(opts)
	if err != nil {
		if errors.Is(err, memfile.ErrLocked) {
			return keacsv.ImportResult{}, fmt.Errorf("%w (stop the server first, or add leases through its control channel)", err)
		}
		return keacsv.ImportResult{}, fmt.Errorf("opening the lease store %s: %w", opts.Path, err)
	}
	res, err := keacsv.Import(ctx, st, files, bad)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return res, err
}
