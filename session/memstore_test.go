package session_test

import (
	"testing"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) session.Store { return session.NewMemoryStore() })
}
