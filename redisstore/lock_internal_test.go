package redisstore

import "testing"

// tag returns what Redis Cluster hashes of k: by Redis's rule, the text
// between the first "{" and the next "}" when not empty, or else k.
func tag(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] != '{' {
			continue
		}
		for j := i + 1; j < len(k); j++ {
			if k[j] == '}' {
				if j > i+1 {
					return k[i+1 : j]
				}
				return k
			}
		}
		return k
	}
	return k
}

// TestLeaseKeySharesTheSessionSlot: the fenced writes' scripts touch a
// session's key and its lease key, which must hash alike, and so must the
// lease's cancellation marks.
func TestLeaseKeySharesTheSessionSlot(t *testing.T) {
	key := "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
	for _, prefix := range []string{"session:", "test:0a1b2c:", "{app}:", "x{app}y:"} {
		s := &Store{prefix: prefix}
		k, err := s.key(key)
		if err != nil {
			t.Fatal(err)
		}
		lease := s.leaseKey(key)
		if tag(lease) != tag(k) {
			t.Errorf("prefix %q: the lease key %q hashes %q; the session key %q hashes %q", prefix, lease, tag(lease), k, tag(k))
		}
		if mark := markKey(lease, "t0ken"); tag(mark) != tag(k) {
			t.Errorf("prefix %q: the mark %q hashes %q; the session key hashes %q", prefix, mark, tag(mark), tag(k))
		}
		if lease[:len(prefix)] != prefix {
			t.Errorf("prefix %q: the lease key %q does not start with it, so a scan of the prefix misses it", prefix, lease)
		}
	}
}

// TestMarkKeyShareTheLeaseSlot: Redis Cluster hashes the hash tag of a
// key, the text between the first "{" and the next "}" when not empty,
// or else the whole key; a mark must hash as its lease does.
func TestMarkKeyShareTheLeaseSlot(t *testing.T) {
	for _, lease := range []string{
		"session:lock:ab12",  // the default prefix: wrapped in braces
		"{app}:lock:ab12",    // a prefix with a tag keeps it
		"x{app}y{z}:lock:ab", // the first tag counts
		"a{b:lock:ab12",      // an open brace only: no tag, wrapped
	} {
		if got, want := tag(markKey(lease, "t0ken")), tag(lease); got != want {
			t.Errorf("markKey(%q) = %q hashes %q; the lease hashes %q", lease, markKey(lease, "t0ken"), got, want)
		}
	}
	// An empty tag is none, and a "}" then spoils any wrapping: the
	// documented exception.
	if got := markKey("{}s:lock:ab", "t0ken"); got != "{}s:lock:ab:cancelled:t0ken" {
		t.Errorf("markKey of an unwrappable lease = %q", got)
	}
}
