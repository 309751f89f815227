// Taxes: every tax rate by country and region (the API's order: the
// country-wide first), created and deleted; the form shows the API's
// message beside the field it names.
import { useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { fieldErrors } from "../api.js";
import { plural } from "../format.js";
import { TAX_RATE, numberOf } from "../pricing.js";
import { CheckField, TextField } from "../components/Field.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";

const RATES = `query { taxRates { ${TAX_RATE} } }`;

export function Taxes() {
  const state = useAsync(() => gql(RATES), []);
  const rates = state.data?.taxRates || [];
  return (
    <section aria-labelledby="taxes-title">
      <div class="heading">
        <h1 id="taxes-title">Taxes</h1>
      </div>
      <p class="muted intro">
        Every rate matching a shipping address applies, each its own tax line: a country-wide rate and one of the address's region both do.
        Tax is computed per line on its discounted total.
      </p>
      <div class="detail">
        <div class="detail__main">
          <Loadable state={state} what="the tax rates">
            {rates.length === 0 ? (
              <p class="empty">No tax rates: orders are charged no tax.</p>
            ) : (
              <>
                <p class="muted small-text">{plural(rates.length, "tax rate")}, by country and region.</p>
                <TableWrap label="Tax rates (scrolls sideways)">
                  <table class="list" id="tax-rates">
                    <caption class="sr-only">Tax rates, by country, region and name</caption>
                    <thead>
                      <tr>
                        <th scope="col">Country</th>
                        <th scope="col">Region</th>
                        <th scope="col">Name</th>
                        <th scope="col" class="num">
                          Rate
                        </th>
                        <th scope="col">Shipping</th>
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {rates.map((r) => (
                        <TaxRow key={r.taxRateId} rate={r} reload={state.reload} />
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              </>
            )}
          </Loadable>
        </div>
        <div class="detail__side">
          <CreateTaxRate reload={state.reload} />
        </div>
      </div>
    </section>
  );
}

// where is the rate's place: "US-CA", or "US" for the whole country.
const where = (r) => (r.region ? `${r.country}-${r.region}` : r.country);

function TaxRow({ rate: r, reload }) {
  const del = useAction();
  const label = `${r.name} (${where(r)})`;
  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteTaxRate(taxRateId: $id) }", { id: r.taxRateId });
      reload();
      if (!d.deleteTaxRate) throw new Error(`${label} was already gone.`);
    }, `Deleted the tax rate ${label}.`);
  return (
    <tr data-tax={`${where(r)} ${r.name}`}>
      <td class="mono">{r.country}</td>
      <td>{r.region ? <span class="mono">{r.region}</span> : <span class="muted">Whole country</span>}</td>
      <th scope="row" class="tax__name">
        {r.name}
      </th>
      <td class="num">{r.rate}%</td>
      <td>{r.appliesToShipping ? "Taxed" : <span class="muted">Not taxed</span>}</td>
      <td class="rates__actions">
        <Confirm label="Delete" context={label} question={`Delete ${label}?`} confirmLabel="Yes, delete" danger={false} onConfirm={remove} disabled={del.busy} />
        <ActionStatus action={del} busyText="Deleting…" />
      </td>
    </tr>
  );
}

const NO_TAX = { country: "", region: "", name: "", rate: "", appliesToShipping: false };

function CreateTaxRate({ reload }) {
  const [f, setF] = useState(NO_TAX);
  const action = useAction();
  const errs = fieldErrors(action.error);
  const set = (k) => (v) => setF((old) => ({ ...old, [k]: v }));
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql(
        `mutation($country: String!, $region: String, $rate: Float!, $name: String!, $ship: Boolean) {
          createTaxRate(country: $country, region: $region, rate: $rate, name: $name, appliesToShipping: $ship) { ${TAX_RATE} } }`,
        { country: f.country, region: f.region, rate: numberOf("rate", f.rate), name: f.name, ship: f.appliesToShipping },
      );
      setF(NO_TAX);
      reload();
      return d.createTaxRate;
    }, (r) => `Created the tax rate ${r.name} (${where(r)}).`);
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="new-tax-title">
      <h2 id="new-tax-title">New tax rate</h2>
      <div class="row">
        <TextField
          label="Country"
          hint="An ISO code: US, CA, DE."
          value={f.country}
          onInput={set("country")}
          maxLength={2}
          error={errs.country}
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
        />
        <TextField
          label="Region (optional)"
          hint="CA for California, QC for Quebec; empty: the whole country."
          value={f.region}
          onInput={set("region")}
          maxLength={10}
          error={errs.region}
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
        />
      </div>
      <TextField label="Tax name" hint="The tax line's title: GST, CA sales tax." value={f.name} onInput={set("name")} maxLength={100} error={errs.name} autocomplete="off" />
      <TextField label="Rate (%)" hint="A percentage, at most 3 decimal places: 8.25." inputMode="decimal" value={f.rate} onInput={set("rate")} error={errs.rate} autocomplete="off" />
      <CheckField label="Tax shipping at this rate too" checked={f.appliesToShipping} onChange={set("appliesToShipping")} error={errs.appliesToShipping} />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Creating…" : "Create tax rate"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}
