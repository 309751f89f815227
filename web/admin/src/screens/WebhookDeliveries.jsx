// The deliveries to one webhook endpoint: status tabs, newest first, one
// page of the connection at a time; a delivery's details (the payload
// sent, attempts, the receiver's last answer or error) beside the list,
// and Replay, which queues a new delivery of the same payload.
//
// The API reads deliveries only as a list, so a delivery's details are
// the list's row, kept while the admin pages or filters.
import { useEffect, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync, usePaged } from "../hooks.js";
import { Link, navigate, withParams } from "../router.jsx";
import { formatDate, shortId } from "../format.js";
import { DELIVERY, DELIVERY_STATUSES, prettyJSON } from "../webhooks.js";
import { Pager } from "../components/Pager.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";

const PAGE = 20;
const DELIVERIES = `query($endpointId: String, $status: String, $first: Int, $after: String) {
  webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {
    edges { cursor node { ${DELIVERY} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const TABS = [["", "All"], ...DELIVERY_STATUSES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])];

export function DeliveryStatus({ status }) {
  return <span class={`badge badge--wh-${status}`}>{status}</span>;
}

export function WebhookDeliveries({ params, query }) {
  const status = query.get("status") || "";
  const base = `/webhooks/${encodeURIComponent(params.id)}/deliveries`;
  const endpoints = useAsync(() => gql("query { webhookEndpoints { webhookEndpointId url } }"), [params.id]);
  const endpoint = endpoints.data?.webhookEndpoints.find((e) => e.webhookEndpointId === params.id);
  const paged = usePaged(
    (after) => gql(DELIVERIES, { endpointId: params.id, status: status || null, first: PAGE, after }).then((d) => d.webhookDeliveries),
    [params.id, status],
  );
  const [selected, setSelected] = useState(null);
  // A row's details follow the row as the list reloads (a retry since).
  const shown = selected && (paged.items.find((d) => d.deliveryId === selected.deliveryId) || selected);
  // The replay is a new delivery, listed first (the page reloads); the
  // details stay on the one replayed, with the action's result.
  const replayed = () => paged.reload();
  return (
    <section aria-labelledby="deliveries-title">
      <p class="crumbs">
        <Link href={`/webhooks/${params.id}`}>← Endpoint</Link>
      </p>
      <div class="heading">
        <h1 id="deliveries-title">
          Deliveries{endpoint && <span class="heading__sub mono wrap">to {endpoint.url}</span>}
        </h1>
        <RefreshButton state={paged} />
      </div>
      {endpoints.data && !endpoint && <p class="panel panel--error">No webhook endpoint has the id {params.id}.</p>}
      <nav class="tabs" aria-label="Delivery status">
        {TABS.map(([value, label]) => (
          <a
            key={value}
            href={`/admin${withParams(base, { status: value })}`}
            aria-current={status === value ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(withParams(base, { status: value }));
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      <div class="detail">
        <div class="detail__main">
          <Loadable state={paged} what="deliveries">
            {paged.items.length === 0 ? (
              <p class="empty">{status ? `No ${status} deliveries.` : "No deliveries yet: none of the endpoint's events has happened since it was created."}</p>
            ) : (
              <div aria-busy={paged.loading ? "true" : "false"}>
                <TableWrap label="Deliveries (scrolls sideways)">
                  <table class="list" id="deliveries">
                    <caption class="sr-only">Deliveries{status ? `, ${status}` : ""}, newest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">Event</th>
                        <th scope="col">Status</th>
                        <th scope="col" class="num">
                          Attempts
                        </th>
                        <th scope="col" class="hide-narrow">
                          Created
                        </th>
                        <th scope="col">
                          <span class="sr-only">Details</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {paged.items.map((d) => (
                        <tr key={d.deliveryId} data-delivery-id={d.deliveryId} data-event-type={d.eventType} class={shown?.deliveryId === d.deliveryId ? "is-selected" : ""}>
                          <td class="mono">{d.eventType}</td>
                          <td>
                            <DeliveryStatus status={d.status} />
                          </td>
                          <td class="num">{d.attempts}</td>
                          <td class="hide-narrow">{formatDate(d.createdAt)}</td>
                          <td>
                            <button
                              type="button"
                              class="small"
                              aria-controls="delivery-detail"
                              aria-expanded={shown?.deliveryId === d.deliveryId ? "true" : "false"}
                              onClick={() => setSelected(d)}
                            >
                              Details<span class="sr-only"> of {d.eventType}, delivery {shortId(d.deliveryId)}</span>
                            </button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              </div>
            )}
            <Pager paged={paged} label="Delivery pages" />
          </Loadable>
        </div>
        <div class="detail__side" id="delivery-detail">
          {shown ? (
            <DeliveryDetail key={shown.deliveryId} delivery={shown} onReplayed={replayed} />
          ) : (
            <p class="muted panel">Choose a delivery's Details to see its payload, attempts and the receiver's answer.</p>
          )}
        </div>
      </div>
    </section>
  );
}

function DeliveryDetail({ delivery: d, onReplayed }) {
  const box = useRef(null);
  const replay = useAction();
  const pending = d.status === "pending";
  useEffect(() => box.current?.focus({ preventScroll: false }), []);
  const run = () =>
    replay.run(async () => {
      const r = await gql(`mutation($id: String!) { replayWebhookDelivery(deliveryId: $id) { ${DELIVERY} } }`, { id: d.deliveryId });
      onReplayed(r.replayWebhookDelivery);
      return r.replayWebhookDelivery;
    }, (n) => `Replayed: a new delivery of ${n.eventType} is ${n.status}.`);
  return (
    <section class="panel delivery" aria-labelledby="delivery-title" tabIndex={-1} ref={box} data-testid="delivery-detail">
      <h2 id="delivery-title">
        Delivery of <span class="mono">{d.eventType}</span>
      </h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="delivery-status">
          <DeliveryStatus status={d.status} />
        </dd>
        <dt>Attempts</dt>
        <dd data-testid="delivery-attempts">{d.attempts}</dd>
        <dt>Response status</dt>
        <dd data-testid="delivery-response">{d.responseStatus == null ? <span class="muted">None yet</span> : d.responseStatus}</dd>
        <dt>Last error</dt>
        <dd data-testid="delivery-error">{d.lastError ? <span class="delivery__error">{d.lastError}</span> : <span class="muted">None</span>}</dd>
        <dt>Created</dt>
        <dd>{formatDate(d.createdAt)}</dd>
        <dt>Last attempt</dt>
        <dd>{formatDate(d.lastAttemptAt)}</dd>
        {d.status === "pending" && (
          <>
            <dt>Next attempt</dt>
            <dd>{formatDate(d.nextAttemptAt)}</dd>
          </>
        )}
        {d.deliveredAt && (
          <>
            <dt>Delivered</dt>
            <dd>{formatDate(d.deliveredAt)}</dd>
          </>
        )}
        <dt>Event id</dt>
        <dd class="mono">{d.eventId}</dd>
        <dt>Delivery id</dt>
        <dd class="mono">{d.deliveryId}</dd>
      </dl>
      <h3>Payload</h3>
      <pre class="code" data-testid="delivery-payload">
        {prettyJSON(d.payload)}
      </pre>
      <div class="action">
        <button type="button" class="primary" disabled={replay.busy || pending} onClick={run}>
          {replay.busy ? "Replaying…" : "Replay"}
        </button>
        <ActionStatus action={replay} busyText="" />
        <p class="muted">
          {pending
            ? "It is still being retried: it can be replayed once it is delivered or has failed (a replay would wait behind it, as an order's events are sent in their order)."
            : "Replay queues a new delivery of the same payload. Its id is the event's, so a receiver that already handled the event can tell."}
        </p>
      </div>
    </section>
  );
}
