package main

import (
	"log"
	"os"
	"strings"
)

// lines returns the non-blank lines of the file at path; none when path
// is empty or names no file, since that part of the run was not run.
func lines(path string) []string {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil // that part has not been run
	}
	if err != nil {
		log.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// readMeta reads the key=value lines run.sh writes about the machine and
// the run; a line without "=" is ignored.
func readMeta(path string) map[string]string {
	m := map[string]string{}
	for _, l := range lines(path) {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}
