// One webhook endpoint: its URL, events, description and whether it is
// enabled, edited (only what changed is sent) with the API's message
// beside the field it names; its state; deletion, confirmed. Its secret is
// never shown again (the API returns null).
import { useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { Link, navigate } from "../router.jsx";
import { formatDate } from "../format.js";
import { ENDPOINT, endpointErrors } from "../webhooks.js";
import { CheckField, TextField } from "../components/Field.jsx";
import { EventsField } from "../components/EventsField.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { EndpointState } from "./Webhooks.jsx";

const LIST = `query { webhookEndpoints { ${ENDPOINT} } webhookEventTypes }`;

export function WebhookEdit({ params }) {
  const state = useAsync(() => gql(LIST), [params.id]);
  const endpoint = state.data?.webhookEndpoints.find((e) => e.webhookEndpointId === params.id);
  const setEndpoint = (e) =>
    state.setData((d) => ({ ...d, webhookEndpoints: d.webhookEndpoints.map((x) => (x.webhookEndpointId === e.webhookEndpointId ? e : x)) }));
  return (
    <section aria-labelledby="endpoint-title">
      <p class="crumbs">
        <Link href="/webhooks">← Webhooks</Link>
      </p>
      <div class="heading">
        <h1 id="endpoint-title">{endpoint ? <span class="mono wrap">{endpoint.url}</span> : "Webhook endpoint"}</h1>
        {endpoint && <EndpointState endpoint={endpoint} />}
      </div>
      <Loadable state={state} what="the webhook endpoint">
        {state.data && !endpoint && <p class="panel panel--error">No webhook endpoint has the id {params.id}.</p>}
        {endpoint && (
          <div class="detail">
            <div class="detail__main">
              <EndpointForm key={endpoint.webhookEndpointId} endpoint={endpoint} types={state.data.webhookEventTypes} onSaved={setEndpoint} />
            </div>
            <div class="detail__side">
              <EndpointFacts endpoint={endpoint} />
              <DeleteEndpoint endpoint={endpoint} />
            </div>
          </div>
        )}
      </Loadable>
    </section>
  );
}

function EndpointFacts({ endpoint: e }) {
  return (
    <section class="panel" aria-labelledby="endpoint-facts-title">
      <h2 id="endpoint-facts-title">Deliveries</h2>
      <p>
        <Link href={`/webhooks/${e.webhookEndpointId}/deliveries`}>Deliveries to this endpoint</Link>
      </p>
      <dl class="facts">
        <dt>Created</dt>
        <dd>{formatDate(e.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatDate(e.updatedAt)}</dd>
        {e.failingSince && (
          <>
            <dt>Failing since</dt>
            <dd data-testid="failing-since">{formatDate(e.failingSince)}</dd>
          </>
        )}
        {e.disabledReason && (
          <>
            <dt>Disabled because</dt>
            <dd data-testid="disabled-reason">{e.disabledReason}</dd>
          </>
        )}
        <dt>Secret</dt>
        <dd class="muted">Shown once, when the endpoint was created.</dd>
      </dl>
    </section>
  );
}

const formOf = (e) => ({ url: e.url, events: e.events, description: e.description || "", enabled: e.enabled });

function EndpointForm({ endpoint, types, onSaved }) {
  const [f, setF] = useState(() => formOf(endpoint));
  const action = useAction();
  const errs = endpointErrors(action.error);
  const set = (k) => (v) => setF((old) => ({ ...old, [k]: v }));
  const was = formOf(endpoint);
  const changes = {};
  if (f.url.trim() !== was.url) changes.url = f.url.trim();
  if (f.events.join(",") !== was.events.join(",")) changes.events = f.events;
  if (f.description.trim() !== was.description) changes.description = f.description.trim();
  if (f.enabled !== was.enabled) changes.enabled = f.enabled;
  const changed = Object.keys(changes).length > 0;
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql(
        `mutation($id: String!, $url: String, $events: [String!], $description: String, $enabled: Boolean) {
          updateWebhookEndpoint(webhookEndpointId: $id, url: $url, events: $events, description: $description, enabled: $enabled) { ${ENDPOINT} } }`,
        { id: endpoint.webhookEndpointId, ...changes },
      );
      onSaved(d.updateWebhookEndpoint);
      return d.updateWebhookEndpoint;
    }, (ep) => `Saved the endpoint ${ep.url}.`);
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="endpoint-form-title">
      <h2 id="endpoint-form-title">Endpoint</h2>
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
      <TextField label="Description (optional)" value={f.description} onInput={set("description")} maxLength={500} error={errs.description} autocomplete="off" />
      <CheckField
        label="Enabled"
        hint="A disabled endpoint is sent nothing until it is enabled again."
        checked={f.enabled}
        onChange={set("enabled")}
        error={errs.enabled}
      />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy || !changed}>
          {action.busy ? "Saving…" : "Save endpoint"}
        </button>
        <ActionStatus action={action} busyText="" />
        {!changed && !action.busy && !action.message && !action.error && <span class="muted small-text">No changes to save.</span>}
      </div>
    </form>
  );
}

function DeleteEndpoint({ endpoint: e }) {
  const del = useAction();
  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteWebhookEndpoint(webhookEndpointId: $id) }", { id: e.webhookEndpointId });
      if (!d.deleteWebhookEndpoint) throw new Error(`${e.url} was already gone.`);
      navigate("/webhooks");
    }, `Deleted the endpoint ${e.url}.`);
  return (
    <section class="panel" aria-labelledby="endpoint-delete-title">
      <h2 id="endpoint-delete-title">Delete</h2>
      <p class="muted">Nothing more is delivered to a deleted endpoint.</p>
      <div class="action">
        <Confirm label="Delete endpoint" question={`Delete the endpoint ${e.url}?`} confirmLabel="Yes, delete" onConfirm={remove} disabled={del.busy} />
        <ActionStatus action={del} busyText="Deleting…" />
      </div>
    </section>
  );
}
