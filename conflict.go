package web

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// conflictAdvice says how to write two patterns that httprouter cannot
// hold together, first listed before second, so that they route as
// web.py would route them. The way out is always the same: the pattern
// with the wildcard becomes a regex, which gets a segment of the route
// table of its own; what changes with the order is which pattern that
// is, and whether the second can be reached at all.
func conflictAdvice(first, second string) string {
	switch {
	case !strings.ContainsAny(first, ":*"):
		return fmt.Sprintf("to let the first win, write %q as a web.py regex such as `%s`", second, treeRegex(second))
	case !strings.ContainsAny(second, ":*") && shadows(first, second):
		return fmt.Sprintf("%q matches %q too and wins, being first, as in web.py; for %q to reach its own target, list %q first and write %q as a web.py regex such as `%s`",
			first, second, second, second, first, treeRegex(first))
	}
	return fmt.Sprintf("to keep this order, the first winning wherever both match, write %q as a web.py regex such as `%s`", first, treeRegex(first))
}

// shadows reports whether the httprouter pattern first matches path.
func shadows(first, path string) bool {
	r := httprouter.New()
	if tryHandle(r, &endpoint{pattern: first}) != "" {
		return false
	}
	h, _, _ := r.Lookup(treeMethod, path)
	return h != nil
}

// captureName is what a named group of a Go regex may be called.
var captureName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// treeRegex writes an httprouter pattern as the web.py regex that
// matches the same paths with the same captures: :name one segment's
// rest, *name the rest of the path with the slash before it, as
// httprouter captures it. A name a regex group cannot have makes the
// group unnamed, still read by position with c.Arg.
func treeRegex(pattern string) string {
	var b strings.Builder
	for pattern != "" {
		i := strings.IndexAny(pattern, ":*")
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(pattern))
			break
		}
		lit, kind := pattern[:i], pattern[i]
		name, rest, slash := strings.Cut(pattern[i+1:], "/")
		if slash {
			rest = "/" + rest
		}
		body := `[^/]+`
		if kind == '*' {
			lit, body, rest = strings.TrimSuffix(lit, "/"), `/.*`, ""
		}
		b.WriteString(regexp.QuoteMeta(lit))
		if captureName.MatchString(name) {
			b.WriteString("(?P<" + name + ">" + body + ")")
		} else {
			b.WriteString("(" + body + ")")
		}
		pattern = rest
	}
	return b.String()
}
