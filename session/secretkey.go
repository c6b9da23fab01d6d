package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables read when Config.SecretKeys is empty.
const (
	EnvSecretKey          = "SECRET_KEY"
	EnvSecretKeyFallbacks = "SECRET_KEY_FALLBACKS"
)

// resolveKeys returns the signing keys: from the config, else from the
// environment, else kept by the store (KeyKeeper), else from a key file it
// creates when missing. It never falls back to a key written in the
// source.
func resolveKeys(c *Config, store Store, log *slog.Logger) ([][]byte, error) {
	keys, source := c.SecretKeys, "SecretKeys"
	if len(keys) == 0 {
		keys, source = keysFromEnv(), EnvSecretKey
	}
	var err error
	if kk, ok := store.(KeyKeeper); ok && len(keys) == 0 && c.KeyFile == "" {
		keys, source, err = keyKeptBy(kk, log)
	} else if len(keys) == 0 {
		keys, source, err = keyInFile(c.KeyFile, store, log)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("session: secret key %d from %s is %d bytes; a key needs at least %d random bytes (try: openssl rand -hex 32)", i, source, len(k), minKeyLen)
		}
		out[i] = []byte(k)
	}
	return out, nil
}

// keysFromEnv returns SECRET_KEY followed by SECRET_KEY_FALLBACKS, or
// nothing when SECRET_KEY is unset.
func keysFromEnv() []string {
	k := os.Getenv(EnvSecretKey)
	if k == "" {
		return nil
	}
	keys := []string{k}
	for _, f := range strings.Split(os.Getenv(EnvSecretKeyFallbacks), ",") {
		if f = strings.TrimSpace(f); f != "" {
			keys = append(keys, f)
		}
	}
	return keys
}

// keyKeptBy returns the key the store keeps for every instance that
// shares it, after giving it one to keep if it has none.
func keyKeptBy(kk KeyKeeper, log *slog.Logger) ([]string, string, error) {
	generated, err := randomKey()
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := kk.SharedKey(ctx, generated)
	if err != nil {
		return nil, "", fmt.Errorf("session: no secret key configured, and the store could not keep one: %w", err)
	}
	log.Warn("session: no secret key configured; using the generated key kept in the session store, shared by every instance that uses it. Set " +
		EnvSecretKey + " or Config.SecretKeys in production.")
	return []string{k}, "the session store", nil
}

// keyInFile returns the key in path, creating the file when it is
// missing. The default path is secret.key in the store's folder, or
// session.key in the working directory.
func keyInFile(path string, store Store, log *slog.Logger) ([]string, string, error) {
	if path == "" {
		path = "session.key"
		if kd, ok := store.(KeyDirStore); ok {
			path = filepath.Join(kd.KeyDir(), "secret.key")
		}
	}
	k, created, err := loadOrCreateKeyFile(path)
	if err != nil {
		return nil, "", err
	}
	how := "using the generated key in " + path
	if created {
		how = "generated one and kept it in " + path + " (readable by its owner only)"
	}
	log.Warn("session: no secret key configured; "+how+". Set "+EnvSecretKey+" or Config.SecretKeys in production.", "file", path)
	return []string{k}, path, nil
}

// randomKey returns a new key: 32 random bytes in hex.
func randomKey() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("session: generating a key: %w", err)
	}
	return hex.EncodeToString(raw[:]), nil
}

// loadOrCreateKeyFile reads the key in path, or creates the file with a
// new random key. A file that others can read is refused, as ssh refuses a
// private key with loose permissions.
func loadOrCreateKeyFile(path string) (key string, created bool, err error) {
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			st, serr := os.Stat(path)
			if serr != nil {
				return "", false, fmt.Errorf("session: key file: %w", serr)
			}
			if st.Mode().Perm()&0o077 != 0 {
				return "", false, fmt.Errorf("session: key file %s has mode %v; it must be readable by its owner only (chmod 600 %s)", path, st.Mode().Perm(), path)
			}
			k := strings.TrimSpace(string(b))
			if len(k) < minKeyLen {
				return "", false, fmt.Errorf("session: key file %s holds %d bytes; a key needs at least %d (delete the file to generate a new one)", path, len(k), minKeyLen)
			}
			return k, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false, fmt.Errorf("session: key file: %w", err)
		}
		k, err := randomKey()
		if err != nil {
			return "", false, err
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return "", false, fmt.Errorf("session: key file: %w", err)
			}
		}
		// O_EXCL: when two processes start at once, one creates the file
		// and the other reads it on the next turn of the loop.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", false, fmt.Errorf("session: key file: %w", err)
		}
		_, werr := f.WriteString(k + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return "", false, fmt.Errorf("session: key file: %w", werr)
		}
		return k, true, nil
	}
	return "", false, fmt.Errorf("session: key file %s: created by another process but unreadable", path)
}
