package e2e

import (
	"testing"
)

func TestCount(t *testing.T) {
	b := newBrowser(t, "count", startExample(t, "count"))
	b.open("/count")
	b.waitText("/count", "1")
	b.screenshot("first")
	b.open("/count")
	b.waitUntil("document.body.innerText.trim() === '2'")
	b.screenshot("second")
	b.open("/reset")
	b.waitText("/reset", "Reset")
	b.screenshot("reset")
	b.open("/count")
	b.waitUntil("document.body.innerText.trim() === '1'")

	b.tamper()
	b.open("/count")
	b.waitText("/count", "Bad Cookie")
	b.screenshot("bad-cookie")
	b.click("nav a.again")
	b.waitUntil("location.pathname === '/count' && document.body.innerText.trim() === '1'")

	// count has no home page: the framework's 404, as a browser gets it.
	b.open("/")
	b.waitText("/", "There is no page at /.")
	b.screenshot("404")
}
