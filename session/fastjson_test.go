package session

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// stdDecode is the reference: encoding/json with UseNumber.
func stdDecode(data []byte, rec *record) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(rec); err != nil {
		return err
	}
	if dec.More() {
		return errSyntax
	}
	return nil
}

// FuzzRecordCodec checks the hand-written codec against encoding/json: a
// record it reads, encoding/json reads the same; a record it writes is
// byte for byte what json.Marshal writes.
func FuzzRecordCodec(f *testing.F) {
	for _, seed := range []string{
		`{"created":"2026-11-23T11:15:39Z","ip":"127.0.0.1","values":{"count":3}}`,
		`{"created":"2026-11-23T11:15:39.123456789Z","remember":86400,"values":{"a":"x\"y\\u00e9\n","b":true,"c":null,"d":-1.5e-7,"e":{"n":[1,2,{"x":"y"}]},"f":[]},"flashes":[{"level":"ok","body":"hi","life":5}]}`,
		` { "values" : { } , "created" : "0001-01-01T00:00:00Z" } `,
		`{"VALUES":{"k":1},"Created":"2026-01-01T00:00:00+02:00"}`,
		`{"values":null}`, `{}`, `[]`, `{"values":{"k":01}}`, `{"values":{"k":1.}}`, `{"values":{"k":tru}}`,
		"{\"values\":{\"k\":\"\xff\"}}", `{"values":{"k":"\ud800"}}`, `{"values":{"a":1,"a":2}}`,
		`{"ip":null,"remember":null,"values":{}}`, `{"values":{"k":1}} x`, `{"values":{"k":[1,}}`,
	} {
		f.Add([]byte(seed), "text <&>\u2028", int64(42), 3.25)
	}
	f.Fuzz(func(t *testing.T, data []byte, s string, n int64, x float64) {
		var mine, ref record
		errMine, errRef := parseRecord(data, &mine), stdDecode(data, &ref)
		if errMine == nil {
			if errRef != nil {
				t.Fatalf("%q: accepted here, refused by encoding/json: %v", data, errRef)
			}
			if !reflect.DeepEqual(mine, ref) {
				t.Fatalf("%q:\n here %#v\n json %#v", data, mine, ref)
			}
		}

		rec := record{Created: time.Unix(n%1e10, n%1e9).UTC(), IP: s, Remember: n,
			Values: map[string]any{s: s, "n": n, "i": int(n), "b": n%2 == 0, "nil": nil, "t": time.Unix(n%1e10, 0).UTC(),
				"list": []string{s}, "num": json.Number("12.5e3")}}
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			rec.Values["x"] = x
		}
		if n%3 == 0 {
			rec.Flashes = []Message{{Level: s, Body: s, Life: int(n % 100)}}
		}
		got, err := encodeRecord(&rec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encoded\n here %s\n json %s", got, want)
		}
		var back, refBack record
		if err := parseRecord(got, &back); err != nil {
			t.Fatalf("cannot read back %s: %v", got, err)
		}
		stdDecode(got, &refBack)
		if !reflect.DeepEqual(back, refBack) {
			t.Fatalf("read back\n here %#v\n json %#v", back, refBack)
		}
	})
}

func TestRecordCodecRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"", "{", `{"values":{"k":}}`, `{"values":{"k":1} `, `{"values":{"k":-}}`, `{"values":{"k":"a}}`, `null`, strings.Repeat("[", 100)} {
		var rec record
		if err := decodeRecord([]byte(bad), &rec); err == nil {
			t.Errorf("decodeRecord(%q) succeeded", bad)
		}
	}
}
