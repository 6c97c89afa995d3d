package mysql

import (
	"context"
	"errors"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/leased/leased/lease/sqlstore"
)

// dialect flushes a group of writes as one explicit transaction on one
// connection: each statement is sent in turn, and one COMMIT makes them
// all durable with one flush of InnoDB's log. In InnoDB a duplicate key
// rolls back only its statement: an Add that lost the race to the address
// fails alone (lease.ErrExists) and the transaction goes on. Any other
// failing statement fails the transaction, which the group then runs
// again write by write.
type dialect struct{ s *Store }

func (d dialect) Flush(ctx context.Context, ws []*sqlstore.Write) error {
	tx, err := d.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, w := range ws {
		st, err := d.s.stmt(ctx, w.SQL)
		if err != nil {
			tx.Rollback()
			return err
		}
		res, err := tx.StmtContext(ctx, st).ExecContext(ctx, w.Args...)
		if isDuplicate(err) {
			w.Err = err
			continue
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		if w.Rows, err = res.RowsAffected(); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (dialect) Lost(err error) bool { return ConnectionLost(err) }

// Retry: a deadlock (ER_LOCK_DEADLOCK) with another server's transaction,
// which rolled back the whole transaction; a transaction now holds many
// rows and lease4_stat's.
func (dialect) Retry(err error) bool {
	var myErr *mysqldriver.MySQLError
	return errors.As(err, &myErr) && myErr.Number == 1213
}

// result is a write's sql.Result: the rows it matched.
type result int64

func (r result) LastInsertId() (int64, error) {
	return 0, errors.New("no insert id from a grouped write")
}
func (r result) RowsAffected() (int64, error) { return int64(r), nil }
