package session

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// envVars lists the environment variables ConfigFromEnv reads and the
// Config field each one sets, as the README's table does. The names JustPy
// uses in justpy.env (SESSIONS, SESSION_COOKIE_NAME, COOKIE_MAX_AGE,
// SECRET_KEY) keep their meaning.
var envVars = [...][2]string{
	{"SESSIONS", "Disabled (false turns sessions off)"},
	{"SESSION_COOKIE_NAME", "CookieName"},
	{"SESSION_COOKIE_DOMAIN", "Domain"},
	{"SESSION_COOKIE_PATH", "Path"},
	{"SESSION_COOKIE_SECURE", "Secure"},
	{"SESSION_COOKIE_HTTPONLY", "HTTPOnly"},
	{"SESSION_COOKIE_SAMESITE", "SameSite (lax, strict, none)"},
	{"COOKIE_MAX_AGE", "CookieMaxAge"},
	{"SESSION_TIMEOUT", "Timeout"},
	{"SESSION_LIFETIME", "Lifetime"},
	{"SESSION_IGNORE_EXPIRY", "IgnoreExpiry"},
	{"SESSION_EXPIRED_MESSAGE", "ExpiredMessage"},
	{"SESSION_IGNORE_CHANGE_IP", "IgnoreChangeIP"},
	{"SESSION_SAVE_EVERY_REQUEST", "SaveEveryRequest"},
	{"SESSION_KEY_FILE", "KeyFile"},
	{"SECRET_KEY", "SecretKeys[0]"},
	{"SECRET_KEY_FALLBACKS", "SecretKeys[1:] (comma-separated)"},
}

// ConfigFromEnv fills the fields of base that are still unset from the
// environment and then from env files, like JustPy's justpy.env: the
// process's environment wins over a file, and a field set in Go wins over
// both. Durations are seconds ("86400") or Go durations ("24h");
// switches are true/false, yes/no, on/off or 1/0 (Python's True and False
// too). An env file has one NAME = value per line, with optional quotes
// and # comments; a file that does not exist is skipped. Every bad value is
// reported, naming the variable and where it came from.
func ConfigFromEnv(base Config, envFiles ...string) (Config, error) {
	vars := map[string]string{}
	where := map[string]string{}
	for i := len(envFiles) - 1; i >= 0; i-- {
		fileVars, err := readEnvFile(envFiles[i])
		if err != nil {
			return base, err
		}
		for k, v := range fileVars {
			vars[k], where[k] = v, envFiles[i]
		}
	}
	for _, ev := range envVars {
		if v, ok := os.LookupEnv(ev[0]); ok {
			vars[ev[0]], where[ev[0]] = v, "the environment"
		}
	}
	c := base
	var errs []error
	bad := func(name, why string) {
		errs = append(errs, fmt.Errorf("session: %s=%q (from %s): %s", name, vars[name], where[name], why))
	}
	str := func(name string, field *string) {
		if v, ok := vars[name]; ok && *field == "" {
			*field = v
		}
	}
	toggle := func(name string, field *Toggle) {
		v, ok := vars[name]
		if !ok || *field != Default {
			return
		}
		b, err := parseBool(v)
		if err != nil {
			bad(name, err.Error())
			return
		}
		*field = No
		if b {
			*field = Yes
		}
	}
	duration := func(name string, field *time.Duration) {
		v, ok := vars[name]
		if !ok || *field != 0 {
			return
		}
		d, err := parseDuration(v)
		if err != nil {
			bad(name, err.Error())
			return
		}
		*field = d
	}
	if v, ok := vars["SESSIONS"]; ok && !c.Disabled {
		on, err := parseBool(v)
		if err != nil {
			bad("SESSIONS", err.Error())
		}
		c.Disabled = err == nil && !on
	}
	str("SESSION_COOKIE_NAME", &c.CookieName)
	str("SESSION_COOKIE_DOMAIN", &c.Domain)
	str("SESSION_COOKIE_PATH", &c.Path)
	toggle("SESSION_COOKIE_SECURE", &c.Secure)
	toggle("SESSION_COOKIE_HTTPONLY", &c.HTTPOnly)
	if v, ok := vars["SESSION_COOKIE_SAMESITE"]; ok && c.SameSite == 0 {
		switch strings.ToLower(v) {
		case "lax":
			c.SameSite = http.SameSiteLaxMode
		case "strict":
			c.SameSite = http.SameSiteStrictMode
		case "none":
			c.SameSite = http.SameSiteNoneMode
		default:
			bad("SESSION_COOKIE_SAMESITE", "want lax, strict or none")
		}
	}
	duration("COOKIE_MAX_AGE", &c.CookieMaxAge)
	duration("SESSION_TIMEOUT", &c.Timeout)
	duration("SESSION_LIFETIME", &c.Lifetime)
	toggle("SESSION_IGNORE_EXPIRY", &c.IgnoreExpiry)
	str("SESSION_EXPIRED_MESSAGE", &c.ExpiredMessage)
	toggle("SESSION_IGNORE_CHANGE_IP", &c.IgnoreChangeIP)
	if v, ok := vars["SESSION_SAVE_EVERY_REQUEST"]; ok && !c.SaveEveryRequest {
		b, err := parseBool(v)
		if err != nil {
			bad("SESSION_SAVE_EVERY_REQUEST", err.Error())
		}
		c.SaveEveryRequest = b
	}
	str("SESSION_KEY_FILE", &c.KeyFile)
	if v, ok := vars["SECRET_KEY"]; ok && v != "" && len(c.SecretKeys) == 0 {
		if len(v) < minKeyLen {
			bad("SECRET_KEY", fmt.Sprintf("%d bytes; a key needs at least %d random bytes", len(v), minKeyLen))
		}
		c.SecretKeys = []string{v}
		for _, f := range strings.Split(vars["SECRET_KEY_FALLBACKS"], ",") {
			if f = strings.TrimSpace(f); f != "" {
				c.SecretKeys = append(c.SecretKeys, f)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return base, err
	}
	if _, err := c.withDefaults(); err != nil {
		return base, err
	}
	return c, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New("want true or false")
}

func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(100*365*24*time.Hour/time.Second) {
			return 0, errors.New("out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("want seconds, such as 86400, or a duration, such as 24h")
	}
	if d < 0 {
		return 0, errors.New("cannot be negative")
	}
	return d, nil
}

// readEnvFile reads the NAME = value lines of the variables in envVars;
// other names are skipped, since the file may configure the rest of the
// application too.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: env file: %w", err)
	}
	defer f.Close()
	known := map[string]bool{}
	for _, ev := range envVars {
		known[ev[0]] = true
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(strings.TrimPrefix(name, "export "))
		if !ok || name == "" {
			return nil, fmt.Errorf("session: %s:%d: want NAME = value", path, n)
		}
		if !known[name] {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		vars[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("session: %s: %w", path, err)
	}
	return vars, nil
}
