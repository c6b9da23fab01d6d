package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// URLs is the URL tuple of web.py: a flat, ordered list of pattern and
// target pairs. The first pattern that matches a request's path wins.
//
//	var urls = web.URLs{
//		"/count", count{},             // a handler type
//		"/user/:name", user{},         // httprouter pattern, c.Param("name")
//		`/items/(\d+)/(\w+)`, items{}, // web.py regex, c.Arg(0), c.Arg(1)
//		"/old", web.Redirect("/new"),  // web.py's "redirect /new"
//		"/blog", blogApp,              // a sub-application, matched by prefix
//	}
//
// A pattern is a web.py regular expression when it contains any of
// ( ) [ ] { } \ | ^ $ + ? or a * that does not follow a slash; it is then
// anchored at both ends as web.py anchors it (^pattern\z). Every other
// pattern goes to the github.com/julienschmidt/httprouter tree, where
// :name matches one path segment and *name the rest of the path.
//
// A target is one of:
//   - a handler type: any value whose type has at least one of the methods
//     GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS with the signature
//     func(*web.Context) (any, error). Each request calls the method on its
//     own copy of the value, as web.py makes a new instance per request;
//   - a redirect error such as web.Redirect("/new") or web.SeeOther("/x"):
//     the request is redirected, with \1, \2 ... in the target replaced by
//     the captures and, for GET and HEAD, the query string kept;
//   - a function func(*web.Context) (any, error), or a func type with that
//     signature and neither HTTP methods nor ServeHTTP: called for every
//     request method, as
//     web.py calls a function target; c.Method() tells them apart. HEAD
//     calls it and sends no body. OPTIONS does not call it: it answers 204
//     with an Allow header listing every method, so that a preflight or
//     probe never runs a function written for GET or POST (give a handler
//     type an OPTIONS method to answer it yourself);
//   - an *Application: mounted at the pattern, which is then a literal
//     prefix matched by whole segments, so "/blog" serves /blog/... but
//     not /blogger (web.py's sub-application);
//   - any other http.Handler, served as is.
//
// The pattern "" matches the empty path, which is what a sub-application
// mounted at "/blog" gets for /blog itself (and an application under
// http.StripPrefix("/app", app) for /app): web.py's sub-applications
// send it on to their index with "", web.SeeOther("/"), which goes to
// /blog/. Without it, /blog answers 404, as in web.py.
type URLs []any

// Params holds a request's URL captures in the order they appear in the
// pattern. Regex groups without a name have the keys "1", "2", ...
type Params []Param

// Param is one URL capture.
type Param struct {
	Key   string
	Value string
}

// ByName returns the value of the capture named name, or "".
func (ps Params) ByName(name string) string {
	for _, p := range ps {
		if p.Key == name {
			return p.Value
		}
	}
	return ""
}

// Values returns the captured values in pattern order.
func (ps Params) Values() []string {
	vs := make([]string, len(ps))
	for i, p := range ps {
		vs[i] = p.Value
	}
	return vs
}

// endpoint is what a matched pattern leads to.
type endpoint struct {
	pattern string
	index   int // position of the pair in URLs, for error messages

	handler  *handlerType   // a handler type, or
	fn       methodFunc     // a function that answers every method, or
	redirect *Error         // a redirect rule, or
	mount    *Application   // a sub-application (prefix match), or
	plain    http.Handler   // a plain http.Handler
	re       *regexp.Regexp // regex patterns only
}

// segment is a run of the route table that is searched as one unit: a
// httprouter tree holding consecutive httprouter patterns, a single regex,
// or a single mounted prefix. Searching segments in order keeps web.py's
// "first match wins" while each tree lookup stays O(len(path)).
type segment struct {
	tree     *httprouter.Router
	patterns []*endpoint // the endpoints in tree, in URLs order
	single   *endpoint   // a regex or a mount
}

// routeTable is the compiled form of URLs.
type routeTable struct {
	segments []segment
}

// regexMeta lists the characters that make a pattern a web.py regex.
const regexMeta = `()[]{}\|^$+?`

func isRegexPattern(p string) bool {
	if strings.ContainsAny(p, regexMeta) {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '*' && (i == 0 || p[i-1] != '/') {
			return true
		}
	}
	return false
}

// PatternError reports a pattern that cannot be routed. It names the
// pattern, and the earlier pattern it conflicts with when there is one.
type PatternError struct {
	Pattern  string // the offending pattern (printed with %v if it is not a string)
	Index    int    // its position among the patterns, from 0
	Conflict string // the earlier pattern it conflicts with, if any
	Reason   string // what is wrong, and often how to write it instead
}

// Error names the pattern, its entry, and the pattern it conflicts with,
// so that the message alone points at the line of URLs to change.
func (e *PatternError) Error() string {
	if e.Conflict != "" {
		return fmt.Sprintf("web: pattern %q (entry %d) conflicts with pattern %q: %s", e.Pattern, e.Index, e.Conflict, e.Reason)
	}
	return fmt.Sprintf("web: pattern %q (entry %d): %s", e.Pattern, e.Index, e.Reason)
}

// compileRoutes turns URLs into a routeTable, reporting every malformed or
// conflicting pattern as a *PatternError rather than a panic.
func compileRoutes(urls URLs) (*routeTable, error) {
	rt := &routeTable{}
	seen := make(map[string]int)
	for i := 0; i < len(urls); i += 2 {
		n := i / 2
		pattern, ok := urls[i].(string)
		if !ok {
			return nil, &PatternError{Pattern: fmt.Sprint(urls[i]), Index: n,
				Reason: fmt.Sprintf("a pattern must be a string, not %T; URLs holds pattern, target pairs", urls[i])}
		}
		if i+1 == len(urls) {
			return nil, &PatternError{Pattern: pattern, Index: n,
				Reason: fmt.Sprintf("no target: URLs has %d entries, and it must hold pattern, target pairs", len(urls))}
		}
		if first, dup := seen[pattern]; dup {
			return nil, &PatternError{Pattern: pattern, Index: n, Conflict: pattern,
				Reason: fmt.Sprintf("listed twice (entries %d and %d); the second can never match", first, n)}
		}
		seen[pattern] = n
		ep, err := newEndpoint(pattern, n, urls[i+1])
		if err != nil {
			return nil, err
		}
		switch {
		case ep.mount != nil:
			rt.segments = append(rt.segments, segment{single: ep})
		case pattern == "" || isRegexPattern(pattern):
			// "" is no tree path; as a regex it matches the empty path
			// alone, which is what it is for.
			re, err := regexp.Compile(`^(?:` + pattern + `)\z`)
			if err != nil {
				return nil, &PatternError{Pattern: pattern, Index: n, Reason: "invalid regular expression: " + err.Error()}
			}
			ep.re = re
			rt.segments = append(rt.segments, segment{single: ep})
		default:
			if err := rt.addTreePattern(ep); err != nil {
				return nil, err
			}
		}
	}
	return rt, nil
}

// treeMethod is the one httprouter method all tree patterns are filed
// under: the handler type, not the router, decides which methods it answers.
const treeMethod = http.MethodGet

func (rt *routeTable) addTreePattern(ep *endpoint) error {
	if !strings.HasPrefix(ep.pattern, "/") {
		return &PatternError{Pattern: ep.pattern, Index: ep.index, Reason: "must begin with '/'"}
	}
	last := len(rt.segments) - 1
	if last < 0 || rt.segments[last].tree == nil {
		rt.segments = append(rt.segments, segment{tree: httprouter.New()})
		last++
	}
	seg := &rt.segments[last]
	if reason := tryHandle(seg.tree, ep); reason != "" {
		// Name the earlier pattern it collides with: the one that a
		// router holding just the two of them refuses.
		for _, prev := range seg.patterns {
			probe := httprouter.New()
			if tryHandle(probe, prev) == "" && tryHandle(probe, ep) != "" {
				return &PatternError{Pattern: ep.pattern, Index: ep.index, Conflict: prev.pattern,
					Reason: "httprouter cannot hold both (" + reason + "); " + conflictAdvice(prev.pattern, ep.pattern)}
			}
		}
		return &PatternError{Pattern: ep.pattern, Index: ep.index, Reason: reason}
	}
	seg.patterns = append(seg.patterns, ep)
	return nil
}

// tryHandle registers ep in r and returns httprouter's panic message, if any.
func tryHandle(r *httprouter.Router, ep *endpoint) (reason string) {
	defer func() {
		if v := recover(); v != nil {
			reason = fmt.Sprint(v)
		}
	}()
	r.Handle(treeMethod, ep.pattern, func(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
		w.(*endpointSink).ep = ep
	})
	return ""
}

// endpointSink receives the endpoint from a tree handle. httprouter's
// Lookup returns only the handle function, so the handle is called with a
// sink that it fills in instead of serving a request.
type endpointSink struct {
	http.ResponseWriter
	ep *endpoint
}

// match finds the endpoint for path and its captures. A mount matches by
// prefix; the returned rest is then the path below the prefix.
func (rt *routeTable) match(path string, sink *endpointSink) (ep *endpoint, params Params, rest string) {
	for i := range rt.segments {
		seg := &rt.segments[i]
		switch {
		case seg.tree != nil:
			if h, ps, _ := seg.tree.Lookup(treeMethod, path); h != nil {
				h(sink, nil, nil)
				return sink.ep, convertParams(ps), ""
			}
		case seg.single.mount != nil:
			// web.py matches a mount with startswith, which hands
			// "/blogger" to the application at "/blog" as "ger"; match
			// whole segments only. The prefix alone still reaches the
			// child, with an empty path that its pattern "" matches, or
			// else that it answers 404, as web.py does.
			if rest, ok := strings.CutPrefix(path, seg.single.pattern); ok && (rest == "" || rest[0] == '/') {
				return seg.single, nil, rest
			}
		default:
			m := seg.single.re.FindStringSubmatch(path)
			if m == nil {
				continue
			}
			names := seg.single.re.SubexpNames()
			ps := make(Params, 0, len(m)-1)
			for j := 1; j < len(m); j++ {
				key := names[j]
				if key == "" {
					key = strconv.Itoa(j)
				}
				ps = append(ps, Param{Key: key, Value: m[j]})
			}
			return seg.single, ps, ""
		}
	}
	return nil, nil, ""
}

func convertParams(ps httprouter.Params) Params {
	if len(ps) == 0 {
		return nil
	}
	out := make(Params, len(ps))
	for i, p := range ps {
		out[i] = Param{Key: p.Key, Value: p.Value}
	}
	return out
}
