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

// envVar is an environment variable ConfigFromEnv reads: its name, the
// Config field it sets (as the README's table says), and how it sets that
// field when Go left it unset. The names JustPy uses in justpy.env
// (SESSIONS, SESSION_COOKIE_NAME, COOKIE_MAX_AGE, SECRET_KEY) keep their
// meaning.
type envVar struct {
	name, field string
	set         func(c *Config, value string, vars map[string]string) error
}

var envVars = [...]envVar{
	{"SESSIONS", "Disabled (false turns sessions off)", func(c *Config, v string, _ map[string]string) error {
		on, err := parseBool(v)
		c.Disabled = c.Disabled || (err == nil && !on)
		return err
	}},
	{"SESSION_COOKIE_NAME", "CookieName", envString(func(c *Config) *string { return &c.CookieName })},
	{"SESSION_COOKIE_DOMAIN", "Domain", envString(func(c *Config) *string { return &c.Domain })},
	{"SESSION_COOKIE_PATH", "Path", envString(func(c *Config) *string { return &c.Path })},
	{"SESSION_COOKIE_SECURE", "Secure", envToggle(func(c *Config) *Toggle { return &c.Secure })},
	{"SESSION_COOKIE_HTTPONLY", "HTTPOnly", envToggle(func(c *Config) *Toggle { return &c.HTTPOnly })},
	{"SESSION_COOKIE_SAMESITE", "SameSite (lax, strict, none)", envSameSite},
	{"COOKIE_MAX_AGE", "CookieMaxAge", envDuration(func(c *Config) *time.Duration { return &c.CookieMaxAge })},
	{"SESSION_TIMEOUT", "Timeout", envDuration(func(c *Config) *time.Duration { return &c.Timeout })},
	{"SESSION_LIFETIME", "Lifetime", envDuration(func(c *Config) *time.Duration { return &c.Lifetime })},
	{"SESSION_IGNORE_EXPIRY", "IgnoreExpiry", envToggle(func(c *Config) *Toggle { return &c.IgnoreExpiry })},
	{"SESSION_EXPIRED_MESSAGE", "ExpiredMessage", envString(func(c *Config) *string { return &c.ExpiredMessage })},
	{"SESSION_IGNORE_CHANGE_IP", "IgnoreChangeIP", envToggle(func(c *Config) *Toggle { return &c.IgnoreChangeIP })},
	{"SESSION_SAVE_EVERY_REQUEST", "SaveEveryRequest", func(c *Config, v string, _ map[string]string) error {
		b, err := parseBool(v)
		c.SaveEveryRequest = c.SaveEveryRequest || b
		return err
	}},
	{"SESSION_KEY_FILE", "KeyFile", envString(func(c *Config) *string { return &c.KeyFile })},
	{"SECRET_KEY", "SecretKeys[0]", envSecretKeys},
	{"SECRET_KEY_FALLBACKS", "SecretKeys[1:] (comma-separated)", nil}, // read with SECRET_KEY
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
	vars, where, err := gatherEnv(envFiles)
	if err != nil {
		return base, err
	}
	c := base
	var errs []error
	for _, ev := range envVars {
		v, ok := vars[ev.name]
		if !ok || ev.set == nil {
			continue
		}
		if err := ev.set(&c, v, vars); err != nil {
			errs = append(errs, fmt.Errorf("session: %s=%q (from %s): %v", ev.name, v, where[ev.name], err))
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

// gatherEnv returns the variables of envVars set in the environment or
// the files, the environment first and then the files in order, with
// where each came from.
func gatherEnv(envFiles []string) (vars, where map[string]string, err error) {
	vars, where = map[string]string{}, map[string]string{}
	for i := len(envFiles) - 1; i >= 0; i-- {
		fileVars, err := readEnvFile(envFiles[i])
		if err != nil {
			return nil, nil, err
		}
		for k, v := range fileVars {
			vars[k], where[k] = v, envFiles[i]
		}
	}
	for _, ev := range envVars {
		if v, ok := os.LookupEnv(ev.name); ok {
			vars[ev.name], where[ev.name] = v, "the environment"
		}
	}
	return vars, where, nil
}

// envString sets a string field.
func envString(field func(*Config) *string) func(*Config, string, map[string]string) error {
	return func(c *Config, v string, _ map[string]string) error {
		setDefault(field(c), v)
		return nil
	}
}

// envToggle sets a Toggle field from a switch.
func envToggle(field func(*Config) *Toggle) func(*Config, string, map[string]string) error {
	return func(c *Config, v string, _ map[string]string) error {
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		t := No
		if b {
			t = Yes
		}
		setDefault(field(c), t)
		return nil
	}
}

// envDuration sets a duration field.
func envDuration(field func(*Config) *time.Duration) func(*Config, string, map[string]string) error {
	return func(c *Config, v string, _ map[string]string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		setDefault(field(c), d)
		return nil
	}
}

func envSameSite(c *Config, v string, _ map[string]string) error {
	modes := map[string]http.SameSite{"lax": http.SameSiteLaxMode, "strict": http.SameSiteStrictMode, "none": http.SameSiteNoneMode}
	mode, ok := modes[strings.ToLower(v)]
	if !ok {
		return errors.New("want lax, strict or none")
	}
	setDefault(&c.SameSite, mode)
	return nil
}

// envSecretKeys sets SecretKeys from SECRET_KEY and SECRET_KEY_FALLBACKS.
func envSecretKeys(c *Config, v string, vars map[string]string) error {
	if v == "" || len(c.SecretKeys) > 0 {
		return nil
	}
	c.SecretKeys = []string{v}
	for _, f := range strings.Split(vars["SECRET_KEY_FALLBACKS"], ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.SecretKeys = append(c.SecretKeys, f)
		}
	}
	if len(v) < minKeyLen {
		return fmt.Errorf("%d bytes; a key needs at least %d random bytes", len(v), minKeyLen)
	}
	return nil
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
		if knownEnvVar(name) {
			vars[name] = unquote(strings.TrimSpace(value))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("session: %s: %w", path, err)
	}
	return vars, nil
}

func knownEnvVar(name string) bool {
	for _, ev := range envVars {
		if ev.name == name {
			return true
		}
	}
	return false
}

// unquote returns an env file's value without its quotes, or without its
// trailing # comment when it has none.
func unquote(value string) string {
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		return value[1 : len(value)-1]
	}
	if i := strings.Index(value, " #"); i >= 0 {
		return strings.TrimSpace(value[:i])
	}
	return value
}
