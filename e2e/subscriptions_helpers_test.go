package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsMessage is a graphql-transport-ws message as the tests read it.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
	at      time.Time       // when it was read
}

// wsClient is a graphql-transport-ws client of the tests' own, on
// coder/websocket: what it reads goes to msgs; closed is the close status
// once the connection ends.
type wsClient struct {
	tb     testing.TB
	c      *websocket.Conn
	msgs   chan wsMessage
	done   chan struct{}
	status websocket.StatusCode
	reason string
	cancel context.CancelFunc
}

// wsURL is the WebSocket URL of an instance's /graphql.
func wsURL(in *instance) string { return "ws" + strings.TrimPrefix(in.URL, "http") + "/graphql" }

// MustDialWS opens a graphql-transport-ws connection to in, without
// connection_init; the test's end closes it.
func MustDialWS(tb testing.TB, in *instance) *wsClient {
	tb.Helper()
	w, err := dialWS(in)
	if err != nil {
		tb.Fatalf("dial %s: %v", wsURL(in), err)
	}
	w.tb = tb
	tb.Cleanup(w.Close)
	return w
}

func dialWS(in *instance) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(in), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	c.SetReadLimit(16 << 20)
	rctx, rcancel := context.WithCancel(context.Background())
	w := &wsClient{c: c, msgs: make(chan wsMessage, 1024), done: make(chan struct{}), cancel: rcancel}
	go func() {
		defer close(w.done)
		for {
			_, data, err := c.Read(rctx)
			if err != nil {
				w.status, w.reason = websocket.CloseStatus(err), closeReason(err)
				return
			}
			m := wsMessage{at: time.Now()}
			if json.Unmarshal(data, &m) == nil {
				w.msgs <- m
			}
		}
	}()
	return w, nil
}

func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return err.Error()
}

// Close ends the connection if it is still open.
func (w *wsClient) Close() {
	_ = w.c.Close(websocket.StatusNormalClosure, "")
	w.cancel()
	<-w.done
}

// Send writes a message.
func (w *wsClient) Send(m any) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.c.Write(ctx, websocket.MessageText, b)
}

func (w *wsClient) MustSend(m any) {
	w.tb.Helper()
	if err := w.Send(m); err != nil {
		w.tb.Fatalf("send %v: %v", m, err)
	}
}

// MustInit sends connection_init with token (none when empty) and waits
// for connection_ack.
func (w *wsClient) MustInit(token string) *wsClient {
	w.tb.Helper()
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	w.MustSend(map[string]any{"type": "connection_init", "payload": payload})
	if m := w.MustRead(5 * time.Second); m.Type != "connection_ack" {
		w.tb.Fatalf("after connection_init: %+v, want connection_ack", m)
	}
	return w
}

// MustSubscribe starts subscription id and returns once the server has
// taken it: the server reads a connection's messages in order, so the
// pong to a ping sent after it comes once the subscribe was handled (and
// its error, if any, before the pong).
func (w *wsClient) MustSubscribe(id, query string, vars map[string]any) *wsClient {
	w.tb.Helper()
	w.MustSend(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	w.MustSend(map[string]any{"type": "ping"})
	for {
		m := w.MustRead(10 * time.Second)
		switch m.Type {
		case "pong":
			return w
		case "error":
			w.tb.Fatalf("subscribe %s: %s", id, m.Payload)
		}
	}
}

// MustRead returns the next message, failing the test after d.
func (w *wsClient) MustRead(d time.Duration) wsMessage {
	w.tb.Helper()
	m, ok := w.Read(d)
	if !ok {
		w.tb.Fatalf("no message within %s (connection closed: %d %q)", d, w.status, w.reason)
	}
	return m
}

// Read returns the next message, or false after d or once closed.
func (w *wsClient) Read(d time.Duration) (wsMessage, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case m := <-w.msgs:
		return m, true
	case <-w.done:
		select {
		case m := <-w.msgs:
			return m, true
		default:
			return wsMessage{}, false
		}
	case <-t.C:
		return wsMessage{}, false
	}
}

// MustNext reads until the next "next" of subscription id (pings are
// answered, pongs passed over) and decodes its data into out.
func (w *wsClient) MustNext(id string, d time.Duration, out any) {
	w.tb.Helper()
	deadline := time.Now().Add(d)
	for {
		m := w.MustRead(time.Until(deadline))
		switch {
		case m.Type == "ping":
			_ = w.Send(map[string]any{"type": "pong"})
			continue
		case m.Type == "pong":
			continue
		case m.ID != id || m.Type != "next":
			w.tb.Fatalf("waiting for next of %s: got %+v (%s)", id, m, m.Payload)
		}
		var res struct {
			Data   json.RawMessage `json:"data"`
			Errors []gqlError      `json:"errors"`
		}
		if err := json.Unmarshal(m.Payload, &res); err != nil || len(res.Errors) > 0 {
			w.tb.Fatalf("next of %s: %s", id, m.Payload)
		}
		if err := json.Unmarshal(res.Data, out); err != nil {
			w.tb.Fatalf("next of %s: %v\n%s", id, err, res.Data)
		}
		return
	}
}

// MustClosed waits for the server to close the connection and returns its
// close code.
func (w *wsClient) MustClosed(d time.Duration) websocket.StatusCode {
	w.tb.Helper()
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return w.status
		case m := <-w.msgs:
			if m.Type == "ping" {
				_ = w.Send(map[string]any{"type": "pong"})
			}
		case <-t.C:
			w.tb.Fatalf("the connection is still open after %s", d)
		}
	}
}

// mustNoUpgrade checks that an upgrade offering protocols is refused
// with HTTP status.
func mustNoUpgrade(tb testing.TB, in *instance, protocols []string, status int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(in), &websocket.DialOptions{Subprotocols: protocols})
	if err == nil {
		_ = c.CloseNow()
		tb.Fatalf("upgrade with %v accepted", protocols)
	}
	if resp == nil || resp.StatusCode != status {
		tb.Fatalf("upgrade with %v: %v, want HTTP %d", protocols, resp, status)
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	_ = http.StatusOK
}
