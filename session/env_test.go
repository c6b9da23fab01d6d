package session

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	for _, ev := range envVars {
		t.Setenv(ev.name, "")
		os.Unsetenv(ev.name)
	}
	file := filepath.Join(t.TempDir(), "justpy.env")
	os.WriteFile(file, []byte(`# JustPy's justpy.env, Python syntax
SESSIONS = True
SESSION_COOKIE_NAME = "my_cookie_name"
COOKIE_MAX_AGE = 108000
SECRET_KEY = "my_very_secret_key_that_only_I_know"
SESSION_TIMEOUT = 1h # idle
HOST = '0.0.0.0'
`), 0o600)
	t.Setenv("SESSION_COOKIE_SAMESITE", "strict")
	t.Setenv("COOKIE_MAX_AGE", "60") // the environment wins over the file
	c, err := ConfigFromEnv(Config{Timeout: 2 * time.Hour}, file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Disabled || c.CookieName != "my_cookie_name" || c.CookieMaxAge != time.Minute ||
		len(c.SecretKeys) != 1 || c.SecretKeys[0] != "my_very_secret_key_that_only_I_know" ||
		c.Timeout != 2*time.Hour || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("config = %+v", c)
	}
	t.Setenv("SESSIONS", "False")
	if c, _ := ConfigFromEnv(Config{}, file); !c.Disabled {
		t.Error("SESSIONS=False did not disable sessions")
	}
	if c, _ := ConfigFromEnv(Config{}, filepath.Join(t.TempDir(), "missing.env")); c.CookieName != "" {
		t.Error("a missing env file changed the config")
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"SESSIONS", "maybe", "SESSIONS"},
		{"COOKIE_MAX_AGE", "a week", "COOKIE_MAX_AGE"},
		{"COOKIE_MAX_AGE", "-5", "COOKIE_MAX_AGE"},
		{"SESSION_TIMEOUT", "-1h", "SESSION_TIMEOUT"},
		{"SESSION_COOKIE_SECURE", "sometimes", "SESSION_COOKIE_SECURE"},
		{"SESSION_COOKIE_SAMESITE", "loose", "SESSION_COOKIE_SAMESITE"},
		{"SECRET_KEY", "$$$my_secret_string$$$", "at least 32"},
		{"SESSION_COOKIE_NAME", "__Host-sid", "__Host-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			_, err := ConfigFromEnv(Config{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%q: %v; want an error mentioning %q", tc.name, tc.value, err, tc.want)
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.env")
	os.WriteFile(bad, []byte("just words\n"), 0o600)
	if _, err := ConfigFromEnv(Config{}, bad); err == nil || !strings.Contains(err.Error(), "bad.env:1") {
		t.Errorf("a malformed line: %v", err)
	}
}
