// Package e2e drives the examples in a real browser: Debian's Chromium,
// headless, through the DevTools protocol (github.com/chromedp/chromedp).
// It is a module of its own, so that the browser driver never enters the
// framework's go.mod. Each test builds an example from the parent module,
// starts it on a free port of 127.0.0.1, clicks through its pages as a
// person would, and saves a screenshot of every page into screens/.
//
// Without Chromium the tests skip, naming the package to install
// (apt-get install chromium). CHROMIUM may name the browser's path.
package e2e
