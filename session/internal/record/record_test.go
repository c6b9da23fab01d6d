package record

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// flash stands for the session package's message type.
type flash struct {
	Level string `json:"level,omitempty"`
	Body  string `json:"body"`
	Life  int    `json:"life,omitempty"`
}

type rec = Record[flash]

// stdDecode is the reference: encoding/json with UseNumber.
func stdDecode(data []byte, r *rec) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(r); err != nil {
		return err
	}
	if dec.More() {
		return errSyntax
	}
	if r.Values == nil {
		r.Values = make(map[string]any)
	}
	return nil
}

// FuzzCodec checks the hand-written codec against encoding/json: a record
// it reads, encoding/json reads the same; a record it writes is byte for
// byte what json.Marshal writes.
func FuzzCodec(f *testing.F) {
	for _, seed := range []string{
		`{"created":"2026-11-23T11:15:39Z","ip":"127.0.0.1","values":{"count":3}}`,
		`{"created":"2026-11-23T11:15:39.123456789Z","remember":86400,"values":{"a":"x\"y\\u00e9\n","b":true,"c":null,"d":-1.5e-7,"e":{"n":[1,2,{"x":"y"}]},"f":[]},"flashes":[{"level":"ok","body":"hi","life":5}]}`,
		` { "values" : { } , "created" : "0001-01-01T00:00:00Z" } `,
		`{"VALUES":{"k":1},"Created":"2026-01-01T00:00:00+02:00"}`,
		`{"values":null}`, `{}`, `[]`, `{"values":{"k":01}}`, `{"values":{"k":1.}}`, `{"values":{"k":tru}}`,
		"{\"values\":{\"k\":\"\xff\"}}", `{"values":{"k":"\ud800"}}`, `{"values":{"a":1,"a":2}}`,
		`{"ip":null,"remember":null,"values":{}}`, `{"values":{"k":1}} x`, `{"values":{"k":[1,}}`,
		`{"values":{"k":1e5,"l":-0.5E+3,"m":2e-}}`, `{"values":{"k":"]}"}}`,
	} {
		f.Add([]byte(seed), "text <&>\u2028", int64(42), 3.25)
	}
	f.Fuzz(func(t *testing.T, data []byte, s string, n int64, x float64) {
		var mine, ref rec
		errMine, errRef := Decode(data, &mine), stdDecode(data, &ref)
		if errMine == nil {
			if errRef != nil {
				t.Fatalf("%q: accepted here, refused by encoding/json: %v", data, errRef)
			}
			if !reflect.DeepEqual(mine, ref) {
				t.Fatalf("%q:\n here %#v\n json %#v", data, mine, ref)
			}
		}

		r := rec{Created: time.Unix(n%1e10, n%1e9).UTC(), IP: s, Remember: n,
			Values: map[string]any{s: s, "n": n, "i": int(n), "b": n%2 == 0, "nil": nil, "t": time.Unix(n%1e10, 0).UTC(),
				"list": []string{s}, "num": json.Number("12.5e3"), "i32": int32(n), "u64": uint64(n)}}
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			r.Values["x"] = x
		}
		if n%3 == 0 {
			r.Flashes = []flash{{Level: s, Body: s, Life: int(n % 100)}}
		}
		got, err := Encode(&r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encoded\n here %s\n json %s", got, want)
		}
		var back, refBack rec
		if err := Decode(got, &back); err != nil {
			t.Fatalf("cannot read back %s: %v", got, err)
		}
		if err := stdDecode(got, &refBack); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, refBack) {
			t.Fatalf("read back\n here %#v\n json %#v", back, refBack)
		}
	})
}

func TestDecodeRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"", "{", `{"values":{"k":}}`, `{"values":{"k":1} `, `{"values":{"k":-}}`, `{"values":{"k":"a}}`, `null`, strings.Repeat("[", 100)} {
		var r rec
		if err := Decode([]byte(bad), &r); err == nil {
			t.Errorf("Decode(%q) succeeded", bad)
		}
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	e := Envelope[flash]{ID: "id-1", Deadline: 1764000000, Rec: rec{Created: time.Unix(1, 0).UTC(), Values: map[string]any{"count": 3}}}
	got, err := EncodeEnvelope(&e)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(&e); !bytes.Equal(got, want) {
		t.Fatalf("encoded\n here %s\n json %s", got, want)
	}
	var back Envelope[flash]
	if err := DecodeEnvelope(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != e.ID || back.Deadline != e.Deadline || back.Rec.Values["count"] != json.Number("3") {
		t.Fatalf("read back %#v", back)
	}
	for _, bad := range []string{`{"id":1}`, `{"id":"x","exp":"soon"}`, `{"id":"x"} {}`, `{"s":{"values":1}}`} {
		if err := DecodeEnvelope([]byte(bad), &back); err == nil {
			t.Errorf("DecodeEnvelope(%q) succeeded", bad)
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int64
		ok   bool
	}{
		{3, 3, true}, {int8(-3), -3, true}, {uint64(math.MaxUint64), 0, false}, {uint(7), 7, true},
		{2.0, 2, true}, {2.5, 0, false}, {float32(4), 4, true}, {json.Number("12"), 12, true},
		{json.Number("1e3"), 1000, true}, {json.Number("x"), 0, false}, {"42", 42, true}, {"4x", 0, false},
		{nil, 0, false}, {true, 0, false}, {math.Inf(1), 0, false},
	} {
		got, ok := Int64(c.v)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("Int64(%#v) = %d, %v; want %d, %v", c.v, got, ok, c.want, c.ok)
		}
	}
	if f, ok := Float64(json.Number("2.5")); !ok || f != 2.5 {
		t.Errorf("Float64 = %v, %v", f, ok)
	}
}

func TestCopyIsDeep(t *testing.T) {
	in := map[string]any{"list": []any{map[string]any{"a": 1}}, "s": []string{"x"}, "m": map[string]string{"k": "v"}, "n": 1}
	out, err := Copy(in)
	if err != nil {
		t.Fatal(err)
	}
	out["list"].([]any)[0].(map[string]any)["a"] = 2
	out["s"].([]string)[0] = "y"
	out["m"].(map[string]string)["k"] = "w"
	if in["list"].([]any)[0].(map[string]any)["a"] != 1 || in["s"].([]string)[0] != "x" || in["m"].(map[string]string)["k"] != "v" {
		t.Fatalf("the copy shares memory with the original: %#v", in)
	}
	if _, err := Copy(map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("a channel was copied")
	}
}

func BenchmarkCodec(b *testing.B) {
	r := rec{Values: map[string]any{"count": 41, "user": "ann"}}
	b.ReportAllocs()
	for b.Loop() {
		data, err := Encode(&r)
		if err != nil {
			b.Fatal(err)
		}
		var out rec
		if err := Decode(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}
