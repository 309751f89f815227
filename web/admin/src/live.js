// Live updates: GraphQL subscriptions over one WebSocket (graphql-transport-ws
// on /graphql, through the npm graphql-ws client) shared by every screen
// that watches something.
//
// The socket carries the access token once, in connection_init. When it
// expires the server closes the socket with 4401; the watch then takes a
// fresh token (refreshing the session if need be) and subscribes again.
// Any other drop (the network, a server restarting with 1001, a slow
// reader closed with 4408) is retried by graphql-ws with its randomised
// backoff. A subscription owes nothing across a drop, so a screen re-reads
// its data each time its watch goes live (onLive).
import { createClient } from "graphql-ws";
import { freshToken, subscribe as onSession } from "./session.js";

const UNAUTHORIZED = 4401;

let client = null;
let sentToken = "";
let socketState = "idle"; // "idle" (never opened) | "connecting" | "live" | "offline"
const socketListeners = new Set();

function setSocketState(s) {
  socketState = s;
  socketListeners.forEach((fn) => fn(s));
}

// backoff is the wait before attempt n+1 (n from 0): 1 s doubling up to
// 30 s, each randomised down to half so that dashboards do not return in step.
function backoff(n) {
  return Math.min(30000, 1000 * 2 ** Math.min(n, 5)) * (0.5 + Math.random() / 2);
}

function socketURL() {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function theClient() {
  if (client) return client;
  client = createClient({
    url: socketURL(),
    // Moving from one screen to another keeps the socket.
    lazyCloseTimeout: 10000,
    connectionParams: async () => {
      sentToken = await freshToken();
      return { Authorization: `Bearer ${sentToken}` };
    },
    // Signed in, keep trying: a dashboard left open should come back on
    // its own after an outage. 4401 and the other codes graphql-ws takes
    // as final reach the watch instead (below).
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // graphql-ws's own wait doubles without bound; this one stops at 30 s.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoff(retries))),
    on: {
      connecting: () => setSocketState("connecting"),
      connected: () => setSocketState("live"),
      closed: () => setSocketState("offline"),
    },
  });
  return client;
}

// Signing out closes the socket; the next session opens its own.
onSession((user) => {
  if (!user && client) {
    client.dispose();
    client = null;
    sentToken = "";
    setSocketState("idle");
  }
});

/**
 * watch runs the subscription query until stop() is called: onData(data)
 * for each result; onState("connecting" | "live" | "offline") as the
 * connection comes and goes; onLive() each time it is live again (the
 * first time included), for the screen to read what it may have missed.
 */
export function watch(query, variables, { onData, onState = () => {}, onLive = () => {} }) {
  let stopped = false;
  let unsubscribe = null;
  let retry = 0;
  let failures = 0;
  let state = "";
  let failed = false; // the subscription ended with an error and waits to start again
  let accepted = false; // the server took this start's token (connection_ack)

  const show = () => {
    const s = failed ? "offline" : socketState === "idle" ? "connecting" : socketState;
    if (s === state) return;
    const wasLive = state === "live";
    state = s;
    if (s === "live") accepted = true;
    onState(s);
    if (s === "live" && !wasLive) onLive();
  };
  const offSocket = (() => {
    socketListeners.add(show);
    return () => socketListeners.delete(show);
  })();

  const start = () => {
    if (stopped) return;
    failed = false;
    accepted = socketState === "live";
    unsubscribe = theClient().subscribe(
      { query, variables },
      {
        next: (result) => {
          failures = 0;
          if (result.data) onData(result.data);
        },
        error: (err) => again(err),
        complete: () => again(null),
      },
    );
    show();
  };

  // again starts the subscription once more after it ended: at once with
  // a fresh token when a token the server had taken expired (4401),
  // otherwise after a growing wait (1 s to 30 s), so that a refusal (4429,
  // too many connections; a fresh token refused too) is not hammered.
  const again = async (err) => {
    unsubscribe = null;
    if (stopped) return;
    failed = true;
    show();
    if (err && err.code === UNAUTHORIZED) {
      try {
        await freshToken(sentToken);
      } catch (e) {
        if (e.code === "UNAUTHENTICATED") return; // signed out: the app shows the sign-in screen
      }
      if (stopped) return;
      if (accepted) {
        start();
        return;
      }
    }
    retry = setTimeout(start, backoff(failures++));
  };

  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    offSocket();
    if (unsubscribe) unsubscribe();
  };
}
