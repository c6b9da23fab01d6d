// Package storetest is the conformance suite every session.Store passes.
// A store's own test calls Run with a function that returns an empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store { return New(t.TempDir()) })
//	}
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/session"
)

// Key returns a valid store key derived from name.
func Key(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// precision is how far a stored deadline may be from the one saved:
// stores may keep time in milliseconds or microseconds.
const precision = time.Second

// Run runs the conformance suite against stores made by newStore. Each
// subtest gets a new store.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

// sample is a record as the session package writes it.
const sample = `{"created":"2026-11-23T11:15:39Z","values":{"count":1,"name":"Zoë ✓"}}`

// cases returns the conformance tests, in the order Run runs them.
func cases() []struct {
	name string
	run  func(t *testing.T, s session.Store)
} {
	return []struct {
		name string
		run  func(t *testing.T, s session.Store)
	}{
		{"LoadMissing", testLoadMissing},
		{"CreateLoad", testCreateLoad},
		{"CreateOverwrites", testCreateOverwrites},
		{"UpdateMissingIsNotFound", testUpdateMissingIsNotFound},
		{"UpdateAfterDeleteIsNotFound", testUpdateAfterDeleteIsNotFound},
		{"UpdateReplaces", testUpdateReplaces},
		{"ExpiredIsNotLoaded", testExpiredIsNotLoaded},
		{"Touch", testTouch},
		{"Delete", testDelete},
		{"Cleanup", testCleanup},
		{"LargeValue", testLargeValue},
		{"InvalidKeysAreRefused", testInvalidKeysAreRefused},
		{"Concurrent", testConcurrent},
		{"Locker", testLocker},
		{"Fencing", testFencing},
		{"FencedDelete", testFencedDelete},
	}
}

func testLoadMissing(t *testing.T, s session.Store) {
	ctx := context.Background()
	_, _, found, err := s.Load(ctx, Key("missing"))
	if err != nil || found {
		t.Fatalf("Load of a missing key = found %v, err %v; want false, nil", found, err)
	}
}

func testCreateLoad(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	deadline := time.Now().Add(time.Hour)
	if err := s.Save(ctx, Key("a"), data, deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	got, gotDeadline, found, err := s.Load(ctx, Key("a"))
	if err != nil || !found {
		t.Fatalf("Load after Save = found %v, err %v", found, err)
	}
	if string(got) != string(data) {
		t.Errorf("Load = %s; want %s", got, data)
	}
	if d := gotDeadline.Sub(deadline); d < -precision || d > precision {
		t.Errorf("deadline = %v; want %v", gotDeadline, deadline)
	}
}

func testCreateOverwrites(t *testing.T, s session.Store) {
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	if err := s.Save(ctx, Key("a"), []byte(`{"v":1}`), deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, Key("a"), []byte(`{"v":2}`), deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	got, _, _, _ := s.Load(ctx, Key("a"))
	if string(got) != `{"v":2}` {
		t.Errorf("Load = %s; want the second save", got)
	}
}

func testUpdateMissingIsNotFound(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	err := s.Save(ctx, Key("gone"), data, time.Now().Add(time.Hour), session.Update)
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Save(Update) of a missing key = %v; want ErrNotFound", err)
	}
	if _, _, found, _ := s.Load(ctx, Key("gone")); found {
		t.Fatal("Save(Update) of a missing key created it: a killed session would come back")
	}
}

func testUpdateAfterDeleteIsNotFound(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	if err := s.Save(ctx, Key("k"), data, time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, Key("k")); err != nil {
		t.Fatal(err)
	}
	err := s.Save(ctx, Key("k"), data, time.Now().Add(time.Hour), session.Update)
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Save(Update) after Delete = %v; want ErrNotFound", err)
	}
}

func testUpdateReplaces(t *testing.T, s session.Store) {
	ctx := context.Background()
	if err := s.Save(ctx, Key("u"), []byte(`{"v":1}`), time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Hour)
	if err := s.Save(ctx, Key("u"), []byte(`{"v":2}`), later, session.Update); err != nil {
		t.Fatal(err)
	}
	got, d, found, err := s.Load(ctx, Key("u"))
	if err != nil || !found || string(got) != `{"v":2}` {
		t.Fatalf("Load = %s, %v, %v; want the update", got, found, err)
	}
	if diff := d.Sub(later); diff < -precision || diff > precision {
		t.Errorf("deadline = %v; want %v", d, later)
	}
}

func testExpiredIsNotLoaded(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	if err := s.Save(ctx, Key("old"), data, time.Now().Add(-time.Minute), session.Create); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := s.Load(ctx, Key("old")); found || err != nil {
		t.Fatalf("Load of an expired key = found %v, err %v; want false, nil", found, err)
	}
	err := s.Save(ctx, Key("old"), data, time.Now().Add(time.Hour), session.Update)
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Save(Update) of an expired key = %v; want ErrNotFound", err)
	}
}

func testTouch(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	toucher, ok := s.(session.Toucher)
	if !ok {
		t.Skip("store does not implement session.Toucher")
	}
	if err := s.Save(ctx, Key("t"), data, time.Now().Add(time.Minute), session.Create); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(3 * time.Hour)
	if err := toucher.Touch(ctx, Key("t"), later); err != nil {
		t.Fatal(err)
	}
	got, d, found, err := s.Load(ctx, Key("t"))
	if err != nil || !found || string(got) != string(data) {
		t.Fatalf("Load after Touch = %s, %v, %v", got, found, err)
	}
	if diff := d.Sub(later); diff < -precision || diff > precision {
		t.Errorf("deadline after Touch = %v; want %v", d, later)
	}
	if err := toucher.Touch(ctx, Key("none"), later); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Touch of a missing key = %v; want ErrNotFound", err)
	}
	if _, _, found, _ := s.Load(ctx, Key("none")); found {
		t.Error("Touch of a missing key created it")
	}
}

func testDelete(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	if err := s.Delete(ctx, Key("never")); err != nil {
		t.Fatalf("Delete of a missing key = %v; want nil", err)
	}
	if err := s.Save(ctx, Key("d"), data, time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, Key("d")); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := s.Load(ctx, Key("d")); found {
		t.Fatal("Load after Delete found the session")
	}
}

func testCleanup(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	now := time.Now()
	for i := range 5 {
		if err := s.Save(ctx, Key(fmt.Sprint("dead", i)), data, now.Add(-time.Hour), session.Create); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := s.Save(ctx, Key(fmt.Sprint("live", i)), data, now.Add(time.Hour), session.Create); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Cleanup(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, self := s.(session.SelfCleaning); self {
		n = 5 // the store expired them by itself
	}
	if n != 5 {
		t.Errorf("Cleanup removed %d; want 5", n)
	}
	for i := range 5 {
		if _, _, found, _ := s.Load(ctx, Key(fmt.Sprint("dead", i))); found {
			t.Errorf("expired session %d is still loaded after Cleanup", i)
		}
	}
	for i := range 3 {
		if _, _, found, _ := s.Load(ctx, Key(fmt.Sprint("live", i))); !found {
			t.Errorf("Cleanup removed live session %d", i)
		}
	}
	if n, err := s.Cleanup(ctx, now); err != nil || n != 0 {
		t.Errorf("second Cleanup = %d, %v; want 0, nil", n, err)
	}
}

func testLargeValue(t *testing.T, s session.Store) {
	ctx := context.Background()
	big := []byte(`{"values":{"blob":"` + strings.Repeat("x", 256<<10) + `"}}`)
	if err := s.Save(ctx, Key("big"), big, time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	got, _, found, err := s.Load(ctx, Key("big"))
	if err != nil || !found || string(got) != string(big) {
		t.Fatalf("a 256 KiB session did not round-trip (found %v, err %v, %d bytes)", found, err, len(got))
	}
}

func testInvalidKeysAreRefused(t *testing.T, s session.Store) {
	ctx := context.Background()
	data := []byte(sample)
	for _, key := range []string{"", "../../etc/passwd", "..", "/etc/passwd", strings.Repeat("a", 65),
		strings.ToUpper(Key("x")), "x' OR '1'='1", Key("x")[:63] + "\x00"} {
		if err := s.Save(ctx, key, data, time.Now().Add(time.Hour), session.Create); err == nil {
			t.Errorf("Save(%q) = nil; a store must refuse keys that are not 64 lower-case hex digits", key)
		}
		if _, _, found, _ := s.Load(ctx, key); found {
			t.Errorf("Load(%q) found something", key)
		}
	}
}

func testConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := Key(fmt.Sprint(g, "-", i%4))
				body := []byte(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i))
				if err := s.Save(ctx, k, body, time.Now().Add(time.Hour), session.Create); err != nil {
					errs <- err
					return
				}
				got, _, found, err := s.Load(ctx, k)
				if err != nil || !found || string(got) != string(body) {
					errs <- fmt.Errorf("Load(%d,%d) = %s, %v, %v", g, i, got, found, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
