package bench

import (
	"context"
	"errors"
	"net/http"

	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
	"github.com/redis/go-redis/v9"
)

// Key prefixes of the benchmark's sessions in Redis, apart from those of
// anything else sharing the server; removed when a run ends.
const (
	benchRedisPrefix  = "bench-session:"
	growthRedisPrefix = "growth-session:"
)

func redisSkip(env Env) string {
	if env.RedisAddr == "" {
		return "TEST_REDIS_ADDR is not set"
	}
	return ""
}

// openRedis returns a store with prefix, emptied first; close empties it
// again and closes the client.
func openRedis(env Env, prefix string) (*redisstore.Store, func() error, error) {
	client := redis.NewClient(&redis.Options{Addr: env.RedisAddr, PoolSize: 32})
	ctx := context.Background()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, nil, err
	}
	if err := dropPrefix(ctx, client, prefix); err != nil {
		client.Close()
		return nil, nil, err
	}
	st, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return st, func() error {
		return errors.Join(dropPrefix(ctx, client, prefix), client.Close())
	}, nil
}

// dropPrefix deletes the keys that start with prefix, a batch at a time.
func dropPrefix(ctx context.Context, client *redis.Client, prefix string) error {
	iter := client.Scan(ctx, 0, prefix+"*", 10000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 10000 {
			if err := client.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return client.Unlink(ctx, batch...).Err()
	}
	return nil
}

func init() {
	for _, locking := range []bool{false, true} {
		name, desc := "", ""
		if locking {
			name, desc = "-lock", ", with Locking (the lease of several instances)"
		}
		register(Variant{
			Name: "ours-redis" + name, Group: "ours",
			Desc: "Manager + redisstore (go-redis v9, pool of 32)" + desc,
			Skip: redisSkip,
			New: func(env Env) (http.Handler, func() error, error) {
				st, closeStore, err := openRedis(env, benchRedisPrefix)
				if err != nil {
					return nil, nil, err
				}
				var managed session.Store = st
				if locking {
					managed = st.Locking()
				}
				h, closeM, err := oursMux(managed)
				if err != nil {
					closeStore()
					return nil, nil, err
				}
				return h, func() error { return errors.Join(closeM(), closeStore()) }, nil
			},
		})
	}
	registerGrowth(GrowthStore{
		Name: "redisstore",
		Skip: redisSkip,
		Open: func(env Env) (session.Store, func() error, error) {
			st, closeStore, err := openRedis(env, growthRedisPrefix)
			if err != nil {
				return nil, nil, err
			}
			pinger := redis.NewClient(&redis.Options{Addr: env.RedisAddr})
			rt := func(ctx context.Context) error { return pinger.Ping(ctx).Err() }
			return selfCleaningRoundTripStore{roundTripStore{st, rt}}, func() error { return errors.Join(closeStore(), pinger.Close()) }, nil
		},
	})
}
