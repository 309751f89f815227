// /verify-email?token=…: the page an address-verification email links to.
// It confirms the address as it opens (once, whatever re-renders), and
// says whether that worked.
import { useEffect, useRef, useState } from "preact/hooks";
import { post } from "../api.js";
import { PublicFrame } from "./PublicFrame.jsx";

export function VerifyEmail({ token }) {
  const [state, setState] = useState(token ? { busy: true } : { error: "This link has no token. Open the link from the email again." });
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    post("mutation($t: String!) { verifyEmail(token: $t) }", { t: token }).then(
      (d) => setState(d.verifyEmail ? { ok: true } : { error: "The address was not confirmed. Ask for a new link and try again." }),
      (err) => setState({ error: err.message }),
    );
  }, [token]);
  return (
    <PublicFrame title="Confirm your email address">
      {state.busy && (
        <p class="muted" aria-busy="true">
          Confirming your address…
        </p>
      )}
      {state.ok && (
        <p class="panel panel--info" role="status" data-testid="verify-done">
          Your email address is confirmed. You can close this page.
        </p>
      )}
      {state.error && (
        <p class="panel panel--error" role="alert" data-testid="verify-error">
          <span class="sr-label">Error: </span>
          {state.error}
        </p>
      )}
    </PublicFrame>
  );
}
