// Package dbstore keeps sessions in an SQL database through database/sql,
// like web.py's DBStore(db, "sessions"): SQLite by default, PostgreSQL and
// MySQL/MariaDB when an application grows to several instances.
//
//	db, err := dbstore.OpenSQLite("sessions.db") // WAL, busy timeout, one writer
//	store, err := dbstore.New(db, "sessions", dbstore.WithCreateTable())
//	sessions, err := session.New(store, session.Config{})
//
// # The table
//
// One row per session: session_key, the SHA-256 of the session id (the
// id itself is never stored, so a copy of the table hands out no live
// session), data, the session's JSON, and deadline, the moment the
// session expires if it stays idle, in UTC. An index on deadline keeps
// the cleanup cheap. schema.sql at the top of the repository is the DDL
// to run by hand; WithCreateTable runs the same statements (see Schema).
// The table <name>_lock holds the leases of Locking and stays empty
// otherwise. When no secret key is configured, the table also holds the
// row "secret-key": the generated signing key (see Across processes).
//
// # Statements
//
// Each operation is one statement: Load is a SELECT that checks the
// deadline in SQL; Save(Create) is an upsert; Save(Update) is an UPDATE
// of a row whose deadline has not passed, so a session killed meanwhile
// is never brought back; Touch moves the deadline without rewriting the
// data; Cleanup deletes expired rows in batches. So a request that
// changes an existing session costs two statements (web.py's DBStore
// runs five), one that only reads it costs one, and one that does not use
// its session costs none. On SQLite, whose single writer spends most of a
// write on its commit, the writes of concurrent requests that queue up
// while another commits are run together in one transaction (group
// commit); each still gets its own result.
//
// All values are parameters; the table name is checked to be a plain
// identifier and every key with session.CheckKey before any query is
// built.
//
// # Time
//
// Deadlines are UTC and the current time comes from the application, not
// from the database's NOW(), so neither the server's nor the database
// session's time zone can move a deadline (web.py mixed local time and
// UTC and lost rows on MySQL, its issue #323). PostgreSQL stores a
// TIMESTAMPTZ; MySQL a DATETIME(6) holding the UTC wall time; SQLite the
// text "2006-01-02 15:04:05.000000", UTC, which sorts like the times and
// which SQLite's date functions read as UTC. Several instances should run
// NTP, as for any shared deadline.
//
// # Across processes
//
// Several instances must sign cookies with the same key. SECRET_KEY, or
// session.Config.SecretKeys, gives them one. Without it, and without a
// session.Config.KeyFile (a file belongs to one machine), the Manager
// keeps its generated key in the store (Store.SharedKey): the first
// instance writes it to the row "secret-key" of the table and the others
// read it, so they agree. That row is the signing key in the clear:
// whoever can SELECT from the table, or reads a dump or a backup of the
// database, can forge cookies the application accepts (a session cookie
// for an id of their choosing, any signed cookie). In production, set
// SECRET_KEY on every instance and keep the key out of the database.
//
// The session package keeps the concurrent requests of one session in
// order within one process. Locking returns the store with
// session.Locker, which extends that to every process sharing the
// database, with a lease in the <name>_lock table:
//
//   - Lock inserts (key, random token, end of the lease), or takes over a
//     row whose lease has run out, in one statement; a row still leased
//     means another process holds the session, and Lock polls with a
//     backoff of 2 to 50 ms until it is free or its context ends (an
//     error wrapping session.ErrLockTimeout: the Manager's 503 "session
//     busy"; a database that does not answer is a store failure instead).
//     Unlock deletes the row if the token is still its own. While held,
//     the lease is renewed every third of its length, so a slow request
//     keeps it; a renewal that fails is retried halfway to the lease's
//     end, ever more often as the end nears, so that a brief failure of
//     the database does not let another process take the lock. A crashed
//     process's lease runs out by itself (WithLockLease, default 10 s).
//   - A lock statement that gets no answer may still run: one sent while
//     the database hangs runs when it wakes up. So the lease it asks for
//     ends a tenth of a lease after the attempt's deadline (the first
//     renewal extends it to a full lease), and its token is deleted once
//     the database answers again, in the background or by the next Lock
//     of that session in this process; an unlock that gets no answer is
//     delivered so too. A hang therefore leaves no session locked for
//     longer than that tenth of a lease, and usually not at all.
//   - Why not PostgreSQL advisory locks or MySQL GET_LOCK: both belong to
//     one connection, so each held lock would pin a connection of the
//     pool for the whole request (a pool of n connections then deadlocks
//     at n concurrent sessions), neither exists in SQLite, and they vanish
//     silently when a pooled connection is recycled. The lease row works
//     the same on the three dialects, holds no connection while waiting,
//     survives connection loss, and can be inspected with a SELECT.
//   - Writes are fenced. A holder frozen for longer than the lease (a
//     stopped process, a network that dropped its renewals) loses it, and
//     another process may take the lock, read and write the session. The
//     Manager makes its writes under a lease with the lease's token
//     (session.WithLease), and the UPDATE of Save(Update) and Touch then
//     also requires, in its WHERE, that the lock row still has that token:
//     the frozen holder's late write changes nothing and returns an error
//     wrapping session.ErrFenced (the Manager answers 503 and logs it).
//     The DELETE of its Kill, or of the old id after RenewID, is fenced
//     the same way: unfenced, it would remove the session the other
//     process saved. A lease that ran out but that nobody took over keeps
//     its row and token, so its holder's late write goes through: nobody
//     else wrote. The fenced statement replaces the plain one, so fencing
//     costs no statement; only a write that changes nothing runs one
//     SELECT to tell a session that is gone (ErrNotFound; for a DELETE,
//     no error) from a lock taken over (ErrFenced).
//   - The price is two statements per request that loads a session (take
//     and give back the lease), plus the polls while another process holds
//     it; requests of one session queued in one process pass the lease
//     (and the saved data) along instead, for up to 50 ms.
//
// # Drivers
//
// The dialect is told by the type of db.Driver(): *sqlite3.SQLiteDriver
// (github.com/mattn/go-sqlite3), *stdlib.Driver (github.com/jackc/pgx/v5/stdlib),
// *mysql.MySQLDriver (github.com/go-sql-driver/mysql), and also
// modernc.org/sqlite and github.com/lib/pq. A wrapped driver needs
// WithDialect. dbstore imports only go-sqlite3, for OpenSQLite; import
// the PostgreSQL or MySQL driver in the application. MySQL DSNs need no
// parseTime, loc or clientFoundRows setting: dbstore reads deadlines as
// text and handles either way of counting unchanged rows.
//
// Both pgx and go-sql-driver/mysql give a statement up at its context's
// deadline, handshake included, even when the server hangs, and close the
// connection, so every operation returns by its deadline. Give the pool a
// limit (db.SetMaxOpenConns): without one, each request to a database
// that hangs opens another connection until the server refuses them all,
// other clients included; with one, requests beyond it wait in the pool,
// until their deadline.
package dbstore
