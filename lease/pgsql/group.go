package pgsql

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leased/leased/lease/sqlstore"
)

// onConflictNothing makes an insert that finds the address taken match no
// row (lease.ErrExists) instead of failing with a unique violation, which
// in a group's transaction would abort the other writers' statements. The
// row it writes is the insert's.
const onConflictNothing = ` ON CONFLICT (address) DO NOTHING`

// dialect flushes a group of writes as one pipeline (pgx.Batch): the
// statements up to its one Sync are one implicit transaction, sent in one
// round trip and committed with one flush of the server's log. None of
// the statements fails on a lost race (Add's insert does nothing on a
// taken address, a guarded Update or Delete matches no row), so a race
// is its writer's result, not the group's failure.
type dialect struct{ s *Store }

func (d dialect) Flush(ctx context.Context, ws []*sqlstore.Write) error {
	b := &pgx.Batch{}
	for _, w := range ws {
		b.Queue(w.SQL, w.Args...)
	}
	br := d.s.pool.SendBatch(ctx, b)
	var err error
	for _, w := range ws {
		tag, e := br.Exec()
		if e != nil {
			err = e
			break
		}
		w.Rows = tag.RowsAffected()
	}
	// Close reads to the Sync's answer, which the server sends once the
	// transaction is committed (and its log flushed).
	if e := br.Close(); err == nil {
		err = e
	}
	return err
}

func (dialect) Lost(err error) bool { return ConnectionLost(err) }

// Retry: a deadlock (40P01) with another server's transaction, which can
// happen now that a transaction holds many rows and lease4_stat's, a
// serialization failure (40001), or a unique violation of any key but
// lease4's own: Kea 2.2's triggers count a subnet's first lease with an
// UPDATE of lease4_stat and, finding no row, an INSERT, which fails when
// another server's transaction inserted that row meanwhile; once that one
// committed, the UPDATE finds its row.
func (dialect) Retry(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001" ||
		pgErr.Code == "23505" && pgErr.ConstraintName != lease4Key)
}

// lease4Key is the primary key of lease4, the address, in Kea's schemas.
const lease4Key = "lease4_pkey"
