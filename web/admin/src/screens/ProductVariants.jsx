// A product's variants as a table edited in place: each row saves on its
// own (updateVariant, and adjustStock for its stock, with a reason for the
// ledger), with the API's message beside the field it names. Above it,
// "Generate variants" creates the combinations of the options that have
// none; below it, one variant can be added (createVariant).
import { useEffect, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction } from "../hooks.js";
import { fieldErrors } from "../api.js";
import { formatMoney, plural } from "../format.js";
import { PRODUCT, badField, missingCombinations, parseMoney } from "../product.js";
import { SelectField, TextField } from "../components/Field.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { ActionStatus, ErrorText } from "../components/Status.jsx";

export function VariantsPanel({ product, onChange, reload }) {
  const missing = missingCombinations(product.options, product.variants);
  const count = product.variants.length;
  return (
    <section class="panel detail__wide" aria-labelledby="variants-title">
      <h2 id="variants-title">
        Variants <span class="muted">({count})</span>
      </h2>
      {product.options.length > 0 &&
        (missing.length > 0 ? (
          <Generate product={product} missing={missing.length} onChange={onChange} />
        ) : (
          <p class="muted small-text">Every combination of the options has a variant.</p>
        ))}
      <p class="muted small-text" id="variants-hint">
        {product.options.length === 0
          ? "Without options the product sells as one variant: its price, SKU and stock are the product's."
          : "Each row saves on its own. A change of stock needs a reason, kept in the ledger."}
      </p>
      {/* Its inputs let the keyboard scroll it: no region of its own. */}
      <div class="table-wrap">
        <table class="list variants" id="variants">
          <caption class="sr-only">Variants of {product.name}, in display order; each row is saved with its own Save button</caption>
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col">SKU</th>
              <th scope="col">Price (USD)</th>
              <th scope="col">Compare-at price</th>
              <th scope="col">Stock</th>
              <th scope="col">Image URL</th>
              <th scope="col">Weight (g)</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {product.variants.map((v) => (
              <VariantRow key={v.variantId} variant={v} deletable={count > 1} onChange={onChange} reload={reload} />
            ))}
          </tbody>
        </table>
      </div>
      {missing.length > 0 && <AddVariant product={product} missing={missing} onChange={onChange} />}
    </section>
  );
}

function Generate({ product, missing, onChange }) {
  const [price, setPrice] = useState(String(product.price));
  const [stock, setStock] = useState("0");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    const before = product.variants.length;
    action.run(async () => {
      const p = parseMoney(price);
      if (!Number.isFinite(p)) throw badField("price", "must be a number, such as 12.50");
      const n = Number(stock);
      if (stock.trim() === "" || !Number.isInteger(n)) throw badField("stockCount", "must be a whole number");
      const d = await gql(`mutation($id: String!, $p: Float!, $n: Int!) { generateVariants(productId: $id, price: $p, stockCount: $n) { ${PRODUCT} } }`, {
        id: product.productId,
        p,
        n,
      });
      onChange(d.generateVariants);
      return d.generateVariants;
    }, (np) => `Created ${plural(np.variants.length - before, "variant")}.`);
  };
  return (
    <form class="generate" onSubmit={submit} noValidate aria-labelledby="generate-title" aria-describedby="generate-hint">
      <h3 id="generate-title">Generate the missing combinations</h3>
      <p class="muted small-text" id="generate-hint">
        {plural(missing, "combination")} of the options {missing === 1 ? "has" : "have"} no variant yet: each gets one with this price and stock.
      </p>
      <div class="row">
        <TextField label="Price of new variants (USD)" inputMode="decimal" value={price} onInput={setPrice} error={errs.price} />
        <TextField label="Stock of new variants" type="number" inputMode="numeric" step="1" min="0" value={stock} onInput={setStock} error={errs.stockCount} />
      </div>
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Generating…" : "Generate variants"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

// A row's fields as text, as the inputs hold them.
const texts = (v) => ({
  sku: v.sku || "",
  price: String(v.price),
  compareAtPrice: v.compareAtPrice == null ? "" : String(v.compareAtPrice),
  stock: String(v.stockCount),
  imageUrl: v.imageUrl || "",
  weightGrams: v.weightGrams == null ? "" : String(v.weightGrams),
});

// The API's names for the row's fields; adjustStock's delta is the stock.
const FIELD_OF = { stockCount: "stock", delta: "stock" };

function VariantRow({ variant: v, deletable, onChange, reload }) {
  const saved = texts(v);
  const [f, setF] = useState(saved);
  const [reason, setReason] = useState("");
  // When the variant changes (this row saved, or another row's save
  // brought the product back), the fields take its values, except those
  // being edited: half a save (the fields saved, the stock refused) keeps
  // what is left to fix.
  const savedKey = JSON.stringify(saved);
  const before = useRef(saved);
  useEffect(() => {
    const old = before.current;
    before.current = saved;
    setF((cur) => Object.fromEntries(Object.keys(saved).map((k) => [k, cur[k].trim() === old[k] ? saved[k] : cur[k]])));
  }, [savedKey]); // eslint-disable-line react-hooks/exhaustive-deps
  // took shows the API's spelling of the fields it just saved ("19.5" for
  // "19.50"), so they no longer count as changed.
  const took = (product, keys) => {
    const nv = product.variants.find((x) => x.variantId === v.variantId);
    if (nv) setF((cur) => ({ ...cur, ...Object.fromEntries(keys.map((k) => [k, texts(nv)[k]])) }));
  };
  const action = useAction();
  const del = useAction();
  const changed = Object.keys(saved).filter((k) => f[k].trim() !== saved[k]);
  const stockChanged = changed.includes("stock");
  const set = (k) => (e) => {
    setF({ ...f, [k]: e.currentTarget.value });
    if (action.error) action.reset();
  };

  const save = (e) => {
    e.preventDefault();
    if (changed.length === 0) return;
    action.run(async () => {
      const input = {};
      for (const k of changed) {
        const t = f[k].trim();
        if (k === "sku" || k === "imageUrl") input[k] = t; // "" clears it
        if (k === "price") {
          input.price = parseMoney(t);
          if (!Number.isFinite(input.price)) throw badField("price", "must be a number, such as 12.50");
        }
        if (k === "compareAtPrice") {
          // 0 clears it (the API's rule): a null never reaches the API,
          // which graphql-go drops from input objects.
          input.compareAtPrice = t === "" ? 0 : parseMoney(t);
          if (t !== "" && !Number.isFinite(input.compareAtPrice)) throw badField("compareAtPrice", "must be a number, such as 19.99, or empty");
        }
        if (k === "weightGrams") {
          // null is the schema's "none"; until the API receives it (see
          // compare-at above) an emptied weight comes back unchanged.
          input.weightGrams = t === "" ? -1 : Number(t); // -1 clears it (graphql-go never passes a null on)
          if (t !== "" && !Number.isInteger(input.weightGrams)) throw badField("weightGrams", "must be a whole number of grams");
        }
      }
      const target = Number(f.stock.trim());
      if (stockChanged && (f.stock.trim() === "" || !Number.isInteger(target))) throw badField("stock", "must be a whole number");
      let product = null;
      if (Object.keys(input).length > 0) {
        const d = await gql(`mutation($id: String!, $in: ProductVariantInput!) { updateVariant(variantId: $id, input: $in) { variantId product { ${PRODUCT} } } }`, {
          id: v.variantId,
          in: input,
        });
        if (!d.updateVariant) {
          reload();
          throw new Error("The variant no longer exists.");
        }
        product = d.updateVariant.product;
        took(product, Object.keys(input));
        onChange(product);
      }
      if (stockChanged) {
        // Stock moves through the ledger, like the product's own stock:
        // the change, not the new count, so an order placed meanwhile
        // is not overwritten.
        const d = await gql(`mutation($id: String!, $d: Int!, $r: String!) { adjustStock(variantId: $id, delta: $d, reason: $r) { ${PRODUCT} } }`, {
          id: v.variantId,
          d: target - v.stockCount,
          r: reason.trim(),
        });
        product = d.adjustStock;
        took(product, ["stock"]);
        onChange(product);
        setReason("");
      }
      return product;
    }, `Saved ${v.title}.`);
  };

  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteVariant(variantId: $id) }", { id: v.variantId });
      reload();
      if (!d.deleteVariant) throw new Error(`${v.title} was already gone.`);
    }, `Deleted ${v.title}.`);

  const errs = {};
  for (const [k, m] of Object.entries(fieldErrors(action.error))) errs[FIELD_OF[k] || k] = m;
  const known = ["sku", "price", "compareAtPrice", "stock", "reason", "imageUrl", "weightGrams"];
  const general = action.error && !known.some((k) => errs[k]);
  const id = `variant-${v.variantId}`;
  const cell = (k, label, props = {}) => (
    <Cell id={`${id}-${k}`} form={`${id}-form`} label={`${label} of ${v.title}`} value={f[k]} onInput={set(k)} error={errs[k]} {...props} />
  );
  return (
    <tr data-variant-id={v.variantId} data-title={v.title}>
      <th scope="row" class="variants__title">
        {v.title}
        {!v.available && <span class="badge badge--inactive">unavailable</span>}
      </th>
      <td>{cell("sku", "SKU", { maxLength: 64, autocomplete: "off", class: "mono" })}</td>
      <td>{cell("price", "Price", { inputMode: "decimal" })}</td>
      <td>{cell("compareAtPrice", "Compare-at price", { inputMode: "decimal", placeholder: "none" })}</td>
      <td>
        {cell("stock", "Stock", { type: "number", inputMode: "numeric", step: "1", min: "0", class: v.stockCount === 0 ? "is-out" : "" })}
        {stockChanged && (
          <Cell
            id={`${id}-reason`}
            form={`${id}-form`}
            label={`Reason for the stock change of ${v.title}`}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            maxLength={500}
            placeholder="Reason (for the ledger)"
            error={errs.reason}
          />
        )}
      </td>
      <td>{cell("imageUrl", "Image URL", { type: "url", placeholder: "https://…", class: "variants__url" })}</td>
      <td>{cell("weightGrams", "Weight in grams", { type: "number", inputMode: "numeric", step: "1", min: "0" })}</td>
      <td class="variants__actions">
        {/* The row's inputs belong to this form (their form attribute): a
            form can't wrap a table row. Enter in any of them saves the row. */}
        <form id={`${id}-form`} onSubmit={save} noValidate>
          <button type="submit" class="small" aria-label={`Save ${v.title}`} disabled={action.busy || changed.length === 0}>
            {action.busy ? "Saving…" : "Save"}
          </button>
        </form>
        {deletable && (
          <Confirm
            label="Delete"
            question={`Delete ${v.title}? Orders keep their lines.`}
            confirmLabel="Yes, delete it"
            danger={false}
            disabled={del.busy}
            onConfirm={remove}
          />
        )}
        {general ? <ErrorText error={action.error} /> : !action.error && action.message && changed.length === 0 && <span class="inline-status inline-status--ok">Saved</span>}
        <ActionStatus action={del} busyText="Deleting…" />
      </td>
    </tr>
  );
}

/** Cell is one labelled input of a row, with the API's message under it. */
function Cell({ id, label, error, class: cls = "", ...input }) {
  return (
    <div class="cell-edit">
      <label class="sr-only" for={id}>
        {label}
      </label>
      <input
        id={id}
        class={`cell-edit__input ${cls}`}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...input}
      />
      {error && (
        <span class="field__error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

function AddVariant({ product, missing, onChange }) {
  const first = Object.fromEntries(missing[0].map((s) => [s.name, s.value]));
  const [sel, setSel] = useState(first);
  const [sku, setSku] = useState("");
  const [price, setPrice] = useState(String(product.price));
  const [stock, setStock] = useState("0");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const p = parseMoney(price);
      if (!Number.isFinite(p)) throw badField("price", "must be a number, such as 12.50");
      const n = Number(stock);
      if (stock.trim() === "" || !Number.isInteger(n)) throw badField("stockCount", "must be a whole number");
      const options = product.options.map((o) => ({ name: o.name, value: sel[o.name] ?? o.values[0] }));
      const d = await gql(`mutation($id: String!, $in: ProductVariantInput!) { createVariant(productId: $id, input: $in) { title product { ${PRODUCT} } } }`, {
        id: product.productId,
        in: { options, sku: sku.trim(), price: p, stockCount: n },
      });
      const next = missingCombinations(d.createVariant.product.options, d.createVariant.product.variants)[0];
      if (next) setSel(Object.fromEntries(next.map((x) => [x.name, x.value])));
      onChange(d.createVariant.product);
      setSku("");
      return d.createVariant;
    }, (nv) => `Added ${nv.title}.`);
  };
  return (
    <form class="add-variant" onSubmit={submit} noValidate aria-labelledby="add-variant-title">
      <h3 id="add-variant-title">Add one variant</h3>
      <p class="muted small-text">
        {plural(missing.length, "combination")} without a variant. {formatMoney(product.price)} is the product's price now.
      </p>
      <fieldset class="row add-variant__options" aria-describedby={errs.options ? "add-variant-options-error" : undefined}>
        <legend class="sr-only">Options of the new variant</legend>
        {product.options.map((o) => (
          <SelectField
            key={o.name}
            label={`${o.name} of the new variant`}
            value={sel[o.name] ?? o.values[0]}
            onChange={(value) => setSel({ ...sel, [o.name]: value })}
            options={o.values.map((x) => [x, x])}
          />
        ))}
      </fieldset>
      {errs.options && (
        <p class="field__error" id="add-variant-options-error">
          Options {errs.options}
        </p>
      )}
      <div class="row">
        <TextField label="SKU of the new variant" value={sku} onInput={setSku} maxLength={64} error={errs.sku} autocomplete="off" />
        <TextField label="Price of the new variant (USD)" inputMode="decimal" value={price} onInput={setPrice} error={errs.price} />
        <TextField label="Stock of the new variant" type="number" inputMode="numeric" step="1" min="0" value={stock} onInput={setStock} error={errs.stockCount} />
      </div>
      <div class="form__actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? "Adding…" : "Add variant"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}
