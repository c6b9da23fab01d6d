package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// A session record is encoded and decoded on every request that changes
// or loads a session, so its common shape (a few scalar values) is handled
// here without reflection; anything else goes through encoding/json. The
// output is what json.Marshal writes, and FuzzRecordCodec checks both
// directions against encoding/json.

// appendRecord appends the JSON of rec to b.
func appendRecord(b []byte, rec *record) ([]byte, error) {
	b = append(b, `{"created":`...)
	b = appendTime(b, rec.Created)
	if rec.IP != "" {
		b = append(b, `,"ip":`...)
		b = appendString(b, rec.IP)
	}
	if rec.Remember != 0 {
		b = append(b, `,"remember":`...)
		b = strconv.AppendInt(b, rec.Remember, 10)
	}
	b = append(b, `,"values":`...)
	var err error
	if b, err = appendValues(b, rec.Values); err != nil {
		return nil, err
	}
	if len(rec.Flashes) > 0 {
		f, err := json.Marshal(rec.Flashes)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"flashes":`...), f...)
	}
	return append(b, '}'), nil
}

func appendValues(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, fmt.Errorf("value of %q: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		return appendFloat(b, x)
	case json.Number:
		if x == "" {
			return append(b, '0'), nil // what encoding/json writes
		}
		if !validNumber([]byte(x)) {
			return nil, fmt.Errorf("invalid number literal %q", x)
		}
		return append(b, x...), nil
	case time.Time:
		return appendTime(b, x), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendFloat writes f as encoding/json does.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("unsupported value: NaN or infinity")
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendTime(b []byte, t time.Time) []byte {
	j, err := t.MarshalJSON()
	if err != nil { // a year outside 0-9999: what encoding/json would refuse
		return append(b, `"`+t.UTC().Format(time.RFC3339Nano)+`"`...)
	}
	return append(b, j...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string, escaping as encoding/json does
// (HTML-safe, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// parseRecord decodes what appendRecord (or json.Marshal of a record)
// wrote. Numbers in values become json.Number, as with UseNumber.
func parseRecord(data []byte, rec *record) error {
	p := parser{b: data}
	if err := p.record(rec); err != nil {
		return err
	}
	p.ws()
	if p.i != len(p.b) {
		return errors.New("trailing data")
	}
	return nil
}

// record reads a record object at the parser's position.
func (p *parser) record(rec *record) error {
	return p.object(func(key []byte) error {
		// encoding/json matches field names without regard to case.
		switch {
		case bytes.EqualFold(key, []byte("created")):
			raw, err := p.rawValue()
			if err != nil {
				return err
			}
			return rec.Created.UnmarshalJSON(raw)
		case bytes.EqualFold(key, []byte("ip")):
			if p.peek() != '"' {
				raw, err := p.rawValue()
				if err == nil && string(raw) != "null" {
					err = errSyntax
				}
				return err
			}
			s, err := p.stringValue()
			rec.IP = s
			return err
		case bytes.EqualFold(key, []byte("remember")):
			raw, err := p.rawValue()
			if err != nil {
				return err
			}
			if string(raw) == "null" {
				return nil
			}
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err == nil {
				rec.Remember = n
			}
			return err
		case bytes.EqualFold(key, []byte("values")):
			if p.peek() == 'n' {
				_, err := p.rawValue()
				rec.Values = nil
				return err
			}
			if rec.Values == nil {
				rec.Values = make(map[string]any)
			}
			return p.object(func(k []byte) error {
				v, err := p.value()
				if err != nil {
					return err
				}
				rec.Values[string(k)] = v
				return nil
			})
		case bytes.EqualFold(key, []byte("flashes")):
			raw, err := p.rawValue()
			if err != nil {
				return err
			}
			rec.Flashes = nil
			return json.Unmarshal(raw, &rec.Flashes)
		default:
			_, err := p.rawValue()
			return err
		}
	})
}

// parser reads JSON from b. It handles scalars itself and hands objects
// and arrays inside values to encoding/json.
type parser struct {
	b []byte
	i int
}

var errSyntax = errors.New("invalid JSON")

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

// value reads one value of the values object.
func (p *parser) value() (any, error) {
	switch c := p.peek(); {
	case c == '"':
		return p.stringValue()
	case c == 't' || c == 'f' || c == 'n':
		raw, err := p.rawValue()
		if err != nil {
			return nil, err
		}
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return nil, errSyntax
	case c == '-' || c >= '0' && c <= '9':
		raw, err := p.rawValue()
		if err != nil {
			return nil, err
		}
		if !validNumber(raw) {
			return nil, errSyntax
		}
		return json.Number(raw), nil
	case c == '{' || c == '[':
		raw, err := p.rawValue()
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, errSyntax
}

// stringValue reads a string; the fast path copies it once.
func (p *parser) stringValue() (string, error) {
	b, err := p.stringBytes()
	return string(b), err
}

// stringBytes reads a string. Without escapes it returns a slice of the
// input; with escapes, encoding/json unquotes it.
func (p *parser) stringBytes() ([]byte, error) {
	start := p.i // at the opening quote
	p.i++
	escaped := false
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			if !escaped {
				s := p.b[start+1 : p.i-1]
				if !utf8.Valid(s) {
					escaped = true // let encoding/json replace invalid bytes
				} else {
					return s, nil
				}
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
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
	p.ws()
	start := p.i
	if p.i >= len(p.b) {
		return nil, errSyntax
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, err := p.stringBytes()
		return p.b[start:p.i], err
	case c == '{' || c == '[':
		depth := 0
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
				if depth == 0 {
					p.i++
					raw := p.b[start:p.i]
					if !json.Valid(raw) {
						return nil, errSyntax
					}
					return raw, nil
				}
			}
			p.i++
		}
		return nil, errSyntax
	default:
		for p.i < len(p.b) {
			c := p.b[p.i]
			if !(c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				break
			}
			p.i++
		}
		return p.scalar(start)
	}
}

// scalar returns the literal or number that ends at p.i.
func (p *parser) scalar(start int) ([]byte, error) {
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

// validNumber reports whether b is a JSON number.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}
