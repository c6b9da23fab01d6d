package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gowebpy/web/session"
)

// patience bounds every wait for the browser: generous, since the
// machine may be busy; a test never judges speed, this only stops a hang.
const patience = 60 * time.Second

// chromium returns the browser's path, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium to drive: install it (apt-get install chromium) or set CHROMIUM to its path")
	return ""
}

// startExample builds examples/name of the parent module, starts it on a
// free port in an empty folder with env, and returns its URL without the
// trailing slash.
func startExample(t *testing.T, name string, env ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	build := exec.Command("go", "build", "-o", bin, "./examples/"+name)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/%s: %v\n%s", name, err, out)
	}
	cmd := exec.Command(bin, "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SECRET_KEY=e2e-test-key-0123456789abcdef0123456789")
	cmd.Env = append(cmd.Env, env...)
	var log strings.Builder
	cmd.Stderr = &log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("the example's log:\n%s", log.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		t.Fatalf("examples/%s did not start: %q %v", name, line, err)
	}
	return strings.TrimSuffix(strings.TrimSpace(line), "/")
}

// browser is one headless Chromium with an empty profile, and its first
// tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string // the example's URL
	name string // the example's name, the start of each screenshot's
}

// newBrowser starts Chromium for the example at base. The flags are the
// ones this machine needs: no sandbox as root, and none of the background
// connections to Google's servers, which the closed network refuses.
func newBrowser(t *testing.T, name, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 760),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base, name: name}
}

// tab opens another tab of the same browser, which shares its cookies.
func (b *browser) tab() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	// The first run opens the tab, for the life of the context it is
	// given: give it the tab's own, not one with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return &browser{t: b.t, ctx: ctx, base: b.base, name: b.name}
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, patience)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and waits for the page to load.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.settle()
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, patience)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitUntil waits until the JavaScript condition holds in a page that has
// finished loading; across a navigation the page may be gone for a while,
// so an error only means "not yet".
func (b *browser) waitUntil(cond string) {
	b.t.Helper()
	expr := "document.readyState === 'complete' && (" + cond + ")"
	deadline := time.Now().Add(patience)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited %v for %s; the page is at %s:\n%s", patience, cond, b.location(), b.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settle waits for the page to have loaded.
func (b *browser) settle() { b.t.Helper(); b.waitUntil("true") }

// waitText waits until the page is at path and its text holds want.
func (b *browser) waitText(path, want string) {
	b.t.Helper()
	b.waitUntil("location.pathname === " + strconv.Quote(path) + " && document.body.innerText.includes(" + strconv.Quote(want) + ")")
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// text is what the page shows.
func (b *browser) text() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	return s
}

// click clicks the element the CSS selector names; a click that submits
// a form starts a navigation, which the caller waits for.
func (b *browser) click(css string) {
	b.t.Helper()
	b.do("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// fill sets the value of the input the CSS selector names.
func (b *browser) fill(css, value string) {
	b.t.Helper()
	b.waitUntil("document.querySelector(" + jsString(css) + ") !== null")
	eval[bool](b, "(e => (e.value = "+jsString(value)+", true))(document.querySelector("+jsString(css)+"))")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// screenshot saves the whole page as screens/NAME-step.png.
func (b *browser) screenshot(step string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, patience)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", step, err)
	}
	if err := os.WriteFile(filepath.Join("screens", b.name+"-"+step+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// cookie returns the browser's cookie called name for the site, or nil.
func (b *browser) cookie(name string) *network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, patience)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("reading the cookies: %v", err)
	}
	for _, ck := range res.Cookies {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// setCookie replaces the site's cookie called name with value, HttpOnly
// as the server sets it: what a visitor who edits the cookie does.
func (b *browser) setCookie(name, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, patience)
	defer cancel()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: name, Value: value, URL: b.base + "/", Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax,
	}); err != nil {
		b.t.Fatalf("setting the cookie: %v", err)
	}
}

// tamper changes the last character of the session cookie's signature.
func (b *browser) tamper() {
	b.t.Helper()
	ck := b.cookie(session.DefaultCookieName)
	if ck == nil {
		b.t.Fatal("no session cookie to tamper with")
	}
	last := "A"
	if strings.HasSuffix(ck.Value, "A") {
		last = "B"
	}
	b.setCookie(session.DefaultCookieName, ck.Value[:len(ck.Value)-1]+last)
}

// back goes back in the tab's history as the Back button does, and waits
// for the page it lands on. A page restored from the back/forward cache
// fires no load event, so the wait is for a document other than this one
// (the mark set here is gone) that has loaded.
func (b *browser) back() {
	b.t.Helper()
	eval[bool](b, "window.__beforeBack = true")
	eval[bool](b, "history.back(), true")
	b.waitUntil("window.__beforeBack !== true")
}

// reload reloads the page as the Reload button does.
func (b *browser) reload() {
	b.t.Helper()
	b.do("reload", chromedp.Reload())
	b.settle()
}
