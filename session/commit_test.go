package session

import "testing"

// TestDecide covers the commit decision for every state, in the
// situations that change it.
func TestDecide(t *testing.T) {
	type c struct {
		st   state
		in   situation
		want plan
	}
	late := situation{headersOut: true}
	cookie := situation{inCookie: true}
	lateNew := "a new session was changed after the response started; its cookie cannot be sent, so it is not saved"
	lateCookie := "a session kept in its cookie was changed after the response started; its cookie cannot be sent"
	lateRenew := "RenewID after the response started; the new cookie cannot be sent, so the id is kept"
	cases := []c{
		// Nothing was read: nothing to do.
		{untouched, situation{}, plan{}},
		{released, situation{staleCookie: true}, plan{}},
		// A new session is saved only when it changed, or is forced.
		{fresh, situation{}, plan{}},
		{fresh, situation{staleCookie: true}, plan{cookie: dropCookie}},
		{fresh, situation{force: true}, plan{act: create, cookie: sendCookie}},
		{fresh, situation{force: true, discard: true, staleCookie: true}, plan{cookie: dropCookie}},
		{born, situation{}, plan{act: create, cookie: sendCookie}},
		{born, situation{staleCookie: true}, plan{act: create, cookie: sendCookie}},
		{born, situation{discard: true}, plan{}},
		{born, late, plan{lost: lateNew}},
		{born, cookie, plan{act: create, cookie: sendCookie}},
		{born, situation{inCookie: true, headersOut: true}, plan{lost: lateCookie}},
		// A loaded session is touched when due, rewritten when changed.
		{loaded, situation{}, plan{}},
		{loaded, situation{touchDue: true}, plan{act: touch}},
		{loaded, situation{touchDue: true, refresh: true}, plan{act: touch, cookie: sendCookie}},
		{loaded, situation{touchDue: true, discard: true}, plan{}},
		{loaded, situation{touchDue: true, headersOut: true}, plan{act: touch}},
		{loaded, situation{force: true}, plan{act: update}},
		{loaded, situation{force: true, refresh: true}, plan{act: update, cookie: sendCookie}},
		{loaded, situation{touchDue: true, inCookie: true}, plan{act: touch, cookie: sendCookie}},
		{loaded, situation{touchDue: true, inCookie: true, headersOut: true}, plan{lost: lateCookie}},
		{changed, situation{}, plan{act: update}},
		{changed, situation{refresh: true}, plan{act: update, cookie: sendCookie}},
		{changed, situation{discard: true}, plan{}},
		{changed, late, plan{act: update}},
		{changed, cookie, plan{act: update, cookie: sendCookie}},
		{changed, situation{inCookie: true, headersOut: true}, plan{lost: lateCookie}},
		// A renewal saves under the new id and sends its cookie.
		{renewed, situation{}, plan{act: renew, cookie: sendCookie}},
		{renewed, situation{discard: true}, plan{}},
		{renewed, late, plan{act: update, undoRenew: true, lost: lateRenew}},
		{renewed, cookie, plan{act: renew, cookie: sendCookie}},
		{renewed, situation{inCookie: true, headersOut: true}, plan{lost: lateCookie}},
		// A failed session writes nothing; commit answers with its error.
		{failed, situation{}, plan{}},
		{failed, situation{staleCookie: true}, plan{cookie: dropCookie}},
		{failed, situation{staleCookie: true, headersOut: true}, plan{}},
	}
	seen := map[state]bool{}
	for _, c := range cases {
		seen[c.st] = true
		if got := decide(c.st, c.in); got != c.want {
			t.Errorf("decide(%s, %+v) = %+v; want %+v", stateNames[c.st], c.in, got, c.want)
		}
	}
	for st := untouched; st <= released; st++ {
		if !seen[st] {
			t.Errorf("no case for state %s", stateNames[st])
		}
	}
}

var stateNames = map[state]string{untouched: "untouched", fresh: "fresh", born: "born", loaded: "loaded",
	changed: "changed", renewed: "renewed", failed: "failed", released: "released"}
