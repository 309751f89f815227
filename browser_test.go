package main

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
)

// chromium finds the browser: CHROME_PATH, or Debian's chromium, which
// `make test` installs. Missing, the test fails rather than skips.
func chromium(t *testing.T) string {
	t.Helper()
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
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Subscribe before navigating, so the page's first messages are seen.
	var mu sync.Mutex
	var problems []string
	console := chromedp.Console(ctx)
	go func() {
		for msg, err := range console {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.Type == chromedp.ConsoleException {
				mu.Lock()
				problems = append(problems, string(msg.Type)+": "+msg.Text)
				mu.Unlock()
			}
		}
	}()

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
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("GraphiQL run failed: %v\nbrowser problems: %v", err, problems)
	}
	if !strings.Contains(result, `"getProducts"`) || !strings.Contains(result, id) {
		t.Fatalf("result pane shows %q", result)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}
