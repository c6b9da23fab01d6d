package redisstore

// LeaseKey returns the key of key's lease in s, for tests that write a
// lease by hand, as a holder that died would leave it.
func LeaseKey(s *Store, key string) string { return s.leaseKey(key) }

// SessionKey returns the Redis key of the session key in s.
func SessionKey(s *Store, key string) string { return s.prefix + key }
