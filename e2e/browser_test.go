package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shop/internal/testenv"
)

// chromium finds the browser: CHROME_PATH, or Debian's chromium, which
// `make test` installs. Missing, the test fails rather than skips.
func chromium(t *testing.T) string {
	t.Helper()
	testenv.SkipShort(t, "Chromium")
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium (make test does) or set CHROME_PATH")
	return ""
}

// TestGraphiQLInBrowser loads the GraphiQL page in headless Chromium with
// the network closed to everything but this server, runs a query through
// the page and checks that the result shows.
func TestGraphiQLInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	id := in.MustCreateProduct(t, 4.2, 1)

	ctx, console := startBrowser(t, 90*time.Second)

	page := in.URL + "/graphql?query=" + url.QueryEscape("{ getProducts { productId } }")
	err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
	)
	var result string
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const r = document.querySelector('.result-window'); return !!r && r.innerText.includes('`+id+`'); })()`,
			chromedp.WithPollingTimeout(30*time.Second)))
	}
	if err == nil {
		result, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".result-window")))
	}
	if err != nil {
		t.Fatalf("GraphiQL run failed: %v\nbrowser problems: %v", err, console.Problems())
	}
	if !strings.Contains(result, `"getProducts"`) || !strings.Contains(result, id) {
		t.Fatalf("result pane shows %q", result)
	}
	for _, p := range console.Problems() {
		t.Errorf("browser reported: %s", p)
	}
}

// startBrowser starts headless Chromium for the test (closed when it
// ends), with nothing running in the background that would reach the
// network, and a context that ends after timeout. The console's errors
// and uncaught exceptions are collected from the first page on.
func startBrowser(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, *consoleWatch) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)

	// Subscribe before navigating, so the page's first messages are seen.
	w := &consoleWatch{}
	console := chromedp.Console(ctx)
	go func() {
		for msg, err := range console {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.Type == chromedp.ConsoleException {
				w.mu.Lock()
				w.problems = append(w.problems, string(msg.Type)+": "+msg.Text)
				w.mu.Unlock()
			}
		}
	}()
	return ctx, w
}

// consoleWatch holds what a page reported as errors.
type consoleWatch struct {
	mu       sync.Mutex
	problems []string
}

// Problems are the console errors and uncaught exceptions so far.
func (w *consoleWatch) Problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.problems...)
}
