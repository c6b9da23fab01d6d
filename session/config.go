package session

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gowebpy/web/session/internal/record"
)

// Toggle is an on/off setting whose zero value means "the default", so
// that a Config literal only names what it changes.
type Toggle uint8

const (
	// Default leaves the setting at its documented default.
	Default Toggle = iota
	// Yes turns the setting on.
	Yes
	// No turns the setting off.
	No
)

func (t Toggle) or(def bool) bool {
	switch t {
	case Yes:
		return true
	case No:
		return false
	}
	return def
}

// Config configures a Manager. The zero value is a working configuration:
// every field documents its default and the web.py, JustPy or tipfy
// setting it corresponds to.
type Config struct {
	// Name tells the sessions of a request apart when an application has
	// several (tipfy's get_session(backend=..., cookie_name=...)); handlers
	// ask for one by name. Each session is locked when first used, so
	// handlers that use two should use them in the same order: two
	// requests of one visitor using them in opposite orders wait for each
	// other until LockTimeout. Default "".
	Name string

	// CookieName is the name of the cookie that carries the signed session
	// id (web.py cookie_name, JustPy SESSION_COOKIE_NAME, tipfy
	// cookie_name). Default "sid": generic, so it does not advertise the
	// framework. A name starting with "__Host-" requires Secure Yes, no
	// Domain and Path "/", and is checked by New.
	CookieName string
	// Domain of the cookie (web.py cookie_domain). Default "": the cookie
	// goes back only to the host that set it.
	Domain string
	// Path of the cookie (web.py cookie_path). Default "/".
	Path string
	// HTTPOnly hides the cookie from JavaScript (web.py httponly).
	// Default Yes.
	HTTPOnly Toggle
	// Secure sends the cookie over HTTPS only (web.py secure). Default:
	// on for requests that arrived over TLS, off otherwise; set Yes behind
	// a proxy that terminates TLS.
	Secure Toggle
	// SameSite of the cookie (web.py samesite). Default http.SameSiteLaxMode.
	SameSite http.SameSite

	// Timeout is how long a session may stay idle before it expires
	// (web.py timeout, 86400 seconds). It is checked every time a session
	// is loaded, not only by the cleanup. Default 24 hours.
	Timeout time.Duration
	// Lifetime is the absolute limit of a session, however active
	// (OWASP's absolute timeout; tipfy session_expires). Default 0: none.
	Lifetime time.Duration
	// CookieMaxAge is how long the browser keeps the cookie (JustPy
	// COOKIE_MAX_AGE, tipfy max_age). Default 0: a browser-session
	// cookie, dropped when the browser closes, as in web.py. A session can
	// ask for a longer one with RememberMe.
	CookieMaxAge time.Duration
	// TouchInterval is how often, at most, an unchanged session has its
	// idle deadline moved forward, without rewriting its data. Default 1
	// minute, and never more than Timeout/2.
	TouchInterval time.Duration

	// IgnoreExpiry starts a fresh session when the cookie names one that
	// has expired (web.py ignore_expiry). No answers ExpiredStatus with
	// ExpiredMessage instead. Default Yes.
	IgnoreExpiry Toggle
	// ExpiredMessage is the body of the expired answer (web.py
	// expired_message). Default "Session expired".
	ExpiredMessage string
	// ExpiredStatus is the status of the expired answer. Default 401
	// Unauthorized: the client must start again (web.py answers 200).
	ExpiredStatus int
	// IgnoreChangeIP lets a session be used from a new client address
	// (web.py ignore_change_ip). No expires a session used from another
	// address and removes it from the store. Default Yes.
	IgnoreChangeIP Toggle
	// ClientIP returns the client address of a request. Default RemoteIP,
	// the peer address; behind a reverse proxy use ForwardedIP, which
	// trusts X-Forwarded-For from the proxies you name only.
	ClientIP func(*http.Request) string

	// SecretKeys sign the session cookie with HMAC-SHA256 (web.py
	// secret_key, JustPy SECRET_KEY, tipfy secret_key). The first key
	// signs; every key verifies, so a new key goes first and the old one
	// stays listed until its cookies are gone. Each must be at least 32
	// bytes. Default: the SECRET_KEY environment variable, followed by the
	// comma-separated SECRET_KEY_FALLBACKS; without those, a random key
	// kept in KeyFile, with a warning in the log.
	SecretKeys []string
	// KeyFile is where a generated key is kept, readable by its owner
	// only, so that a restarted application keeps its sessions. Default
	// "secret.key" in the store's folder for stores that have one
	// (DiskStore), else "session.key" in the working directory.
	KeyFile string

	// Initializer holds the values of a new session (web.py
	// initializer={"count": 0}). Each session gets its own deep copy.
	Initializer map[string]any
	// InitFunc, if set, runs for each new session after Initializer is
	// copied in (web.py's callable initializer).
	InitFunc func(*Session)

	// Disabled turns sessions off (JustPy SESSIONS = False): the
	// middleware does nothing, and handlers get a session that lives for
	// the request only and sets no cookie.
	Disabled bool
	// NoStore marks a response built from a session that holds data
	// Cache-Control: no-store, unless the handler set its own
	// Cache-Control: neither a shared cache nor the browser (its
	// back/forward cache, which Back after a logout shows from) may keep
	// a private page. A response that sets or deletes the session cookie
	// is always no-store. No is for an application that sets its own
	// caching on every page that shows session data. Default Yes.
	NoStore Toggle
	// SaveEveryRequest writes a session that was used in a request even
	// when it did not change, and sends its cookie again (tipfy force).
	// Default false: only changed sessions are written.
	SaveEveryRequest bool
	// RejectBadCookie answers a cookie whose signature does not verify
	// with 400 "Bad Cookie" and clears the cookie in the same response
	// (JustPy). No starts a fresh session instead. Default Yes.
	RejectBadCookie Toggle

	// LockTimeout bounds how long a request waits for another request of
	// the same session to finish with it; past it the request answers 503
	// and the reason is logged. Default 10 seconds.
	LockTimeout time.Duration
	// StoreTimeout bounds each step a request takes with the store: opening
	// the session (the store's lock, when it is a Locker, and the load) and
	// committing it. It runs whether or not the client is still there, so
	// that a store that accepts connections but does not answer holds no
	// request, and no connection, longer than this: past it the request
	// answers 503 with Retry-After and the log names the store and the
	// operation. Waiting for another instance's lock on a shared store
	// counts too. Default 5 seconds.
	StoreTimeout time.Duration
	// FirstTimeout is the idle timeout of a new session until its cookie
	// comes back: a visitor who never returns (a crawler, a one-off
	// client) leaves a session that goes after FirstTimeout instead of
	// Timeout, so that many of them cannot fill the store; the first
	// request that sends the cookie back moves the deadline to Timeout.
	// Sessions kept in a CookieStore, and sessions with RememberMe, get
	// the full timeout at once. Default 30 minutes, and never more than
	// Timeout.
	FirstTimeout time.Duration
	// CleanupInterval is how often expired sessions are removed from the
	// store, in the background. Default 5 minutes; negative turns the
	// cleanup off (for stores that expire entries themselves).
	CleanupInterval time.Duration

	// ErrorHandler writes the answer for a request whose session failed:
	// err wraps one of ErrBadCookie, ErrExpired, ErrLockTimeout,
	// ErrNoMiddleware, or is a *StoreError (Unavailable tells a store that
	// is down or slow, answered 503, from a value that cannot be stored,
	// answered 500). Default: plain text with the status each error
	// documents.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives store failures, corrupt data and the warning about a
	// generated key. Session ids are never logged. Default slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultCookieName     = "sid"
	DefaultTimeout        = 24 * time.Hour
	DefaultTouchInterval  = time.Minute
	DefaultExpiredMessage = "Session expired"
	DefaultExpiredStatus  = http.StatusUnauthorized
	DefaultLockTimeout    = 10 * time.Second
	DefaultStoreTimeout   = 5 * time.Second
	DefaultFirstTimeout   = 30 * time.Minute
	DefaultCleanup        = 5 * time.Minute
	minKeyLen             = 32
)

// withDefaults returns c with every unset field at its default, or an
// error naming each field that cannot work.
func (c Config) withDefaults() (Config, error) {
	setDefault(&c.CookieName, DefaultCookieName)
	setDefault(&c.Path, "/")
	setDefault(&c.SameSite, http.SameSiteLaxMode)
	setDefault(&c.Timeout, DefaultTimeout)
	setDefault(&c.TouchInterval, DefaultTouchInterval)
	c.TouchInterval = min(c.TouchInterval, c.Timeout/2)
	setDefault(&c.ExpiredMessage, DefaultExpiredMessage)
	setDefault(&c.ExpiredStatus, DefaultExpiredStatus)
	setDefault(&c.LockTimeout, DefaultLockTimeout)
	setDefault(&c.StoreTimeout, DefaultStoreTimeout)
	setDefault(&c.FirstTimeout, DefaultFirstTimeout)
	c.FirstTimeout = min(c.FirstTimeout, c.Timeout)
	setDefault(&c.CleanupInterval, DefaultCleanup)
	if c.ClientIP == nil {
		c.ClientIP = RemoteIP
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, errors.Join(c.cookieProblems(), c.otherProblems())
}

// setDefault sets *field to def when it is the zero value.
func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// cookieProblems reports the cookie settings browsers would refuse.
func (c *Config) cookieProblems() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("session: "+format, args...)) }
	if !validCookieName(c.CookieName) {
		bad("CookieName %q is not a valid cookie name", c.CookieName)
	}
	if strings.ContainsAny(c.Path+c.Domain, ";\r\n") {
		bad("Path and Domain cannot contain ';', CR or LF")
	}
	if strings.HasPrefix(c.CookieName, "__Host-") {
		if c.Secure != Yes || c.Domain != "" || c.Path != "/" {
			bad("cookie %q: a __Host- cookie needs Secure: Yes, no Domain and Path \"/\", or browsers drop it", c.CookieName)
		}
	} else if strings.HasPrefix(c.CookieName, "__Secure-") && c.Secure != Yes {
		bad("cookie %q: a __Secure- cookie needs Secure: Yes, or browsers drop it", c.CookieName)
	}
	if c.SameSite == http.SameSiteNoneMode && c.Secure != Yes {
		bad("SameSite None needs Secure: Yes, or browsers drop the cookie")
	}
	return errors.Join(errs...)
}

// otherProblems reports the durations, statuses, keys and values that
// cannot work.
func (c *Config) otherProblems() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("session: "+format, args...)) }
	if c.Timeout < 0 || c.Lifetime < 0 || c.CookieMaxAge < 0 || c.TouchInterval < 0 || c.LockTimeout < 0 || c.StoreTimeout < 0 || c.FirstTimeout < 0 {
		bad("Timeout, Lifetime, CookieMaxAge, TouchInterval, LockTimeout, StoreTimeout and FirstTimeout cannot be negative")
	}
	if c.ExpiredStatus < 400 || c.ExpiredStatus > 599 {
		bad("ExpiredStatus %d is not an error status (400-599)", c.ExpiredStatus)
	}
	for i, k := range c.SecretKeys {
		if len(k) < minKeyLen {
			bad("SecretKeys[%d] is %d bytes; a key needs at least %d random bytes", i, len(k), minKeyLen)
		}
	}
	if c.Initializer != nil {
		if _, err := record.Copy(c.Initializer); err != nil {
			bad("Initializer: %v", err)
		}
	}
	return errors.Join(errs...)
}

func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b <= 0x20 || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}
