package redisstore

import "testing"

// TestMarkKeyShareTheLeaseSlot: Redis Cluster hashes the hash tag of a
// key, the text between the first "{" and the next "}" when not empty,
// or else the whole key; a mark must hash as its lease does.
func TestMarkKeyShareTheLeaseSlot(t *testing.T) {
	tag := func(k string) string { // Redis's rule
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
