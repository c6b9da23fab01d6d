package record

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parser reads JSON from b. It handles scalars itself and hands objects
// and arrays inside values to encoding/json.
type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// end reports an error unless only white space is left.
func (p *parser) end() error {
	if p.ws(); p.i != len(p.b) {
		return errSyntax
	}
	return nil
}

// object reads {"key": value, ...}, calling field after each key with the
// parser at the value.
func (p *parser) object(field func(key []byte) error) error {
	if p.peek() != '{' {
		return errSyntax
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		if p.peek() != '"' {
			return errSyntax
		}
		key, err := p.stringBytes()
		if err != nil {
			return err
		}
		if p.peek() != ':' {
			return errSyntax
		}
		p.i++
		if err := field(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// value reads one value of the values object: numbers become
// json.Number, objects and arrays what encoding/json makes of them.
func (p *parser) value() (any, error) {
	c := p.peek()
	if c == '"' {
		return p.stringValue()
	}
	raw, err := p.rawValue()
	if err != nil {
		return nil, err
	}
	switch {
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == 'n':
		return nil, nil
	case c == '-' || c >= '0' && c <= '9':
		return json.Number(raw), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// stringOrNull reads a string, or null (ok == false).
func (p *parser) stringOrNull() (s string, ok bool, err error) {
	if p.peek() == '"' {
		s, err = p.stringValue()
		return s, true, err
	}
	raw, err := p.rawValue()
	if err == nil && string(raw) != "null" {
		err = errSyntax
	}
	return "", false, err
}

// intOrNull reads an integer into *n, or null, which leaves *n alone.
func (p *parser) intOrNull(n *int64) error {
	raw, err := p.rawValue()
	if err != nil || string(raw) == "null" {
		return err
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err == nil {
		*n = v
	}
	return err
}

// stringValue reads a string; the fast path copies it once.
func (p *parser) stringValue() (string, error) {
	b, err := p.stringBytes()
	return string(b), err
}

// stringBytes reads a string. Without escapes it returns a slice of the
// input; with escapes or invalid UTF-8, encoding/json unquotes it.
func (p *parser) stringBytes() ([]byte, error) {
	start := p.i // at the opening quote
	p.i++
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			quoted := p.b[start:p.i]
			if s := quoted[1 : len(quoted)-1]; !escaped && utf8.Valid(s) {
				return s, nil
			}
			var s string
			if err := json.Unmarshal(quoted, &s); err != nil {
				return nil, err
			}
			return []byte(s), nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, errSyntax
		default:
			p.i++
		}
	}
	return nil, errSyntax
}

// rawValue returns the bytes of the next value, of any kind, checking
// that they are well formed JSON.
func (p *parser) rawValue() ([]byte, error) {
	switch p.peek() {
	case 0:
		return nil, errSyntax
	case '"':
		start := p.i
		_, err := p.stringBytes()
		return p.b[start:p.i], err
	case '{', '[':
		return p.rawComposite()
	}
	start := p.i
	for p.i < len(p.b) && scalarByte(p.b[p.i]) {
		p.i++
	}
	raw := p.b[start:p.i]
	switch string(raw) {
	case "true", "false", "null":
		return raw, nil
	}
	if validNumber(raw) {
		return raw, nil
	}
	return nil, errSyntax
}

// scalarByte reports whether c can be part of a literal or a number.
func scalarByte(c byte) bool {
	return c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// rawComposite returns the bytes of the object or array at the parser's
// position, skipping strings whole so that brackets inside them do not
// count.
func (p *parser) rawComposite() ([]byte, error) {
	start, depth := p.i, 0
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '"':
			if _, err := p.stringBytes(); err != nil {
				return nil, err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		p.i++
		if depth == 0 {
			if raw := p.b[start:p.i]; json.Valid(raw) {
				return raw, nil
			}
			return nil, errSyntax
		}
	}
	return nil, errSyntax
}

// validNumber reports whether b is a JSON number:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func validNumber(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("-"))
	switch {
	case len(b) > 0 && b[0] == '0':
		b = b[1:]
	case len(b) > 0 && b[0] >= '1' && b[0] <= '9':
		b = skipDigits(b)
	default:
		return false
	}
	b, ok := part(b, ".", "")
	if ok {
		b, ok = part(b, "eE", "+-")
	}
	return ok && len(b) == 0
}

// part skips an optional part of a number: one of the bytes in lead, then
// optionally one of sign, then at least one digit. It reports false when
// the part is started but not finished.
func part(b []byte, lead, sign string) ([]byte, bool) {
	if len(b) == 0 || strings.IndexByte(lead, b[0]) < 0 {
		return b, true
	}
	b = b[1:]
	if sign != "" && len(b) > 0 && strings.IndexByte(sign, b[0]) >= 0 {
		b = b[1:]
	}
	if !startsWithDigit(b) {
		return b, false
	}
	return skipDigits(b), true
}

func startsWithDigit(b []byte) bool { return len(b) > 0 && b[0] >= '0' && b[0] <= '9' }

func skipDigits(b []byte) []byte {
	for startsWithDigit(b) {
		b = b[1:]
	}
	return b
}
