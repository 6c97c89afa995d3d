package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/leased/leased/lease/pgsql"
	"github.com/leased/leased/lease/pgsql/schema"
)

// DBOptions say which database `leased db` works on, as kea-admin takes
// it: a name, user, password, host and port, or the lease-database of a
// Kea configuration (Config), which the others then override.
type DBOptions struct {
	// Backend is kea-admin's backend, "pgsql" or "mysql"; empty means
	// the configuration's lease-database type, else pgsql.
	Backend  string
	Config   string
	Name     string
	User     string
	Password string
	// Host is a host name, an address or the directory of a unix socket;
	// empty means the configuration's, else localhost (as kea-admin).
	Host string
	Port uint16
}

// DB runs `leased db ACTION`: init creates Kea's schema 13.0 (Kea 2.2's)
// in an empty database, as kea-admin db-init pgsql; upgrade takes 13.0 to
// 34.0 (Kea 3.1.9 and 3.2's), as kea-admin db-upgrade; version prints the
// version, as kea-admin db-version. With the mysql backend, init creates
// Kea's MySQL schema 14.0 (Kea 2.2's), upgrade takes it to 35.0 (Kea 3.1.9
// and 3.2's) and version prints it. What it did goes to w.
func DB(ctx context.Context, action string, o DBOptions, w io.Writer, log *slog.Logger) error {
	if action != "init" && action != "upgrade" && action != "version" {
		return fmt.Errorf("unknown action %q (want init, upgrade or version)", action)
	}
	backend, err := dbBackend(o, log)
	if err != nil {
		return err
	}
	if backend == "mysql" {
		return mysqlDB(ctx, action, o, w, log)
	}
	opts, err := dbOptions(o, log)
	if err != nil {
		return err
	}
	conn, where, err := pgsql.Connect(ctx, opts)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	switch action {
	case "init":
		if err := schema.Init(ctx, conn); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		fmt.Fprintf(w, "%s: created Kea's schema %s (Kea 2.2's)\n", where, schema.Kea22)
	case "upgrade":
		from, err := schema.Upgrade(ctx, conn)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if from == schema.Kea32 {
			fmt.Fprintf(w, "%s: schema %s already, nothing to do\n", where, from)
			return nil
		}
		fmt.Fprintf(w, "%s: upgraded Kea's schema from %s to %s (Kea 3.1.9 and 3.2's); Kea 2.2 no longer runs on it\n", where, from, schema.Kea32)
	case "version":
		v, err := schema.Read(ctx, conn)
		if errors.Is(err, schema.ErrNoSchema) {
			return fmt.Errorf("%s: %w; leased db init creates it", where, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		fmt.Fprintln(w, v)
	}
	return nil
}

// dbOptions are the connection settings of o: its configuration's
// lease-database, if it names one, overridden by its own fields.
func dbOptions(o DBOptions, log *slog.Logger) (pgsql.Options, error) {
	opts := pgsql.Options{Host: "localhost", ConnectTimeout: 5 * time.Second}
	if o.Config != "" {
		cfg, err := LoadConfig(o.Config, log)
		if err != nil {
			return opts, err
		}
		if t := cfg.LeaseDatabase.Type; t != "postgresql" {
			return opts, fmt.Errorf("%s: lease-database is of type %q; leased db works on a \"postgresql\" one", o.Config, t)
		}
		if opts, err = pgsqlOptions(cfg, pgsqlHooks{}); err != nil {
			return opts, fmt.Errorf("%s: %w", o.Config, err)
		}
		opts.PoolID = nil
	}
	for _, s := range []struct {
		to   *string
		from string
	}{
		{&opts.Name, o.Name}, {&opts.User, o.User}, {&opts.Password, o.Password}, {&opts.Host, o.Host},
	} {
		if s.from != "" {
			*s.to = s.from
		}
	}
	if o.Port != 0 {
		opts.Port = o.Port
	}
	if opts.Name == "" {
		return opts, errors.New("no database named: give -n NAME, or -c FILE with a postgresql lease-database")
	}
	return opts, nil
}
