package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shop/internal/hostile"
)

// TestHostileDocumentsAgainstTheProcess starts the real binary as a process
// of its own, on the embedded defaults and the Docker image's memory
// settings, and sends it each hostile request of issue 6. Each must get its
// 4xx within seconds, and afterwards the process must still answer /health
// and have stayed within what a 512 MiB instance has. Before docguard, the
// first of these ended the process with a fatal stack overflow.
func TestHostileDocumentsAgainstTheProcess(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir() // no .env file
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT=0", "SQLITE_PATH="+filepath.Join(cmd.Dir, "shop.db"),
		"GOGC=400", "GOMEMLIMIT=384MiB",
		"RATE_LIMIT_REQUESTS=0", "RATE_LIMIT_USER_REQUESTS=0", "MAX_IN_FLIGHT_PER_IP=0", // this test is about documents; the limits have their own
		"ADMIN_EMAIL=guard@example.com", "ADMIN_PASSWORD=guard-test-password")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if a, ok := listeningAddr(sc.Bytes()); ok {
				addr <- a
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // a line too long for the scanner must not block the process
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-exited:
		t.Fatalf("process exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("process did not start listening")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	token := ""
	post := func(contentType string, body []byte) (int, string, error) {
		req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var out struct {
			Errors []struct{ Extensions struct{ Code string } } `json:"errors"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return resp.StatusCode, "", fmt.Errorf("body is not JSON: %w", err)
		}
		if len(out.Errors) == 0 {
			return resp.StatusCode, "", nil
		}
		return resp.StatusCode, out.Errors[0].Extensions.Code, nil
	}
	query := func(q string) []byte { b, _ := json.Marshal(map[string]string{"query": q}); return b }
	health := func() {
		t.Helper()
		resp, err := client.Get(url + "/health")
		if err != nil {
			t.Fatalf("/health: %v (process: %v)", err, processState(exited))
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/health: %d", resp.StatusCode)
		}
	}

	// An admin, who may read every order, so that the orders filter is
	// checked.
	resp, err := client.Post(url+"/graphql", "application/json", bytes.NewReader(query(`mutation { login(email: "guard@example.com", password: "guard-test-password") { accessToken } }`)))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct{ Login struct{ AccessToken string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.Data.Login.AccessToken == "" {
		t.Fatalf("login: %v %+v", err, login)
	}
	resp.Body.Close()
	token = login.Data.Login.AccessToken

	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"fragment cycle", "application/json", query(`fragment A on Query { ...A } { ...A }`), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"700,000 [", "application/json", query("{ getProducts(limit: " + strings.Repeat("[", 700_000)), 413, "QUERY_TOO_LARGE"},
		{"100,000 [", "application/json", query("{ getProducts(limit: " + strings.Repeat("[", 100_000)), 413, "QUERY_TOO_LARGE"},
		{"30,000 [ (within the size limit)", "application/json", query("{ getProducts(limit: " + strings.Repeat("[", 30_000)), 400, "QUERY_TOO_DEEP"},
		{"4,000 fragments side by side", "application/json", query(hostile.FragmentsSideBySide(4000)), 413, "QUERY_TOO_LARGE"},
		{"8,000 fragments side by side", "application/json", query(hostile.FragmentsSideBySide(8000)), 413, "QUERY_TOO_LARGE"},
		{"1,000 fragments side by side (within the size limit)", "application/json", query(hostile.FragmentsSideBySide(1000)), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"fragments doubling 40 times", "application/json", query(hostile.FragmentChain(41, 2)), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"40,000 __typename", "application/json", query("{ " + strings.Repeat("__typename ", 40_000) + "}"), 413, "QUERY_TOO_LARGE"},
		{"5,000 __typename (within the size limit)", "application/json", query("{ " + strings.Repeat("__typename ", 5000) + "}"), 400, "TOO_MANY_FIELDS"},
		{"the largest page three times", "application/json", query(
			"{ a: getOrders(limit: 1000) { orderId customerId totalAmount status items { id productId quantity priceAtPurchase product { productId price stockCount } } }" +
				" b: getOrders(limit: 1000) { orderId customerId totalAmount status items { id productId quantity priceAtPurchase product { productId price stockCount } } }" +
				" c: getOrders(limit: 1000) { orderId customerId totalAmount status items { id productId quantity priceAtPurchase product { productId price stockCount } } } }"), 400, "QUERY_TOO_COMPLEX"},
		{"a syntax error at the end of a 60 KB line", "application/json", query("{ getProducts { " + strings.Repeat("price ", 6000) + ") }"), 400, "GRAPHQL_PARSE_FAILED"},
		{"a mutation without Content-Type", "", query(`mutation { createProduct(input: {price: 1, stockCount: 1}) { productId } }`), 415, "BAD_REQUEST"},
		{"a mutation as text/plain", "text/plain", query(`mutation { createProduct(input: {price: 1, stockCount: 1}) { productId } }`), 415, "BAD_REQUEST"},
		{"NUL in the orders filter", "application/json", query(`{ orders(customerId: "a\u0000b") { edges { node { orderId } } } }`), 200, "BAD_USER_INPUT"},
		{"invalid UTF-8 in the orders filter", "application/graphql", []byte("{ orders(customerId: \"a\xffb\") { edges { node { orderId } } } }"), 400, "BAD_REQUEST"},
	}
	for _, tt := range tests {
		start := time.Now()
		status, code, err := post(tt.contentType, tt.body)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v (process: %v)", tt.name, err, processState(exited))
		}
		if status != tt.status || code != tt.code {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, code, tt.status, tt.code)
		}
		if took > 5*time.Second {
			t.Errorf("%s: took %v", tt.name, took)
		}
		t.Logf("%-55s %d %-26s %v", tt.name, status, code, took.Round(time.Millisecond))
		health()
	}

	// 1,000 distinct documents of 64 KB, each refused: none is kept.
	cached := metricOf(t, client, url, "shop_graphql_document_cache_entries")
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < 1000; i += 8 {
				doc := fmt.Sprintf(`{ nope%d getProductsById(id: "`, i)
				doc += strings.Repeat("x", 64_000-len(doc)-len(`") { price } }`)) + `") { price } }`
				status, code, err := post("application/json", query(doc))
				if err != nil || status != 400 || code != "GRAPHQL_VALIDATION_FAILED" {
					errs <- fmt.Sprintf("document %d: %d %q %v", i, status, code, err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("1,000 refused 64 KB documents in %v", time.Since(start).Round(time.Millisecond))
	health()

	rss, peak := memoryOf(t, cmd.Process.Pid)
	heap := metricOf(t, client, url, "go_memstats_heap_inuse_bytes")
	t.Logf("after all: RSS %d MiB (peak %d MiB), heap in use %.0f MiB", rss>>20, peak>>20, heap/(1<<20))
	if peak > 512<<20 {
		t.Errorf("peak RSS %d MiB: a 512 MiB instance would have died", peak>>20)
	}
	if heap > 128<<20 {
		t.Errorf("%.0f MiB of heap in use after refused documents", heap/(1<<20))
	}
	if n := metricOf(t, client, url, "shop_graphql_document_cache_entries"); n != cached {
		t.Errorf("%v documents cached, %v before the refused ones", n, cached)
	}
}

func processState(exited chan error) string {
	select {
	case err := <-exited:
		return fmt.Sprintf("exited: %v", err)
	default:
		return "running"
	}
}

// memoryOf reads a process's resident and peak resident memory.
func memoryOf(tb testing.TB, pid int) (rss, peak int64) {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// metricOf reads one unlabelled series from /metrics.
func metricOf(tb testing.TB, client *http.Client, url, name string) float64 {
	tb.Helper()
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if n, v, ok := strings.Cut(sc.Text(), " "); ok && n == name {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return f
		}
	}
	tb.Fatalf("no metric %s", name)
	return 0
}
