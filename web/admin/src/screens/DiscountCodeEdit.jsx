// One discount code, new or as it is: every field of it, with the API's
// message beside the field it names; its uses; deactivation (the code
// stays, with its uses) and reactivation.
//
// An edit sends only the fields that changed, in the API's words for
// "none" (graphql-go passes no null on inside an input object): "" removes
// a date, a negative limit the limit, 0 the minimum subtotal.
import { useEffect, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync, useDebounced } from "../hooks.js";
import { Link, navigate } from "../router.jsx";
import { fieldErrors, fieldErrorsByPath } from "../api.js";
import { formatDate, plural } from "../format.js";
import { loadCategories } from "../categories.js";
import { CODE, CODE_KINDS, codeUses, moneyOf, numberOf, utcInput, utcTime, wholeOf } from "../pricing.js";
import { SelectField, TextField } from "../components/Field.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { ActionStatus, ErrorText, Loadable } from "../components/Status.jsx";

/** codeState is what a code is now: active, or why no cart can apply it. */
export function codeState(c, now = Date.now()) {
  if (!c.active) return ["inactive", "Deactivated"];
  if (c.endsAt && Date.parse(c.endsAt) <= now) return ["ended", "Ended"];
  if (c.startsAt && Date.parse(c.startsAt) > now) return ["scheduled", "Scheduled"];
  if (c.usageLimit != null && c.usageCount >= c.usageLimit) return ["used-up", "Used up"];
  return ["active", "Active"];
}

export function CodeState({ code }) {
  const [kind, text] = codeState(code);
  return <span class={`badge badge--code-${kind}`}>{text}</span>;
}

export function DiscountCodeEdit({ params }) {
  const isNew = !params.id;
  const state = useAsync(
    () => (isNew ? Promise.resolve({ discountCode: null }) : gql(`query($id: String!) { discountCode(discountCodeId: $id) { ${CODE} } }`, { id: params.id })),
    [params.id],
  );
  const code = state.data?.discountCode;
  const setCode = (c) => state.setData({ discountCode: c });
  return (
    <section aria-labelledby="code-title">
      <p class="crumbs">
        <Link href="/discount-codes">← Discount codes</Link>
      </p>
      <div class="heading">
        <h1 id="code-title">{isNew ? "New discount code" : code ? <span class="mono wrap">{code.code}</span> : "Discount code"}</h1>
        {code && <CodeState code={code} />}
      </div>
      <Loadable state={state} what="the discount code">
        {!isNew && state.data && !code && !state.loading && <p class="panel panel--error">No discount code has the id {params.id}.</p>}
        {(isNew || code) && (
          <div class="detail">
            <div class="detail__main">
              <CodeForm key={code?.discountCodeId || "new"} code={code} onSaved={setCode} />
            </div>
            {code && (
              <div class="detail__side">
                <Uses code={code} />
                <Activation code={code} onChange={setCode} />
              </div>
            )}
          </div>
        )}
      </Loadable>
    </section>
  );
}

function Uses({ code: c }) {
  return (
    <section class="panel" aria-labelledby="uses-title">
      <h2 id="uses-title">Uses</h2>
      <dl class="facts">
        <dt>Orders</dt>
        <dd data-testid="code-uses">{codeUses(c)}</dd>
        <dt>Per customer</dt>
        <dd>{c.usageLimitPerCustomer == null ? "No limit" : `At most ${plural(c.usageLimitPerCustomer, "order")}`}</dd>
        <dt>Applies</dt>
        <dd>
          {c.startsAt ? `From ${formatDate(c.startsAt)}` : "From its creation"}
          {c.endsAt ? `, until ${formatDate(c.endsAt)}` : ", with no end"}
        </dd>
      </dl>
      <p class="muted small-text">Orders cancelled or expired give their use back.</p>
    </section>
  );
}

function Activation({ code: c, onChange }) {
  const action = useAction();
  const set = (active) =>
    action.run(async () => {
      const d = active
        ? (await gql(`mutation($id: String!) { updateDiscountCode(discountCodeId: $id, input: {active: true}) { ${CODE} } }`, { id: c.discountCodeId }))
            .updateDiscountCode
        : (await gql(`mutation($id: String!) { deactivateDiscountCode(discountCodeId: $id) { ${CODE} } }`, { id: c.discountCodeId }))
            .deactivateDiscountCode;
      onChange(d);
      return d;
    }, (d) => (d.active ? `${d.code} is active again.` : `Deactivated ${d.code}.`));
  return (
    <section class="panel" aria-labelledby="activation-title">
      <h2 id="activation-title">{c.active ? "Deactivate" : "Reactivate"}</h2>
      {c.active ? (
        <>
          <p class="muted small-text">No cart can apply it any more; it stays, with its uses, and can be reactivated.</p>
          <Confirm label="Deactivate code" question={`Deactivate ${c.code}?`} confirmLabel="Yes, deactivate" onConfirm={() => set(false)} disabled={action.busy} />
        </>
      ) : (
        <>
          <p class="muted small-text">Deactivated: carts can't apply it. Reactivated, it applies again within its dates and limits.</p>
          <button type="button" onClick={() => set(true)} disabled={action.busy}>
            {action.busy ? "Reactivating…" : "Reactivate code"}
          </button>
        </>
      )}
      <ActionStatus action={action} busyText="" />
    </section>
  );
}

// The form's fields as text, from a code (or empty for a new one).
function texts(c) {
  return {
    code: c?.code || "",
    kind: c?.kind || "PERCENTAGE",
    value: c?.value == null ? "" : String(c.value),
    minSubtotal: c?.minSubtotal ? String(c.minSubtotal) : "",
    startsAt: utcInput(c?.startsAt),
    endsAt: utcInput(c?.endsAt),
    usageLimit: c?.usageLimit == null ? "" : String(c.usageLimit),
    usageLimitPerCustomer: c?.usageLimitPerCustomer == null ? "" : String(c.usageLimitPerCustomer),
    productIds: c?.appliesTo.productIds || [],
    categoryIds: c?.appliesTo.categoryIds || [],
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// input is the API's input for the fields of f that differ from was (all
// of them for a new code: was null), read from their text.
function input(f, was) {
  const changed = (k) => !was || !same(f[k].trim ? f[k].trim() : f[k], was[k]);
  const t = (k) => f[k].trim();
  const out = {};
  if (changed("code")) out.code = t("code");
  if (changed("kind")) out.kind = f.kind;
  // FREE_SHIPPING takes no value; the other kinds' value is required by
  // the API when new (left out, it says so beside the field).
  if (f.kind !== "FREE_SHIPPING" && t("value") !== "" && (changed("value") || changed("kind"))) {
    out.value = f.kind === "PERCENTAGE" ? numberOf("value", t("value"), "10") : moneyOf("value", t("value"));
  }
  if (changed("minSubtotal")) out.minSubtotal = t("minSubtotal") === "" ? 0 : moneyOf("minSubtotal", t("minSubtotal"));
  for (const k of ["startsAt", "endsAt"]) {
    if (!changed(k)) continue;
    const v = utcTime(k, t(k));
    if (v !== "" || was) out[k] = v; // "" removes it
  }
  for (const k of ["usageLimit", "usageLimitPerCustomer"]) {
    if (!changed(k)) continue;
    if (t(k) !== "") out[k] = wholeOf(k, t(k));
    else if (was) out[k] = -1; // removes the limit
  }
  if ((changed("productIds") || changed("categoryIds")) && (was || f.productIds.length || f.categoryIds.length)) {
    out.appliesTo = { productIds: f.productIds, categoryIds: f.categoryIds };
  }
  return out;
}

function CodeForm({ code, onSaved }) {
  const [f, setF] = useState(() => texts(code));
  const action = useAction();
  const set = (k) => (v) => setF((old) => ({ ...old, [k]: v }));
  const errs = fieldErrors(action.error);
  const byPath = fieldErrorsByPath(action.error);
  const listError = (prefix) =>
    Object.entries(byPath)
      .filter(([k]) => k.startsWith(prefix))
      .map(([, m]) => m)
      .join("; ");
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      if (!code) {
        const d = await gql(`mutation($in: DiscountCodeInput!) { createDiscountCode(input: $in) { ${CODE} } }`, { in: input(f, null) });
        navigate(`/discount-codes/${d.createDiscountCode.discountCodeId}`, { replace: true });
        return d.createDiscountCode;
      }
      const change = input(f, texts(code));
      if (Object.keys(change).length === 0) return null;
      const d = await gql(`mutation($id: String!, $in: DiscountCodeUpdate!) { updateDiscountCode(discountCodeId: $id, input: $in) { ${CODE} } }`, {
        id: code.discountCodeId,
        in: change,
      });
      onSaved(d.updateDiscountCode);
      return d.updateDiscountCode;
    }, (c) => (!c ? "Nothing changed." : code ? `Saved ${c.code}.` : `Created ${c.code}.`));
  };
  const valueLabel = f.kind === "PERCENTAGE" ? "Percent off" : "Amount off (USD)";
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="code-form-title">
      <h2 id="code-form-title">{code ? "Details" : "The code"}</h2>
      <TextField
        label="Code"
        hint="1 to 64 letters, digits, '_' and '-'. Shoppers may type it in any case."
        value={f.code}
        onInput={set("code")}
        maxLength={64}
        error={errs.code}
        autocomplete="off"
        spellcheck={false}
        class="field--mono"
      />
      <div class="row">
        <SelectField label="Kind" value={f.kind} onChange={set("kind")} options={CODE_KINDS} error={errs.kind} />
        {f.kind !== "FREE_SHIPPING" && (
          <TextField
            label={valueLabel}
            hint={f.kind === "PERCENTAGE" ? "Above 0, at most 100: 10 is 10%." : "Never takes a line below zero."}
            inputMode="decimal"
            value={f.value}
            onInput={set("value")}
            error={errs.value}
            autocomplete="off"
          />
        )}
      </div>
      {f.kind === "FREE_SHIPPING" && errs.value && <p class="field__error">{errs.value}</p>}
      <TextField
        label="Minimum subtotal (USD, optional)"
        hint="The cart's subtotal before discounts it needs; empty: none."
        inputMode="decimal"
        value={f.minSubtotal}
        onInput={set("minSubtotal")}
        error={errs.minSubtotal}
        autocomplete="off"
      />
      <div class="row">
        <TextField label="Starts (UTC, optional)" hint="Empty: from now." type="datetime-local" value={f.startsAt} onInput={set("startsAt")} error={errs.startsAt} />
        <TextField label="Ends (UTC, optional)" hint="The first instant it no longer applies; empty: never." type="datetime-local" value={f.endsAt} onInput={set("endsAt")} error={errs.endsAt} />
      </div>
      <div class="row">
        <TextField
          label="Usage limit (optional)"
          hint="Orders that may use it in all; empty: no limit."
          type="number"
          inputMode="numeric"
          min="1"
          step="1"
          value={f.usageLimit}
          onInput={set("usageLimit")}
          error={errs.usageLimit}
        />
        <TextField
          label="Limit per customer (optional)"
          hint="A guest counts by email; empty: no limit."
          type="number"
          inputMode="numeric"
          min="1"
          step="1"
          value={f.usageLimitPerCustomer}
          onInput={set("usageLimitPerCustomer")}
          error={errs.usageLimitPerCustomer}
        />
      </div>
      <AppliesTo
        productIds={f.productIds}
        categoryIds={f.categoryIds}
        onProducts={set("productIds")}
        onCategories={set("categoryIds")}
        productError={listError("appliesTo.productIds")}
        categoryError={listError("appliesTo.categoryIds")}
      />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Saving…" : code ? "Save code" : "Create code"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

// AppliesTo chooses the categories and products a code discounts; none of
// either: the whole order.
function AppliesTo({ productIds, categoryIds, onProducts, onCategories, productError, categoryError }) {
  const whole = productIds.length === 0 && categoryIds.length === 0;
  return (
    <fieldset class="applies" aria-describedby="applies-hint">
      <legend>Applies to</legend>
      <p class="field__hint" id="applies-hint">
        {whole ? "The whole order. Choose categories or products to discount only those." : "Only the lines of these categories (with their subcategories) and products."}
      </p>
      <CategoryChoice ids={categoryIds} onChange={onCategories} error={categoryError} />
      <ProductChoice ids={productIds} onChange={onProducts} error={productError} />
    </fieldset>
  );
}

function CategoryChoice({ ids, onChange, error }) {
  const cats = useAsync(loadCategories, []);
  const tree = cats.data || [];
  const chosen = new Set(ids);
  const toggle = (id, on) => onChange(on ? [...ids, id] : ids.filter((x) => x !== id));
  return (
    <fieldset class="choice" aria-describedby={error ? "category-choice-error" : undefined}>
      <legend>Categories</legend>
      {error && (
        <p class="field__error" id="category-choice-error">
          {error}
        </p>
      )}
      <Loadable state={cats} what="the categories">
        {tree.length === 0 ? (
          <p class="muted small-text">No categories.</p>
        ) : (
          <ul class="choice__list">
            {tree.map((c) => (
              <li key={c.id} class={`depth-${Math.min(c.depth, 5)}`}>
                <label class="choice__item">
                  <input type="checkbox" checked={chosen.has(c.id)} onChange={(e) => toggle(c.id, e.currentTarget.checked)} />
                  {c.name}
                </label>
              </li>
            ))}
          </ul>
        )}
      </Loadable>
    </fieldset>
  );
}

const FIND = `query($q: String!) { products(first: 8, filter: {query: $q}, sort: RELEVANCE) { edges { node { productId name sku } } } }`;

// names reads the names of the products ids, 25 to a request (aliases of
// getProductsById: the API has no read of several ids at once).
async function names(ids) {
  const out = {};
  for (let i = 0; i < ids.length; i += 25) {
    const part = ids.slice(i, i + 25);
    const vars = Object.fromEntries(part.map((id, j) => [`p${j}`, id]));
    const q = `query(${part.map((_, j) => `$p${j}: String!`).join(", ")}) { ${part.map((_, j) => `p${j}: getProductsById(id: $p${j}) { productId name }`).join(" ")} }`;
    const d = await gql(q, vars);
    part.forEach((id, j) => {
      out[id] = d[`p${j}`]?.name ?? null;
    });
  }
  return out;
}

function ProductChoice({ ids, onChange, error }) {
  const [text, setText] = useState("");
  const [known, setKnown] = useState({});
  const q = useDebounced(text.trim(), 300);
  const missing = ids.filter((id) => !(id in known));
  const loaded = useAsync(() => (missing.length ? names(missing) : Promise.resolve({})), [missing.join(",")]);
  useEffect(() => {
    if (loaded.data && Object.keys(loaded.data).length) setKnown((k) => ({ ...k, ...loaded.data }));
  }, [loaded.data]);
  const name = (id) => known[id];
  const found = useAsync(() => (q ? gql(FIND, { q }).then((d) => d.products.edges.map((e) => e.node)) : Promise.resolve([])), [q]);
  const add = (p) => {
    setKnown((k) => ({ ...k, [p.productId]: p.name }));
    onChange([...ids, p.productId]);
  };
  const results = (found.data || []).filter((p) => !ids.includes(p.productId));
  return (
    <fieldset class="choice" aria-describedby={error ? "product-choice-error" : undefined}>
      <legend>Products</legend>
      {error && (
        <p class="field__error" id="product-choice-error">
          {error}
        </p>
      )}
      {ids.length > 0 && (
        <ul class="choice__chosen" aria-label="Products chosen">
          {ids.map((id) => {
            const n = name(id);
            return (
              <li key={id} data-product-id={id}>
                <span class="wrap">{n ?? (n === null ? `A deleted product (${id})` : loaded.error ? id : "…")}</span>
                <button type="button" class="small" onClick={() => onChange(ids.filter((x) => x !== id))}>
                  Remove<span class="sr-only"> {n || id}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <TextField label="Find a product to add" type="search" hint="Its name or SKU." value={text} onInput={setText} maxLength={200} autocomplete="off" />
      {found.error && <ErrorText error={found.error} />}
      {q && found.data && (
        <ul class="choice__found" aria-label={`Products matching ${q}`}>
          {results.length === 0 && <li class="muted small-text">No other product matches.</li>}
          {results.map((p) => (
            <li key={p.productId}>
              <button type="button" class="small" onClick={() => add(p)}>
                Add {p.name}
              </button>
              {p.sku && <span class="muted mono"> {p.sku}</span>}
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
