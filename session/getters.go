package session

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gowebpy/web/session/internal/record"
)

// The typed getters read what Set stored, or what JSON decoding left of it
// after a round trip through the store (json.Number, RFC 3339 strings).

// Int returns the value of key as an int, or 0 when it is missing or not
// a whole number.
func (s *Session) Int(key string) int { return int(s.Int64(key)) }

// Int64 returns the value of key as an int64, or 0 when it is missing or
// not a whole number.
func (s *Session) Int64(key string) int64 {
	if n, ok := record.Int64(s.Get(key)); ok {
		return n
	}
	return 0
}

// Float returns the value of key as a float64, or 0 when it is missing or
// not a number.
func (s *Session) Float(key string) float64 {
	if f, ok := record.Float64(s.Get(key)); ok {
		return f
	}
	return 0
}

// String returns the value of key if it is a string, or "".
func (s *Session) String(key string) string { str, _ := s.Get(key).(string); return str }

// Bool returns the value of key if it is a bool, or false.
func (s *Session) Bool(key string) bool { b, _ := s.Get(key).(bool); return b }

// Time returns the value of key as a time.Time, or the zero time. A time
// comes back from the store as an RFC 3339 string, which Time parses.
func (s *Session) Time(key string) time.Time {
	switch v := s.Get(key).(type) {
	case time.Time:
		return v
	case string:
		t, _ := time.Parse(time.RFC3339Nano, v)
		return t
	}
	return time.Time{}
}

// Decode stores the value of key in v, as json.Unmarshal would: a struct
// or a slice that Set stored comes back from the store as the map[string]any
// or []any JSON decoding makes of it, and Decode gives it its type again.
// A missing key leaves v as it is and returns nil; Has tells the two apart.
func (s *Session) Decode(key string, v any) error {
	value := s.Get(key)
	if value == nil {
		return nil
	}
	b, err := json.Marshal(value)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("session: decoding the value of %q: %w", key, err)
	}
	return nil
}
