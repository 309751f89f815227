package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shop/internal/testenv"
)

// nodeWithWebSocket is the node command with a global WebSocket, which
// graphql-ws's client needs: built in from Node 22, behind a flag in 20.
func nodeWithWebSocket(t *testing.T) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("no node found: install Node.js (scripts/services.sh assets does)")
	}
	if _, err := os.Stat(filepath.Join("..", "web", "node_modules", "graphql-ws")); err != nil {
		t.Fatal("web/node_modules has no graphql-ws: run `scripts/services.sh assets` (npm ci in web/)")
	}
	out, err := exec.Command(node, "-e", "process.stdout.write(typeof WebSocket)").Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if string(out) == "function" {
		return []string{node}
	}
	return []string{node, "--experimental-websocket"}
}

// TestSubscriptionsWithGraphQLWS runs the npm graphql-ws client in Node
// against a server on PostgreSQL and Redis (web/test/graphql-ws.mjs): a
// product's payload carries the price set last, another customer's order
// is refused with NOT_FOUND, and a bad token closes the socket with 4401,
// which the client does not retry.
func TestSubscriptionsWithGraphQLWS(t *testing.T) {
	t.Parallel()
	testenv.SkipShort(t, "Node.js and PostgreSQL")
	node := nodeWithWebSocket(t)
	in := MustStart(t, PostgresRedisEnv(t))
	admin := in.MustAdmin(t)
	ann, _ := in.MustCustomer(t)
	bob, _ := in.MustCustomer(t)
	pid := in.MustCreateProduct(t, 10, 100)
	bobsOrder := bob.MustOrder(t, orderLine{ProductID: pid, Quantity: 1})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node[0], append(node[1:], "test/graphql-ws.mjs")...)
	cmd.Dir = filepath.Join("..", "web")
	cmd.Env = append(os.Environ(), "SHOP_URL="+in.URL, "ADMIN_TOKEN="+admin.Token, "CUSTOMER_TOKEN="+ann.Token,
		"OTHER_ORDER="+bobsOrder, "PRODUCT="+pid)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s\n%s", err, raw, stderr.String())
	}
	var got struct {
		Failure        string
		ProductUpdated struct {
			ProductID string
			Price     float64
		}
		Refused struct {
			Errors []gqlError
			Next   any
		}
		BadToken struct {
			Code   int
			Reason string
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("node printed %s: %v", raw, err)
	}
	if got.Failure != "" {
		t.Fatalf("the graphql-ws client failed: %s", got.Failure)
	}
	if got.ProductUpdated.ProductID != pid || got.ProductUpdated.Price != 99.5 {
		t.Errorf("productUpdated: %+v, want %s at 99.5", got.ProductUpdated, pid)
	}
	if len(got.Refused.Errors) != 1 || got.Refused.Errors[0].Extensions["code"] != "NOT_FOUND" || got.Refused.Next != nil {
		t.Errorf("another customer's order: %s", raw)
	}
	if got.BadToken.Code != 4401 {
		t.Errorf("a bad token: closed with %d %q, want 4401", got.BadToken.Code, got.BadToken.Reason)
	}
}
