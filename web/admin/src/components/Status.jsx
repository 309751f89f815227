// Status messages: one polite live region for the whole app (announce),
// and the inline progress/result/error of one action (ActionStatus).
import { useEffect, useState } from "preact/hooks";

const listeners = new Set();
let last = { text: "", kind: "info", n: 0 };

/** announce shows text in the app's live region (kind "info" or "error"). */
export function announce(text, kind = "info") {
  last = { text, kind, n: last.n + 1, at: Date.now() };
  listeners.forEach((fn) => fn(last));
}

/**
 * clearStaleAnnouncement clears the status line when the screen changes, unless
 * the message is a second old or less (an action that ends on another
 * screen, such as a deletion, reports there).
 */
export function clearStaleAnnouncement() {
  if (last.text && Date.now() - last.at > 1000) announce("");
}

/** LiveRegion is the app's aria-live status line. */
export function LiveRegion() {
  const [msg, setMsg] = useState(last);
  useEffect(() => {
    listeners.add(setMsg);
    return () => listeners.delete(setMsg);
  }, []);
  // The line fades after a while; the action's own status stays beside it.
  useEffect(() => {
    if (!msg.text) return undefined;
    const t = setTimeout(() => setMsg({ ...msg, text: "" }), msg.kind === "error" ? 10000 : 6000);
    return () => clearTimeout(t);
  }, [msg]);
  return (
    <div class={`live ${msg.text ? "live--shown" : ""} live--${msg.kind}`} role="status" aria-live="polite" aria-atomic="true">
      {msg.text}
    </div>
  );
}

/** ActionStatus is what one useAction() is doing: busy, done or failed. */
export function ActionStatus({ action, busyText = "Working…" }) {
  if (action.busy) return <span class="inline-status inline-status--busy">{busyText}</span>;
  if (action.error) return <ErrorText error={action.error} />;
  if (action.message) return <span class="inline-status inline-status--ok">{action.message}</span>;
  return null;
}

/** ErrorText is an error's message, marked as an error. */
export function ErrorText({ error }) {
  return (
    <span class="inline-status inline-status--error">
      <span class="sr-label">Error: </span>
      {error.message || String(error)}
    </span>
  );
}

/** Loadable shows a loading line, or the error with a retry, or children. */
export function Loadable({ state, what = "data", children }) {
  if (state.error && !state.data) {
    return (
      <div class="panel panel--error" role="alert">
        <p>
          Could not load {what}: {state.error.message}
        </p>
        <button type="button" onClick={state.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (!state.data) return <p class="loading" aria-busy="true">Loading {what}…</p>;
  return (
    <>
      {state.error && (
        <p class="panel panel--error" role="alert">
          Could not refresh {what}: {state.error.message}
        </p>
      )}
      {children}
    </>
  );
}
