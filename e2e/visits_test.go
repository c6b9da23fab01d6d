package e2e

import (
	"testing"
)

func TestVisits(t *testing.T) {
	b := newBrowser(t, "visits", startExample(t, "visits"))
	b.open("/")
	b.waitText("/", "Number of visits: 1")
	b.screenshot("first-visit")
	b.open("/")
	b.waitText("/", "Number of visits: 2")

	// The button posts, and the answer redirects to the page: the click
	// is counted, and so is the visit the redirect lands on.
	b.click("#click")
	b.waitText("/", "Number of clicks: 1")
	b.waitText("/", "Number of visits: 3")
	b.screenshot("after-click")

	// A reload asks for the page again; it does not post the click again.
	b.reload()
	b.waitText("/", "Number of visits: 4")
	b.waitText("/", "Number of clicks: 1")
	b.screenshot("after-reload")

	// The framework's own pages, as a browser gets them.
	b.open("/click")
	b.waitText("/click", "does not answer GET")
	b.screenshot("405")
	b.open("/nope")
	b.waitText("/nope", "There is no page at /nope.")
	b.screenshot("404")
	b.click("nav a.home")
	b.waitText("/", "Number of visits: 5")
}

// A private window has no cookie, so it starts again at 1.
func TestVisitsPerBrowser(t *testing.T) {
	base := startExample(t, "visits")
	ann := newBrowser(t, "visits", base)
	ann.open("/")
	ann.open("/")
	ann.waitText("/", "Number of visits: 2")
	bob := newBrowser(t, "visits", base)
	bob.open("/")
	bob.waitText("/", "Number of visits: 1")
}
