// Shipping: every zone with the countries and regions it covers and its
// rates; a zone is created, edited and deleted, a rate added and deleted
// (the API has no rate update: delete it and add it again). Each form
// shows the API's message beside the field it names.
import { useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { fieldErrors } from "../api.js";
import { formatMoney, plural } from "../format.js";
import { RATE, RATE_KINDS, ZONE, codes, kindName, moneyOf, rateCondition, wholeOf } from "../pricing.js";
import { SelectField, TextField } from "../components/Field.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";

const ZONES = `query { shippingZones { ${ZONE} } }`;

// named is a label that shows text and, for screen readers, which zone it
// is of (each zone has its own rate form: their fields must not read alike).
const named = (text, hidden) => (
  <>
    {text}
    <span class="sr-only">{hidden}</span>
  </>
);

export function Shipping() {
  const state = useAsync(() => gql(ZONES), []);
  const zones = state.data?.shippingZones || [];
  return (
    <section aria-labelledby="shipping-title">
      <div class="heading">
        <h1 id="shipping-title">Shipping</h1>
      </div>
      <p class="muted intro">
        A zone is a set of countries, or only some regions of them; its rates are the shipping methods shoppers choose from. An address no
        zone covers is offered none, and can't check out.
      </p>
      <div class="detail">
        <div class="detail__main">
          <Loadable state={state} what="the shipping zones">
            {zones.length === 0 ? (
              <p class="empty">No shipping zones yet: no address can check out.</p>
            ) : (
              zones.map((z) => <Zone key={z.zoneId} zone={z} reload={state.reload} />)
            )}
          </Loadable>
        </div>
        <div class="detail__side">
          <ZoneForm reload={state.reload} />
        </div>
      </div>
    </section>
  );
}

function Zone({ zone: z, reload }) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef(null);
  // Saved or cancelled, the form goes: focus returns to the button that
  // opened it rather than to the page's start.
  const closeEdit = () => {
    setEditing(false);
    editButton.current?.focus();
  };
  const del = useAction();
  const titleId = `zone-${z.zoneId}-title`;
  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteShippingZone(zoneId: $id) }", { id: z.zoneId });
      reload();
      if (!d.deleteShippingZone) throw new Error(`${z.name} was already gone.`);
    }, `Deleted the zone ${z.name}.`);
  return (
    <article class="panel zone" data-zone={z.name} aria-labelledby={titleId}>
      <div class="zone__head">
        <h2 id={titleId}>{z.name}</h2>
        <span class="zone__actions">
          <button type="button" ref={editButton} class="small" aria-expanded={editing ? "true" : "false"} onClick={() => setEditing(!editing)}>
            Edit zone<span class="sr-only"> {z.name}</span>
          </button>
          <Confirm
            label="Delete zone"
            context={z.name}
            question={`Delete ${z.name} and its ${plural(z.rates.length, "rate")}? Orders keep what they were charged.`}
            confirmLabel="Yes, delete"
            onConfirm={remove}
            disabled={del.busy}
          />
        </span>
      </div>
      <ActionStatus action={del} busyText="Deleting…" />
      <dl class="facts zone__facts">
        <dt>Countries</dt>
        <dd data-testid="zone-countries">{z.countries.join(", ")}</dd>
        <dt>Regions</dt>
        <dd data-testid="zone-regions">{z.regions.length ? z.regions.join(", ") : <span class="muted">The whole of each country</span>}</dd>
      </dl>
      {editing && <ZoneForm zone={z} reload={reload} onDone={closeEdit} />}
      <h3 class="zone__rates-title">Rates</h3>
      {z.rates.length === 0 ? (
        <p class="muted">No rates: addresses in this zone are offered no shipping method.</p>
      ) : (
        <TableWrap label={`Rates of ${z.name} (scrolls sideways)`}>
          <table class="list rates">
            <caption class="sr-only">Rates of {z.name}, by price</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col" class="num">
                  Price
                </th>
                <th scope="col">Applies</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {z.rates.map((r) => (
                <RateRow key={r.shippingMethodId} rate={r} reload={reload} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <RateForm zone={z} reload={reload} />
    </article>
  );
}

function RateRow({ rate: r, reload }) {
  const del = useAction();
  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteShippingRate(shippingMethodId: $id) }", { id: r.shippingMethodId });
      reload();
      if (!d.deleteShippingRate) throw new Error(`${r.name} was already gone.`);
    }, `Deleted the rate ${r.name}.`);
  return (
    <tr data-rate={r.name}>
      <th scope="row" class="rates__name">
        {r.name}
      </th>
      <td>{kindName(RATE_KINDS, r.kind)}</td>
      <td class="num">{formatMoney(r.price)}</td>
      <td>{rateCondition(r)}</td>
      <td class="rates__actions">
        <Confirm label="Delete" context={r.name} question={`Delete ${r.name}?`} confirmLabel="Yes, delete" danger={false} onConfirm={remove} disabled={del.busy} />
        <ActionStatus action={del} busyText="Deleting…" />
      </td>
    </tr>
  );
}

// ZoneForm creates a zone, or edits zone (name, countries, regions).
function ZoneForm({ zone, reload, onDone }) {
  const [name, setName] = useState(zone?.name || "");
  const [countries, setCountries] = useState((zone?.countries || []).join(", "));
  const [regions, setRegions] = useState((zone?.regions || []).join(", "));
  const action = useAction();
  const errs = fieldErrors(action.error);
  const prefix = zone ? `zone-edit-${zone.zoneId}` : "new-zone";
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const vars = { name, countries: codes(countries), regions: codes(regions) };
      if (zone) {
        // regions [] is "the whole of each country" again.
        const d = await gql(`mutation($id: String!, $name: String, $countries: [String!], $regions: [String!]) {
          updateShippingZone(zoneId: $id, name: $name, countries: $countries, regions: $regions) { zoneId name } }`, { id: zone.zoneId, ...vars });
        if (!d.updateShippingZone) {
          reload();
          throw new Error("The zone no longer exists.");
        }
        reload();
        onDone();
        return d.updateShippingZone;
      }
      const d = await gql(`mutation($name: String!, $countries: [String!]!, $regions: [String!]) {
        createShippingZone(name: $name, countries: $countries, regions: $regions) { zoneId name } }`, vars);
      setName("");
      setCountries("");
      setRegions("");
      reload();
      return d.createShippingZone;
    }, (z) => (zone ? `Saved the zone ${z.name}.` : `Created the zone ${z.name}.`));
  };
  return (
    <form class={zone ? "zone__edit form" : "panel form"} onSubmit={submit} noValidate aria-labelledby={`${prefix}-title`}>
      {zone ? <h3 id={`${prefix}-title`}>Edit {zone.name}</h3> : <h2 id={`${prefix}-title`}>New shipping zone</h2>}
      <TextField label={zone ? named("Name", ` of ${zone.name}`) : "Zone name"} value={name} onInput={setName} maxLength={100} error={errs.name} autocomplete="off" />
      <TextField
        label={zone ? named("Countries", ` of ${zone.name}`) : "Countries"}
        hint="ISO codes, separated by commas: US, CA."
        value={countries}
        onInput={setCountries}
        error={errs.countries}
        autocomplete="off"
        autocapitalize="characters"
        spellcheck={false}
      />
      <TextField
        label={zone ? named("Regions (optional)", ` of ${zone.name}`) : "Regions (optional)"}
        hint="With their country: US-CA, CA-QC, AU-NSW. A country with regions listed is covered in those only; none: the whole of each country."
        value={regions}
        onInput={setRegions}
        error={errs.regions}
        autocomplete="off"
        autocapitalize="characters"
        spellcheck={false}
      />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Saving…" : zone ? "Save zone" : "Create zone"}
        </button>
        {zone && (
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        )}
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

// The fields of the rate form, as text.
const NO_RATE = { name: "", kind: "FLAT", price: "", freeAbove: "", minWeightGrams: "", maxWeightGrams: "" };

function RateForm({ zone, reload }) {
  const [f, setF] = useState(NO_RATE);
  const action = useAction();
  const errs = fieldErrors(action.error);
  const set = (k) => (v) => setF((old) => ({ ...old, [k]: v }));
  const prefix = `rate-new-${zone.zoneId}`;
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      // Each kind takes only its own fields: the API refuses the others',
      // and says which of its own are missing (left out when empty).
      const input = { name: f.name, kind: f.kind, price: moneyOf("price", f.price) };
      if (f.kind === "FREE_ABOVE" && f.freeAbove.trim()) input.freeAbove = moneyOf("freeAbove", f.freeAbove);
      if (f.kind === "BY_WEIGHT") {
        if (f.minWeightGrams.trim()) input.minWeightGrams = wholeOf("minWeightGrams", f.minWeightGrams);
        if (f.maxWeightGrams.trim()) input.maxWeightGrams = wholeOf("maxWeightGrams", f.maxWeightGrams);
      }
      const d = await gql(`mutation($zone: String!, $in: ShippingRateInput!) { createShippingRate(zoneId: $zone, input: $in) { ${RATE} } }`, {
        zone: zone.zoneId,
        in: input,
      });
      setF(NO_RATE);
      reload();
      return d.createShippingRate;
    }, (r) => `Added the rate ${r.name} to ${zone.name}.`);
  };
  return (
    <form class="rate-form" onSubmit={submit} noValidate aria-labelledby={`${prefix}-title`}>
      <h3 id={`${prefix}-title`}>Add a rate to {zone.name}</h3>
      <div class="row">
        <TextField label={named("Rate name", ` in ${zone.name}`)} value={f.name} onInput={set("name")} maxLength={100} error={errs.name} autocomplete="off" />
        <SelectField label={named("Kind", ` of rate in ${zone.name}`)} value={f.kind} onChange={set("kind")} options={RATE_KINDS} error={errs.kind} />
        <TextField label={named("Price (USD)", ` of rate in ${zone.name}`)} inputMode="decimal" value={f.price} onInput={set("price")} error={errs.price} autocomplete="off" />
      </div>
      {f.kind === "FREE_ABOVE" && (
        <div class="row">
          <TextField
            label={named("Free from a subtotal (USD)", ` in ${zone.name}`)}
            hint="The subtotal after discounts at which shipping costs nothing."
            inputMode="decimal"
            value={f.freeAbove}
            onInput={set("freeAbove")}
            error={errs.freeAbove}
            autocomplete="off"
          />
        </div>
      )}
      {f.kind === "BY_WEIGHT" && (
        <div class="row">
          <TextField
            label={named("Minimum weight (g)", ` in ${zone.name}`)}
            hint="Inclusive; the lines' variant weights times their quantities. One bound or both."
            type="number"
            inputMode="numeric"
            min="0"
            step="1"
            value={f.minWeightGrams}
            onInput={set("minWeightGrams")}
            error={errs.minWeightGrams}
          />
          <TextField
            label={named("Maximum weight (g)", ` in ${zone.name}`)}
            hint="Inclusive."
            type="number"
            inputMode="numeric"
            min="0"
            step="1"
            value={f.maxWeightGrams}
            onInput={set("maxWeightGrams")}
            error={errs.maxWeightGrams}
          />
        </div>
      )}
      <div class="form__actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? "Adding…" : "Add rate"}
          <span class="sr-only"> to {zone.name}</span>
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}
