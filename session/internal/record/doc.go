// Package record encodes and decodes what a session store keeps for one
// session: a small JSON object, so that `cat sessions/<key>` shows it.
//
//	{"created":"2026-11-23T11:15:39Z","ip":"127.0.0.1","values":{"count":3}}
//
// A record is written on every request that changes a session and read on
// every request that loads one, so its common shape (a few scalar values)
// is encoded and parsed here by hand, without reflection; anything else
// goes through encoding/json. The output is byte for byte what json.Marshal
// writes, and what Decode accepts and returns is what encoding/json would
// (with UseNumber): FuzzCodec checks both directions against encoding/json.
//
// The codec earns its lines: one /count round trip of the session package
// with it and with encoding/json instead, in one run (benchstat, n=6,
// machine shared with other work, so the ± is wide):
//
//	                         encoding/json   this codec
//	CountMemoryStore         10.4 µs ± 27%   6.9 µs ± 45%   −34% (p=0.004)
//	CountCookieStoreSigned   13.5 µs ± 15%   8.4 µs ± 46%   −38% (p=0.004)
//	allocs/op MemoryStore    44              30             −32%
//	allocs/op CookieStore    49              31             −37%
package record
