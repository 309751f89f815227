// Webhooks: the endpoints shop delivers events to, each leading to its
// page (edit, delete) and its deliveries; a new endpoint's form. A new
// endpoint's signing secret is in createWebhookEndpoint's answer only: it
// is shown once, here, until the admin dismisses it or leaves the screen,
// and is kept nowhere else.
import { useEffect, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { Link } from "../router.jsx";
import { formatDate, plural } from "../format.js";
import { ENDPOINT, endpointErrors, endpointState, eventsText } from "../webhooks.js";
import { Field, TextField } from "../components/Field.jsx";
import { EventsField } from "../components/EventsField.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";

const LIST = `query { webhookEndpoints { ${ENDPOINT} } webhookEventTypes }`;

export function EndpointState({ endpoint }) {
  const [kind, text] = endpointState(endpoint);
  return <span class={`badge badge--wh-${kind}`}>{text}</span>;
}

export function Webhooks() {
  const state = useAsync(() => gql(LIST), []);
  const [created, setCreated] = useState(null);
  const endpoints = state.data?.webhookEndpoints || [];
  return (
    <section aria-labelledby="webhooks-title">
      <div class="heading">
        <h1 id="webhooks-title">Webhooks</h1>
        <RefreshButton state={state} />
      </div>
      <p class="muted intro">
        shop posts each event to every enabled endpoint that wants its type, signed to the Standard Webhooks spec with the endpoint's
        secret, and retries for about a day. An endpoint failing for 3 days is disabled.
      </p>
      {created && <NewSecret endpoint={created} onDone={() => setCreated(null)} />}
      <div class="detail">
        <div class="detail__main">
          <Loadable state={state} what="the webhook endpoints">
            {endpoints.length === 0 ? (
              <p class="empty">No webhook endpoints yet: no event leaves the shop.</p>
            ) : (
              <>
                <p class="muted small-text">{plural(endpoints.length, "endpoint")}.</p>
                <TableWrap label="Webhook endpoints (scrolls sideways)">
                  <table class="list" id="webhook-endpoints">
                    <caption class="sr-only">Webhook endpoints</caption>
                    <thead>
                      <tr>
                        <th scope="col">URL</th>
                        <th scope="col">Events</th>
                        <th scope="col">State</th>
                        <th scope="col">
                          <span class="sr-only">Deliveries</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {endpoints.map((e) => (
                        <tr key={e.webhookEndpointId} data-endpoint={e.url}>
                          <td class="endpoint__url">
                            <Link href={`/webhooks/${e.webhookEndpointId}`} class="mono">
                              {e.url}
                            </Link>
                            {e.description && <span class="muted small-text endpoint__description">{e.description}</span>}
                          </td>
                          <td class="endpoint__events">{eventsText(e.events)}</td>
                          <td>
                            <EndpointState endpoint={e} />
                            {e.failingSince && e.enabled && <span class="muted small-text endpoint__note">since {formatDate(e.failingSince)}</span>}
                            {!e.enabled && e.disabledReason && <span class="muted small-text endpoint__note">{e.disabledReason}</span>}
                          </td>
                          <td>
                            <Link href={`/webhooks/${e.webhookEndpointId}/deliveries`} aria-label={`Deliveries to ${e.url}`}>
                              Deliveries
                            </Link>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              </>
            )}
          </Loadable>
        </div>
        <div class="detail__side">
          {state.data && (
            <CreateEndpoint
              types={state.data.webhookEventTypes}
              onCreated={(e) => {
                setCreated(e);
                state.reload();
              }}
            />
          )}
        </div>
      </div>
    </section>
  );
}

const NO_ENDPOINT = { url: "", events: [], description: "" };

function CreateEndpoint({ types, onCreated }) {
  const [f, setF] = useState(NO_ENDPOINT);
  const action = useAction();
  const errs = endpointErrors(action.error);
  const set = (k) => (v) => setF((old) => ({ ...old, [k]: v }));
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql(
        `mutation($url: String!, $events: [String!]!, $description: String) {
          createWebhookEndpoint(url: $url, events: $events, description: $description) { ${ENDPOINT} secret } }`,
        { url: f.url.trim(), events: f.events, description: f.description.trim() || null },
      );
      setF(NO_ENDPOINT);
      onCreated(d.createWebhookEndpoint);
      return d.createWebhookEndpoint;
    }, (ep) => `Created the endpoint ${ep.url}. Copy its secret now.`);
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      <TextField
        label="URL"
        hint="Where shop posts the events: an https URL."
        type="url"
        inputMode="url"
        value={f.url}
        onInput={set("url")}
        maxLength={2000}
        error={errs.url}
        autocomplete="off"
        spellcheck={false}
        class="field--mono"
      />
      <EventsField types={types} value={f.events} onChange={set("events")} error={errs.events} />
      <TextField label="Description (optional)" hint="What receives them: the warehouse, accounting." value={f.description} onInput={set("description")} maxLength={500} error={errs.description} autocomplete="off" />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Creating…" : "Create endpoint"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

/**
 * NewSecret shows a new endpoint's signing secret, the only time it can be
 * seen; focus moves to it. Copy uses the clipboard where the browser
 * allows it; the field is selected on focus for copying by hand.
 */
function NewSecret({ endpoint, onDone }) {
  const box = useRef(null);
  const [copied, setCopied] = useState("");
  useEffect(() => box.current?.focus(), [endpoint.webhookEndpointId]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(endpoint.secret);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("The browser refused the clipboard: select the secret and copy it (Ctrl+C, or ⌘C on a Mac).");
    }
  };
  return (
    <section class="panel panel--secret" aria-labelledby="secret-title" tabIndex={-1} ref={box} data-testid="new-secret">
      <h2 id="secret-title">Signing secret of {endpoint.url}</h2>
      <p class="secret__warning">
        <strong>Copy it now: it will not be shown again.</strong> Neither the dashboard nor the API can show it later; to get a new
        one, delete the endpoint and create it again.
      </p>
      <Field
        label="Signing secret"
        hint="Select it and copy it (Ctrl+C, or ⌘C on a Mac), or press Copy secret. Receivers use it to check each delivery's webhook-signature header."
        class="field--mono"
        render={(p) => <input {...p} type="text" readOnly value={endpoint.secret || ""} spellcheck={false} autocomplete="off" onFocus={(e) => e.currentTarget.select()} />}
      />
      <div class="form__actions">
        <button type="button" class="primary" onClick={copy}>
          Copy secret
        </button>
        <button type="button" onClick={onDone}>
          I have saved it
        </button>
        {copied && (
          <span class="inline-status" role="status">
            {copied}
          </span>
        )}
      </div>
    </section>
  );
}
