-- schema.sql: the tables of dbstore (github.com/gowebpy/web/dbstore), the
-- SQL store of sessions, for a database you set up by hand. Passing
-- dbstore.WithCreateTable() to dbstore.New runs the same statements
-- (a test keeps the two equal), so you need this file only when the
-- application may not create tables.
--
-- Pick the lines of your database:
--
--   SQLite (the default):  sqlite3 sessions.db < schema.sql
--   PostgreSQL:            sed -n 's/^--pg //p' schema.sql | psql "$DATABASE_URL"
--   MySQL / MariaDB:       sed -n 's/^--my //p' schema.sql | mysql DBNAME
--
-- Running the whole file on PostgreSQL or MySQL fails at its first line
-- (BLOB and "quoted" names belong to SQLite), so nothing half-right is
-- created. For another table name, replace every "sessions" below: the
-- index and the lock table are named after the table.
--
-- The columns:
--   session_key  the SHA-256 of the session id in 64 lower-case hex
--                digits. The id itself, the secret the cookie carries, is
--                never stored: a copy of the table opens no session.
--   data         the session as JSON, e.g.
--                {"created":"2026-11-23T11:15:39Z","ip":"127.0.0.1","values":{"count":3}}
--   deadline     when the session expires if it stays idle, in UTC. Its
--                last access was deadline minus the idle timeout (24 h by
--                default); dbstore moves it forward without rewriting data.
--                The index on it lets the cleanup find expired rows
--                without reading the table.
-- The lock table holds the leases of dbstore's Locking (several
-- processes, one database) and is empty otherwise.

-- SQLite. deadline is text, "2026-11-24 11:15:39.123456" in UTC: it sorts
-- like the times, and SQLite's date functions read it as UTC. To look:
--   SELECT session_key, deadline, CAST(data AS TEXT) FROM sessions;
CREATE TABLE IF NOT EXISTS "sessions" (
    session_key TEXT NOT NULL PRIMARY KEY,
    data        BLOB NOT NULL,
    deadline    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS "sessions_deadline" ON "sessions" (deadline);
CREATE TABLE IF NOT EXISTS "sessions_lock" (
    session_key TEXT NOT NULL PRIMARY KEY,
    token       TEXT NOT NULL,
    lease_until TEXT NOT NULL
);

-- PostgreSQL 9.5 or later. TIMESTAMPTZ is an absolute instant: the
-- session's TimeZone changes how psql shows it, never what it means.
-- VARCHAR, not CHAR (which pads). To look:
--   SELECT session_key, deadline, convert_from(data, 'UTF8') FROM sessions;
--pg CREATE TABLE IF NOT EXISTS "sessions" (
--pg     session_key VARCHAR(64) PRIMARY KEY,
--pg     data        BYTEA NOT NULL,
--pg     deadline    TIMESTAMPTZ NOT NULL
--pg );
--pg CREATE INDEX IF NOT EXISTS "sessions_deadline" ON "sessions" (deadline);
--pg CREATE TABLE IF NOT EXISTS "sessions_lock" (
--pg     session_key VARCHAR(64) PRIMARY KEY,
--pg     token       VARCHAR(32) NOT NULL,
--pg     lease_until TIMESTAMPTZ NOT NULL
--pg );

-- MySQL 5.7 or later, MariaDB 10.3 or later. deadline is a DATETIME(6)
-- holding the UTC wall time; not a TIMESTAMP, which MySQL shifts by the
-- connection's time_zone (web.py lost rows that way, its issue #323).
-- The key is ASCII with binary comparison: compact, exact. MEDIUMBLOB
-- holds up to 16 MiB (BLOB stops at 64 KiB). To look:
--   SELECT session_key, deadline, CAST(data AS CHAR) FROM sessions;
--my CREATE TABLE IF NOT EXISTS `sessions` (
--my     session_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
--my     data        MEDIUMBLOB NOT NULL,
--my     deadline    DATETIME(6) NOT NULL,
--my     INDEX `sessions_deadline` (deadline)
--my ) ENGINE=InnoDB;
--my CREATE TABLE IF NOT EXISTS `sessions_lock` (
--my     session_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
--my     token       CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
--my     lease_until DATETIME(6) NOT NULL
--my ) ENGINE=InnoDB;
