package web

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// httpMethods are the methods a handler type may implement, in the order
// they are listed in an Allow header.
var httpMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// methodFunc is the signature every handler method has.
type methodFunc = func(*Context) (any, error)

// allMethods is the Allow header of a function target.
var allMethods = strings.Join(httpMethods[:], ", ")

var methodFuncType = reflect.TypeOf(methodFunc(nil))
var contextPtrType = reflect.TypeOf((*Context)(nil))
var anyType = reflect.TypeOf((*any)(nil)).Elem()
var errorType = reflect.TypeOf((*error)(nil)).Elem()

// handlerType describes a registered handler value: which methods it has
// and how to make the per-request copy they are called on.
type handlerType struct {
	name    string
	value   reflect.Value // the registered value (never a pointer)
	ptr     bool          // methods need a *T: copy into a fresh pointer
	methods [len(httpMethods)]int
	has     [len(httpMethods)]bool
	allow   string
}

// instance returns this request's own copy of the registered value.
func (h *handlerType) instance() reflect.Value {
	if !h.ptr {
		return h.value // calling a value method copies the receiver
	}
	p := reflect.New(h.value.Type())
	p.Elem().Set(h.value)
	return p
}

// call runs method number m on a fresh copy of the handler.
func (h *handlerType) call(m int, c *Context) (any, error) {
	fn := h.instance().Method(h.methods[m]).Interface().(methodFunc)
	return fn(c)
}

func newEndpoint(pattern string, index int, target any) (*endpoint, error) {
	ep := &endpoint{pattern: pattern, index: index}
	fail := func(reason string) (*endpoint, error) {
		return nil, &PatternError{Pattern: pattern, Index: index, Reason: reason}
	}
	if done, reason := ep.setValueTarget(target); done {
		if reason != "" {
			return fail(reason)
		}
		return ep, nil
	}
	h, err := newHandlerType(target)
	if err != nil {
		return fail(err.Error())
	}
	if h != nil {
		ep.handler = h
		return ep, nil
	}
	if hh, ok := target.(http.Handler); ok {
		ep.plain = hh
		return ep, nil
	}
	// Checked after the handler types, so that a func type with methods
	// (GET, ServeHTTP) keeps the methods it was given.
	if fn, isFunc, reason := funcTarget(target); isFunc {
		if reason != "" {
			return fail(reason)
		}
		ep.fn = fn
		return ep, nil
	}
	return fail(fmt.Sprintf("target %T has none of the methods GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, is not a func(*web.Context) (any, error) and is not an http.Handler", target))
}

// setValueTarget makes ep serve target when it is one of the targets known
// by their type (a sub-application, a redirect) or nil, and reports
// whether it was; reason says why such a target cannot be one.
func (ep *endpoint) setValueTarget(target any) (done bool, reason string) {
	switch t := target.(type) {
	case nil:
		return true, "target is nil"
	case *Application:
		pattern := ep.pattern
		switch {
		case t == nil:
			return true, "target is a nil *Application"
		case pattern == "" || strings.HasSuffix(pattern, "/") || isRegexPattern(pattern) || strings.ContainsAny(pattern, ":*"):
			return true, "a sub-application is mounted at a literal prefix without a trailing slash, such as \"/blog\""
		}
		ep.mount = t
		return true, ""
	case *Error:
		if t == nil || t.Location == "" {
			return true, "an *Error target must be a redirect such as web.Redirect(\"/new\")"
		}
		ep.redirect = t
		return true, ""
	}
	return false, ""
}

// funcTarget returns target as a function target when it is a function;
// reason says why a function cannot be one.
func funcTarget(target any) (fn methodFunc, isFunc bool, reason string) {
	v := reflect.ValueOf(target)
	switch {
	case v.Kind() != reflect.Func:
		return nil, false, ""
	case !v.Type().ConvertibleTo(methodFuncType):
		return nil, true, fmt.Sprintf("a function target must be func(*web.Context) (any, error), not %s", v.Type())
	case v.IsNil():
		return nil, true, fmt.Sprintf("target is a nil %s", v.Type())
	}
	return v.Convert(methodFuncType).Interface().(methodFunc), true, ""
}

// newHandlerType inspects target's methods. It returns nil, nil when the
// type has no HTTP method at all, and an error when one has the wrong
// signature, so that the mistake shows when the application is built.
func newHandlerType(target any) (*handlerType, error) {
	v := reflect.ValueOf(target)
	switch {
	case (v.Kind() == reflect.Pointer || v.Kind() == reflect.Func) && v.IsNil():
		// A nil func whose type has GET would panic on every request.
		return nil, fmt.Errorf("target is a nil %T", target)
	case v.Kind() == reflect.Pointer:
		v = v.Elem()
	}
	t := v.Type()
	h := &handlerType{name: t.String(), value: v}
	found, err := h.findMethods(t)
	if err != nil || !found {
		return nil, err
	}
	// Method indexes differ between T and *T; take them from the type the
	// per-request instance will have.
	it := t
	if h.ptr {
		it = reflect.PointerTo(t)
	}
	var allow []string
	for i, name := range httpMethods {
		if h.has[i] {
			m, _ := it.MethodByName(name)
			h.methods[i] = m.Index
		}
		if h.has[i] || (name == "HEAD" && h.has[0]) || name == "OPTIONS" {
			allow = append(allow, name)
		}
	}
	h.allow = strings.Join(allow, ", ")
	return h, nil
}

// findMethods records which HTTP methods t has, and whether any needs a
// pointer receiver; it reports a method of the wrong signature.
func (h *handlerType) findMethods(t reflect.Type) (found bool, err error) {
	pt := reflect.PointerTo(t)
	for i, name := range httpMethods {
		m, ok := pt.MethodByName(name)
		if !ok {
			continue
		}
		mt := m.Type // includes the receiver
		if mt.NumIn() != 2 || mt.In(1) != contextPtrType || mt.NumOut() != 2 || mt.Out(0) != anyType || mt.Out(1) != errorType {
			return false, fmt.Errorf("%s.%s has signature %s; a handler method must be func(*web.Context) (any, error)",
				t, name, strings.Replace(mt.String(), "func(*"+t.String()+", ", "func(", 1))
		}
		if _, onValue := t.MethodByName(name); !onValue {
			h.ptr = true
		}
		found = true
		h.has[i] = true
	}
	return found, nil
}

// methodIndex returns the position of method in httpMethods, or -1.
func methodIndex(method string) int {
	for i, m := range httpMethods {
		if m == method {
			return i
		}
	}
	return -1
}
