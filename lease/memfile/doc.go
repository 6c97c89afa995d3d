// Package memfile is leased's embedded lease store: every lease in memory,
// every change in an append-only journal on disk. It implements
// [lease.Store] and is what lease-database {"type": "memfile"} selects.
//
// # Quick start
//
// A store in a directory of its own, a lease added durably, the store
// closed and opened again (as after a restart or a crash), and the lease
// found there:
//
//	dir, err := os.MkdirTemp("", "leases")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer os.RemoveAll(dir)
//	opts := memfile.Options{Path: filepath.Join(dir, "kea-leases4.csv"), Persist: true}
//	ctx := context.Background()
//
//	s, err := memfile.Open(opts)
//	if err != nil {
//		log.Fatal(err)
//	}
//	l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.10"), HWType: lease.HTypeEthernet,
//		HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1}
//	if err := s.Add(ctx, &l, lease.Durable); err != nil { // on disk when Add returns
//		log.Fatal(err)
//	}
//	if err := s.Close(); err != nil {
//		log.Fatal(err)
//	}
//
//	s, err = memfile.Open(opts) // as after a restart, or a crash
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer s.Close()
//	var got lease.Lease
//	found, err := s.GetByHWAddr(ctx, 1, []byte{2, 0, 0, 0, 0, 1}, &got)
//	fmt.Println(found, err, got.Addr, got.ValidLifetime)
//
// prints
//
//	true <nil> 192.0.2.10 3600
//
// # Memory
//
// Leases live in chunked slabs of fixed-size records, each with one string
// holding its variable fields. A radix tree over the IPv4 address finds a
// lease by address and walks addresses in order; two open-addressing hash
// tables find the leases of a hardware address or client identifier (one
// entry per distinct identifier, chained through the records). A million
// leases take well under 200 bytes of heap each.
//
// # Files
//
// For lease-database name N the store keeps, in N's directory:
//
//	N.snap               the last snapshot: a header (format, first journal
//	                     segment to replay, lease count) and one record per lease
//	N.j<16 hex digits>   journal segments, replayed in order after the snapshot
//	N.lock               the process id of the one that writes the store,
//	                     which holds a flock on the directory itself (so a
//	                     directory holds one writable store)
//	N.corrupt            damaged bytes moved aside at start-up, each after a
//	                     line naming the file, offset, length and reason
//
// Every file is a sequence of records, each framed by a magic byte, a
// format version, a type, a length and a CRC-32C (see record.go). A record
// holds a whole lease (put) or an address (delete), so replay is
// idempotent: the last record for an address wins.
//
// # Durability
//
// A writer updates memory and queues its record under one short critical
// section, then, for a Durable write, waits. A dedicated goroutine writes
// all queued records with one write call and fsyncs once, releasing every
// writer that was waiting together (group commit); writers arriving during
// the fsync make up the next batch. Async writes (offers) are written
// within FlushInterval and fsynced with the next durable batch. Every
// ACK waits for an fsync, so their latency is counted (Counters: Syncs,
// SyncTime, SlowSyncs), and one that takes a second or more is logged as
// a warning, at most once per 10 s, as etcd's write-ahead log does.
//
// # Failures
//
// When a journal write, fsync or segment creation fails (a full disk, an
// exhausted inode table, a file system turned read-only), the journal
// stops writing and every durable write and Sync fails with
// lease.ErrNotDurable, so that the server acknowledges nothing that is not
// on disk. It recovers by a compaction: a new segment and a snapshot of
// memory, which holds changes whose records were lost. Until that snapshot
// is written, durable writes keep failing even though the new segment
// takes records, since memory may hold a lease that was never written and
// would be acknowledged without being written again. The compaction is
// retried after 0.5 s, doubling up to 5 s, whatever lfc-interval says, so
// that service comes back within seconds of the cause going away. A
// compaction that fails while the journal works (its segment or snapshot
// cannot be created) leaves the journal in its open segment and is
// retried the same way. The failure and the recovery are logged once each;
// Health reports the state.
//
// # Compaction
//
// What Kea's lease file cleanup (kea-lfc) does runs in process, every
// lfc-interval seconds and when the journal outgrows the snapshot: the
// journal moves to a new segment, the leases are written to a new snapshot
// a few hundred at a time while service goes on, the snapshot is fsynced,
// renamed into place and the directory fsynced, and the segments it
// replaces are removed. A crash at any point leaves a loadable set.
//
// # Start-up
//
// Open loads the snapshot and replays the journal. It never refuses to
// start because of the files' content: a torn record at the end of the
// last segment (a write cut short) is cut off; a damaged stretch anywhere
// else (a bad checksum, a record of an unknown format version) is copied
// to N.corrupt and skipped, and loading resumes at the next intact record;
// every such repair is logged with the file and offset, and a compaction
// then rewrites clean files. An entry named like a segment that is not a
// regular file (a directory, say) is logged and renamed with the suffix
// .not-a-segment. Options.Check lets the server drop or move
// leases whose subnet no longer exists (sanity-checks.lease-checks).
//
// OpenReadOnly loads the files without the lock and without changing them,
// beside a running server: it is how `leased lease export` reads a store.
package memfile
