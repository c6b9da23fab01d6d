package servicetest_test

import (
	"slices"
	"testing"

	"github.com/gowebpy/web/internal/servicetest"
)

func TestNeedSkipsAndCounts(t *testing.T) {
	t.Setenv("TEST_POSTGRES_DSN", "")
	t.Setenv("TEST_REDIS_ADDR", "127.0.0.1:6379")
	var k servicetest.Skips
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if !t.Skipped() {
					t.Error("Need of an unset variable did not skip")
				}
			}()
			k.Need(t, servicetest.PostgreSQL)
		})
	}
	t.Run("set", func(t *testing.T) {
		if got := k.Need(t, servicetest.Redis); got != "127.0.0.1:6379" {
			t.Errorf("Need = %q; want the variable's value", got)
		}
	})
	t.Run("sqlite", func(t *testing.T) { k.Skip(t, servicetest.SQLite, "no cgo") })
	want := []string{
		"pkg: 2 PostgreSQL tests skipped: set TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' to run them",
		"pkg: 1 SQLite test skipped: build with CGO_ENABLED=1 (and a C compiler) to run them",
	}
	if got := k.Summary("pkg"); !slices.Equal(got, want) {
		t.Errorf("Summary =\n%q\nwant\n%q", got, want)
	}
	var none servicetest.Skips
	if got := none.Summary("pkg"); len(got) != 0 {
		t.Errorf("Summary with nothing skipped = %q", got)
	}
}
