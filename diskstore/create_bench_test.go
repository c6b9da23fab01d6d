package diskstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// BenchmarkCreate measures the Save of a new session, the path of a
// visitor's first request.
func BenchmarkCreate(b *testing.B) {
	store, err := diskstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	data := []byte(`{"values":{"count":1}}`)
	deadline := time.Now().Add(time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := store.Save(ctx, storetest.Key(fmt.Sprint(i)), data, deadline, session.Create); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
