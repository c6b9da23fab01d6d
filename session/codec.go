package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// record is what a store keeps for one session. It is JSON, so that
// `cat sessions/<key>` shows it:
//
//	{"created":"2026-11-23T11:15:39Z","ip":"127.0.0.1","values":{"count":3}}
type record struct {
	Created  time.Time      `json:"created"`
	IP       string         `json:"ip,omitempty"`
	Remember int64          `json:"remember,omitempty"` // seconds, set by RememberMe
	Values   map[string]any `json:"values"`
	Flashes  []Message      `json:"flashes,omitempty"`
}

func encodeRecord(rec *record) ([]byte, error) {
	return appendRecord(make([]byte, 0, 256), rec)
}

// decodeRecord reads a record, keeping numbers as json.Number so that
// large integers survive; the typed getters convert them.
func decodeRecord(data []byte, rec *record) error {
	if err := parseRecord(data, rec); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if rec.Values == nil {
		rec.Values = make(map[string]any)
	}
	return nil
}

// checkValue reports whether v can be stored: it must survive JSON. The
// common types are checked without encoding them.
func checkValue(v any) error {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number, time.Time:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("NaN and infinities cannot be stored")
		}
		return nil
	case float32:
		return checkValue(float64(x))
	}
	if _, err := json.Marshal(v); err != nil {
		return err
	}
	return nil
}

// deepCopy copies an initializer so that no two sessions share a map or
// a slice. Types it does not know are copied through JSON.
func deepCopy(m map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		c, err := copyValue(v)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func copyValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number, time.Time:
		return v, checkValue(v)
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := copyValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case []string:
		return append([]string(nil), x...), nil
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

// toInt64 converts what Set or JSON decoding leaves behind into an int64.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64:
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<63
	case float32:
		return toInt64(float64(x))
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return toInt64(f)
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	return 0, false
}
