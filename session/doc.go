// Package session keeps the data of each visitor of a web application
// between requests, as web.py's web.session does: a Manager loads a
// Session on first use, the handler reads and changes it, and the Manager
// saves it before the response goes out. The browser holds only a cookie
// with the session's id, signed so that it cannot be forged; the data stay
// in a Store on the server (or, with a CookieStore, in the signed cookie).
//
// # How a request flows
//
// Follow one request from net/http to the store and back; each step names
// its file.
//
//  1. middleware.go: Manager.Middleware puts a registry of the request's
//     sessions in its context and hooks the response writer. Nothing is
//     read yet.
//  2. middleware.go: FromContext (c.Session() in the web package) returns
//     the request's Session, a handle: still no I/O, no lock.
//  3. session.go: the first Get, Set, Int, ... opens the session through
//     the Manager's backend (backend.go): the cookie is read and its
//     signature checked (cookie.go, sign.go), the session's lock taken
//     (lock.go), its data loaded from the Store (store.go) and checked for
//     expiry and a changed address (open.go). A bad cookie, a store that
//     is down or does not answer within StoreTimeout, or a lock that stays
//     taken fail the session instead (errors.go; a failing store is logged
//     a few lines per outage, outage.go).
//  4. session.go: the handler's changes move the session's state: fresh
//     or loaded, then born, changed or renewed (Kill and RenewID too).
//  5. middleware.go: when the handler starts its response, the hook
//     commits every open session before the headers go out. commit.go
//     decides from the state what to write (nothing, create, update,
//     touch, renew) and which cookie to send, and has the backend do it.
//     The lock is given back, or passed on to a request of the same
//     session that waits for it (lock.go).
//  6. If a session failed, the hook answers with its error (errors.go)
//     instead of the handler's response.
//
// The CookieStore (cookiestore.go) is the other backend: the same steps,
// with the data in the cookie instead of a store, and no lock.
//
// # The model
//
// Lazy: a request that never uses its session does no store I/O, takes no
// lock and gets no cookie. A visitor who only reads gets no session at
// all: a new session is stored, and its cookie set, only once something is
// put in it (or its ID is read).
//
// One lock per session: the requests of one session run their session
// code one at a time, from the first use to the commit, so that 50
// parallel /count requests end at 50. A long request calls Session.Save to
// give the session back early. Requests of different sessions never wait
// for each other. Across processes, a Store that is a Locker extends the
// guarantee.
//
// Saved before the headers: the commit runs when the handler calls
// WriteHeader or Write, or returns, so the cookie can still be set. A
// handler that fails (status 500 and above) and a HEAD request change
// nothing.
//
// # Three lifetimes
//
// Config.Timeout is how long a session may stay idle (web.py's timeout,
// 24 hours); every use moves its deadline. Config.Lifetime is the absolute
// limit, however active (off by default). Config.CookieMaxAge is how long
// the browser keeps the cookie: 0, the default, keeps it until the browser
// closes; Session.RememberMe lengthens it for one session.
//
// # Which store
//
//   - MemoryStore: tests, demos, one process that may forget its sessions on
//     restart.
//   - diskstore: one file per session, which `cat` shows (web.py's
//     DiskStore); one machine.
//   - dbstore: SQLite on one machine, PostgreSQL or MySQL shared by several
//     instances; redisstore: Redis shared by several instances.
//   - CookieStore: no server state at all, but no revocation and 4 KB.
//
// Every store passes the same conformance suite, session/storetest.
package session
