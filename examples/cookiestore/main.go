// Command cookiestore is the count example with the whole session kept in
// the cookie (session.CookieStore, tipfy's securecookie backend) instead of
// on the server: the server writes nothing, and every instance that has
// the keys can serve every visitor.
//
// The price, plainly: a session kept in a cookie cannot be revoked on the
// server. /reset deletes the cookie in the browser that asks, but a copy
// of the cookie taken before (by curl, by a thief, by a backup) goes on
// counting until it expires, 24 hours after its last use: the expiry is
// inside the signed data, so it cannot be stretched. Only a new SECRET_KEY
// ends every session at once. Keep logins in a server-side store (see
// examples/count and examples/login). Two requests of one browser that
// overlap each carry their own copy of the cookie, and the last answer
// wins, so a counter can lose a count.
//
// The cookie is signed with SECRET_KEY: the client cannot change it, but
// it can read it (base64url JSON). Set SESSION_ENCRYPTION_KEY to 32 random
// bytes in hex to encrypt it too (AES-256-GCM). Without SECRET_KEY a key
// is generated into ./session.key, the one file this program may write.
//
//	SECRET_KEY=$(openssl rand -hex 32) go run ./examples/cookiestore 8080
//
// and in another terminal (-w '\n' ends each answer with the newline it
// does not have of its own):
//
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	1
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	2
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	3
//	$ cp cookie.txt stolen.txt
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/reset
//	Reset
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	1
//	$ curl -w '\n' -b stolen.txt http://127.0.0.1:8080/count
//	4
//	$ grep sid cookie.txt | cut -f7 | basenc -d --base64url 2>/dev/null | head -c -32; echo
//	p{"id":"049c8e18-6428-44c9-942b-43fb5eb72d37","exp":1796259872,"s":{"created":"2026-12-02T01:04:32.846791393Z","ip":"127.0.0.1","values":{"count":1}}}
//
// The copy taken before /reset was not revoked: it counted on from 3. The
// last command reads the cookie: the 'p' of a plain (signed, not
// encrypted) cookie, then the JSON of the session with its id, its expiry
// in Unix seconds and its data; head drops the 32 bytes of the signature
// that follow it, and basenc complains (silenced) of the padding that
// base64url leaves out.
//
// Then restart it with SESSION_ENCRYPTION_KEY=$(openssl rand -hex 32) in
// the environment: the old cookies answer "Bad Cookie" (and are deleted),
// and the new ones no longer decode to anything readable.
package main

import (
	"encoding/hex"
	"errors"
	"log"
	"os"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

var urls = web.URLs{
	"/count", count{},
	"/reset", reset{},
}

type count struct{}

// GET counts a visit and answers the count.
func (count) GET(c *web.Context) (any, error) {
	s := c.Session()
	n := s.Int("count") + 1
	if err := s.Set("count", n); err != nil {
		return nil, err
	}
	return n, nil
}

type reset struct{}

// GET deletes the cookie of the browser that asks.
func (reset) GET(c *web.Context) (any, error) {
	if err := c.Session().Kill(); err != nil {
		return nil, err
	}
	return "Reset", nil
}

// encryptionKey returns the key in SESSION_ENCRYPTION_KEY, or nil when it
// is not set. The error does not repeat the value: it is a secret.
func encryptionKey() ([]byte, error) {
	v := os.Getenv("SESSION_ENCRYPTION_KEY")
	if v == "" {
		return nil, nil
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) != 32 {
		return nil, errors.New("SESSION_ENCRYPTION_KEY must be 64 hex digits (32 bytes for AES-256); make one with: openssl rand -hex 32")
	}
	return key, nil
}

// newApp builds the application with its sessions in cookies, encrypted
// when SESSION_ENCRYPTION_KEY is set.
func newApp() (*web.Application, *session.Manager, error) {
	app, err := web.New(urls)
	if err != nil {
		return nil, nil, err
	}
	key, err := encryptionKey()
	if err != nil {
		return nil, nil, err
	}
	var store *session.CookieStore
	if key != nil {
		store, err = session.NewCookieStore(key)
	} else {
		store, err = session.NewCookieStore() // signed, readable by the client
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := session.ConfigFromEnv(session.Config{Initializer: map[string]any{"count": 0}})
	if err != nil {
		return nil, nil, err
	}
	cfg.ErrorHandler = web.SessionErrorPage(cfg) // a browser gets "Bad Cookie" as a page with a way back
	sessions, err := session.New(store, cfg)
	if err != nil {
		return nil, nil, err
	}
	app.Use(sessions.Middleware)
	return app, sessions, nil
}

func main() {
	app, sessions, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
