// The emails' Outbox: every email shop has queued, newest first, filtered
// by status and kind, one page at a time; an email's details beside the
// list. Its HTML body is never put into this page: it is shown in a
// sandboxed frame (EmailFrame) and, on request, as source text. Emails
// that carry a token (password reset, address verification) have no body
// here.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { usePaged } from "../hooks.js";
import { Link, navigate, withParams } from "../router.jsx";
import { formatDate, shortId } from "../format.js";
import { SelectField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";

const PAGE = 20;
const EMAIL = "emailId kind to subject status attempts orderId createdAt sentAt lastError file textBody htmlBody";
const OUTBOX = `query($status: String, $kind: String, $first: Int, $after: String) {
  emailOutbox(status: $status, kind: $kind, first: $first, after: $after) {
    edges { cursor node { ${EMAIL} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const EMAIL_KINDS = [
  ["order_placed", "Order placed"],
  ["payment_received", "Payment received"],
  ["order_shipped", "Order shipped"],
  ["order_cancelled", "Order cancelled"],
  ["order_refunded", "Order refunded"],
  ["password_reset", "Password reset"],
  ["verify_email", "Verify email"],
];
const EMAIL_STATUSES = [
  ["pending", "Pending"],
  ["sent", "Sent"],
  ["failed", "Failed"],
];
const kindName = (k) => EMAIL_KINDS.find(([v]) => v === k)?.[1] || k;

export function Outbox({ query }) {
  const status = query.get("status") || "";
  const kind = query.get("kind") || "";
  const paged = usePaged(
    (after) => gql(OUTBOX, { status: status || null, kind: kind || null, first: PAGE, after }).then((d) => d.emailOutbox),
    [status, kind],
  );
  const [selected, setSelected] = useState(null);
  const shown = selected && (paged.items.find((m) => m.emailId === selected.emailId) || selected);
  const filter = (k) => (v) => navigate(withParams("/outbox", { status, kind, [k]: v }), { replace: true });
  return (
    <section aria-labelledby="outbox-title">
      <div class="heading">
        <h1 id="outbox-title">Outbox</h1>
        <RefreshButton state={paged} />
      </div>
      <p class="muted intro">
        The emails shop sends: receipts, payments, shipments, cancellations, refunds and password resets. Without SMTP_URL each is
        written as an .eml file under data/mail/ instead of being sent.
      </p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the emails">
        <SelectField label="Status" value={status} onChange={filter("status")} options={[["", "Any status"], ...EMAIL_STATUSES]} />
        <SelectField label="Kind" value={kind} onChange={filter("kind")} options={[["", "Any kind"], ...EMAIL_KINDS]} />
      </form>
      <div class="detail">
        <div class="detail__main">
          <Loadable state={paged} what="the emails">
            {paged.items.length === 0 ? (
              <p class="empty">{status || kind ? "No emails match these filters." : "No emails yet: the first comes with the first order."}</p>
            ) : (
              <div aria-busy={paged.loading ? "true" : "false"}>
                <TableWrap label="Emails (scrolls sideways)">
                  <table class="list" id="emails">
                    <caption class="sr-only">Emails, newest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">To</th>
                        <th scope="col">Subject</th>
                        <th scope="col">Status</th>
                        <th scope="col" class="hide-narrow">
                          Created
                        </th>
                        <th scope="col">
                          <span class="sr-only">Details</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {paged.items.map((m) => (
                        <tr key={m.emailId} data-email-id={m.emailId} data-kind={m.kind} data-to={m.to} class={shown?.emailId === m.emailId ? "is-selected" : ""}>
                          <td class="email__to">{m.to}</td>
                          <td class="email__subject">
                            {m.subject}
                            <span class="muted small-text email__kind">{kindName(m.kind)}</span>
                          </td>
                          <td>
                            <span class={`badge badge--mail-${m.status}`}>{m.status}</span>
                          </td>
                          <td class="hide-narrow">{formatDate(m.createdAt)}</td>
                          <td>
                            <button
                              type="button"
                              class="small"
                              aria-controls="email-detail"
                              aria-expanded={shown?.emailId === m.emailId ? "true" : "false"}
                              onClick={() => setSelected(m)}
                            >
                              Details<span class="sr-only"> of the email {shortId(m.emailId)} to {m.to}</span>
                            </button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              </div>
            )}
            <Pager paged={paged} label="Email pages" />
          </Loadable>
        </div>
        <div class="detail__side" id="email-detail">
          {shown ? <EmailDetail key={shown.emailId} email={shown} /> : <p class="muted panel">Choose an email's Details to read it.</p>}
        </div>
      </div>
    </section>
  );
}

function EmailDetail({ email: m }) {
  const box = useRef(null);
  const [source, setSource] = useState(false);
  useEffect(() => box.current?.focus(), []);
  const secret = m.kind === "password_reset" || m.kind === "verify_email";
  return (
    <section class="panel email" aria-labelledby="email-title" tabIndex={-1} ref={box} data-testid="email-detail">
      <h2 id="email-title">{m.subject}</h2>
      <dl class="facts">
        <dt>To</dt>
        <dd data-testid="email-to">{m.to}</dd>
        <dt>Kind</dt>
        <dd>{kindName(m.kind)}</dd>
        <dt>Status</dt>
        <dd data-testid="email-status">
          <span class={`badge badge--mail-${m.status}`}>{m.status}</span>
        </dd>
        <dt>Attempts</dt>
        <dd>{m.attempts}</dd>
        <dt>Created</dt>
        <dd>{formatDate(m.createdAt)}</dd>
        <dt>Sent</dt>
        <dd>{formatDate(m.sentAt)}</dd>
        {m.orderId && (
          <>
            <dt>Order</dt>
            <dd>
              <Link href={`/orders/${m.orderId}`} class="mono">
                {shortId(m.orderId)}
              </Link>
            </dd>
          </>
        )}
        {m.file && (
          <>
            <dt>File</dt>
            <dd class="mono" data-testid="email-file">
              {m.file}
            </dd>
          </>
        )}
        {m.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="delivery__error" data-testid="email-error">
              {m.lastError}
            </dd>
          </>
        )}
      </dl>
      {secret && !m.textBody && !m.htmlBody && (
        <p class="muted" data-testid="email-no-body">
          Its body is not shown: it holds a single-use link for the account's owner alone.
        </p>
      )}
      {m.htmlBody && (
        <>
          <h3>HTML</h3>
          <EmailFrame html={m.htmlBody} title={`The HTML body of ${m.subject}`} />
          <button type="button" class="small" aria-expanded={source ? "true" : "false"} aria-controls="email-html-source" onClick={() => setSource(!source)}>
            {source ? "Hide the HTML source" : "Show the HTML source"}
          </button>
          {source && (
            <pre class="code" id="email-html-source" data-testid="email-html-source">
              {m.htmlBody}
            </pre>
          )}
        </>
      )}
      {m.textBody && (
        <>
          <h3>Text</h3>
          <pre class="code email__text" data-testid="email-text">
            {m.textBody}
          </pre>
        </>
      )}
    </section>
  );
}

/**
 * EmailFrame shows an email's HTML in a frame sandboxed without scripts,
 * forms, popups or navigation of the page. A srcdoc frame inherits the
 * page's content policy, which refuses inline styles, and emails are
 * styled inline: so the markup goes in with its style attributes renamed
 * (data-style, which nothing applies), and once the frame has loaded each
 * element gets its style back through the CSSOM, which the policy allows.
 * That needs the frame's document to be reachable from here
 * (allow-same-origin); with no allow-scripts nothing in it ever runs.
 * Images load only as the page's policy allows (https).
 */
function EmailFrame({ html, title }) {
  const frame = useRef(null);
  // The renaming is textual: a parser (DOMParser) would apply the page's
  // policy to the attributes it reads, and report each one refused. In
  // the email's text, " style=" reads " data-style=": a preview's cost.
  const doc = useMemo(() => html.replace(/(\s)style\s*=/gi, "$1data-style="), [html]);
  const restyle = () => {
    frame.current?.contentDocument?.querySelectorAll("[data-style]").forEach((el) => {
      el.style.cssText = el.getAttribute("data-style");
    });
  };
  return (
    <iframe
      ref={frame}
      class="email__frame"
      title={title}
      sandbox="allow-same-origin"
      srcdoc={doc}
      referrerpolicy="no-referrer"
      onLoad={restyle}
      data-testid="email-html"
    />
  );
}
