package diskstore_test

import (
	"testing"

	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store {
		s, err := diskstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
