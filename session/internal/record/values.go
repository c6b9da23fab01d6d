package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// CheckValue reports whether v can be kept in a session: it must survive
// JSON. The common types are checked without encoding them.
func CheckValue(v any) error {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number, time.Time:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("NaN and infinities cannot be stored")
		}
		return nil
	case float32:
		return CheckValue(float64(x))
	}
	_, err := json.Marshal(v)
	return err
}

// Copy returns a deep copy of m, so that no two sessions share a map or a
// slice of an initializer. Types it does not know are copied through JSON.
func Copy(m map[string]any) (map[string]any, error) {
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
		return v, CheckValue(v)
	case map[string]any:
		return Copy(x)
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

// Int64 converts what Set or JSON decoding leaves behind into an int64:
// any integer type, a whole float, a json.Number or a decimal string.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return floatToInt64(f)
		}
		return 0, false
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return rv.Int(), true
	case rv.CanUint():
		u := rv.Uint()
		return int64(u), u <= math.MaxInt64
	case rv.CanFloat():
		return floatToInt64(rv.Float())
	}
	return 0, false
}

func floatToInt64(f float64) (int64, bool) {
	return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<63
}

// Float64 converts a number of any type, or a json.Number, into a float64.
func Float64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	if n, ok := Int64(v); ok {
		return float64(n), true
	}
	return 0, false
}
