package e2e

import (
	"strings"
	"testing"
)

func TestFlash(t *testing.T) {
	b := newBrowser(t, "flash", startExample(t, "flash"))
	b.open("/")
	b.waitText("/", "No messages.")
	b.screenshot("empty")

	// Posting shows the message on the page the redirect lands on.
	b.fill("input[name=text]", "Hello from Chromium")
	b.click("form button")
	b.waitText("/", "Posted! Hello from Chromium")
	b.screenshot("posted")

	// Once: a reload no longer shows it.
	b.open("/")
	b.waitText("/", "No messages.")
	if strings.Contains(b.text(), "Hello from Chromium") {
		t.Fatalf("the flash shows twice:\n%s", b.text())
	}
	b.screenshot("after-reload")

	// Posting nothing: the error, on the answer to the post itself.
	b.fill("input[name=text]", "")
	b.click("form button")
	b.waitText("/", "Nothing to post.")
	b.screenshot("nothing-to-post")
}
