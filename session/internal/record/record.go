package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Record is what a store keeps for one session. M is the type of a flash
// message, which the session package defines.
type Record[M any] struct {
	Created  time.Time      `json:"created"`
	IP       string         `json:"ip,omitempty"`
	Remember int64          `json:"remember,omitempty"` // seconds, set by RememberMe
	Values   map[string]any `json:"values"`
	Flashes  []M            `json:"flashes,omitempty"`
}

// Envelope is what a cookie that carries the whole session holds: the
// session's id and deadline around its record.
type Envelope[M any] struct {
	ID       string    `json:"id"`
	Deadline int64     `json:"exp"` // Unix seconds; the cookie is refused after it
	Rec      Record[M] `json:"s"`
}

// Encode returns the JSON of r, as json.Marshal writes it.
func Encode[M any](r *Record[M]) ([]byte, error) {
	return appendRecord(make([]byte, 0, 256), r)
}

// Decode reads a record that Encode (or json.Marshal) wrote. Numbers in
// values become json.Number, as with UseNumber, so that large integers
// survive. Values is never nil afterwards.
func Decode[M any](data []byte, r *Record[M]) error {
	p := parser{b: data}
	if err := readRecord(&p, r); err != nil {
		return err
	}
	if err := p.end(); err != nil {
		return err
	}
	if r.Values == nil {
		r.Values = make(map[string]any)
	}
	return nil
}

// EncodeEnvelope returns the JSON of e, as json.Marshal writes it.
func EncodeEnvelope[M any](e *Envelope[M]) ([]byte, error) {
	b := append(make([]byte, 0, 256), `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, e.Deadline, 10)
	b = append(b, `,"s":`...)
	b, err := appendRecord(b, &e.Rec)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// DecodeEnvelope reads what EncodeEnvelope wrote. The record is read in
// place, not scanned first. Rec.Values is never nil afterwards.
func DecodeEnvelope[M any](data []byte, e *Envelope[M]) error {
	p := parser{b: data}
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "id":
			if p.peek() != '"' {
				return errSyntax
			}
			var err error
			e.ID, err = p.stringValue()
			return err
		case "s":
			return readRecord(&p, &e.Rec)
		}
		raw, err := p.rawValue()
		if err == nil && string(key) == "exp" {
			e.Deadline, err = strconv.ParseInt(string(raw), 10, 64)
		}
		return err
	})
	if err == nil {
		err = p.end()
	}
	if err == nil && e.Rec.Values == nil {
		e.Rec.Values = make(map[string]any)
	}
	return err
}

func appendRecord[M any](b []byte, r *Record[M]) ([]byte, error) {
	b = append(b, `{"created":`...)
	b = appendTime(b, r.Created)
	if r.IP != "" {
		b = append(b, `,"ip":`...)
		b = appendString(b, r.IP)
	}
	if r.Remember != 0 {
		b = append(b, `,"remember":`...)
		b = strconv.AppendInt(b, r.Remember, 10)
	}
	b = append(b, `,"values":`...)
	b, err := appendValues(b, r.Values)
	if err != nil {
		return nil, err
	}
	if len(r.Flashes) > 0 {
		f, err := json.Marshal(r.Flashes)
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

// readRecord reads a record object at the parser's position.
// encoding/json matches field names without regard to case, and so does
// readRecord.
func readRecord[M any](p *parser, r *Record[M]) error {
	return p.object(func(key []byte) error {
		switch {
		case bytes.EqualFold(key, []byte("created")):
			raw, err := p.rawValue()
			if err != nil {
				return err
			}
			return r.Created.UnmarshalJSON(raw)
		case bytes.EqualFold(key, []byte("ip")):
			s, ok, err := p.stringOrNull()
			if ok {
				r.IP = s
			}
			return err
		case bytes.EqualFold(key, []byte("remember")):
			return p.intOrNull(&r.Remember)
		case bytes.EqualFold(key, []byte("values")):
			return readValues(p, &r.Values)
		case bytes.EqualFold(key, []byte("flashes")):
			raw, err := p.rawValue()
			if err != nil {
				return err
			}
			r.Flashes = nil
			return json.Unmarshal(raw, &r.Flashes)
		default:
			_, err := p.rawValue()
			return err
		}
	})
}

// readValues reads the values object into *m, or nil for null.
func readValues(p *parser, m *map[string]any) error {
	if p.peek() == 'n' {
		_, err := p.rawValue()
		*m = nil
		return err
	}
	if *m == nil {
		*m = make(map[string]any)
	}
	return p.object(func(k []byte) error {
		v, err := p.value()
		if err != nil {
			return err
		}
		(*m)[string(k)] = v
		return nil
	})
}

var errSyntax = errors.New("invalid JSON")
