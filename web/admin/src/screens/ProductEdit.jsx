// Create or edit a product: every field, with the API's message beside the
// field it names; then its options and variants, its stock (adjusted with a
// reason), its ledger, deactivation and deletion.
//
// A new product is created first and given options after: the form creates
// it with one variant from its price and stock, and its page then edits
// options and variants against what the API saved. Setting options gives
// that variant the first value of each, and "Generate variants" makes the
// other combinations; so one form serves products with and without
// options, and the options and variants are edited in one place only.
import { useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync, usePaged } from "../hooks.js";
import { Link, navigate } from "../router.jsx";
import { fieldErrors } from "../api.js";
import { formatDate, formatMoney, isHttps, shortId } from "../format.js";
import { PRODUCT, badField, several } from "../product.js";
import { categoryOptions, loadCategories } from "../categories.js";
import { Field, SelectField, TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { TableWrap } from "../components/TableWrap.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { OptionsPanel } from "./ProductOptions.jsx";
import { VariantsPanel } from "./ProductVariants.jsx";

export function ProductEdit({ params }) {
  const isNew = !params.id;
  const state = useAsync(
    () => (isNew ? Promise.resolve({ getProductsById: null }) : gql(`query($id: String!) { getProductsById(id: $id) { ${PRODUCT} } }`, { id: params.id })),
    [params.id],
  );
  const product = state.data?.getProductsById;
  const title = isNew ? "New product" : product ? product.name : "Product";
  const setProduct = (p) => state.setData({ getProductsById: p });
  return (
    <section aria-labelledby="product-title">
      <p class="crumbs">
        <Link href="/products">← Products</Link>
      </p>
      <div class="heading">
        <h1 id="product-title">{title}</h1>
        {product && !product.active && <span class="badge badge--inactive">inactive</span>}
      </div>
      <Loadable state={state} what="the product">
        {!isNew && state.data && !product && <p class="panel panel--error">No product has the id {params.id}.</p>}
        {(isNew || product) && (
          <div class="detail">
            <div class="detail__main">
              <ProductForm key={product?.productId || "new"} product={product} onSaved={setProduct} reload={state.reload} />
            </div>
            {product && (
              <div class="detail__side">
                <StockPanel product={product} onChange={setProduct} reload={state.reload} />
                <Manage product={product} onChange={setProduct} />
              </div>
            )}
            {product && <OptionsPanel product={product} onChange={setProduct} />}
            {product && <VariantsPanel product={product} onChange={setProduct} reload={state.reload} />}
            {product && <Ledger product={product} />}
          </div>
        )}
      </Loadable>
    </section>
  );
}

function initial(p) {
  return {
    name: p?.name || "",
    sku: p?.sku || "",
    description: p?.description || "",
    price: p ? String(p.price) : "",
    stockCount: "0",
    categoryId: p?.category?.id || "",
    imageUrls: (p?.imageUrls || []).join("\n"),
    active: p ? p.active : true,
  };
}

// VARIANT_REQUIRED on a form that thought the product had one variant:
// another tab gave it more. Reloading shows them; the message says why.
const VARIANTS_CAME = "The product has several variants now (changed elsewhere): set their price, SKU and stock under Variants.";

function ProductForm({ product, onSaved, reload }) {
  const perVariant = several(product);
  const [v, setV] = useState(() => initial(product));
  const cats = useAsync(loadCategories, []);
  const action = useAction();
  const set = (k) => (value) => setV((old) => ({ ...old, [k]: value }));
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const price = Number(v.price.trim());
      if (!perVariant && (v.price.trim() === "" || !Number.isFinite(price))) throw badField("price", "must be a number, such as 12.50");
      const input = {
        name: v.name,
        description: v.description,
        categoryId: v.categoryId,
        imageUrls: v.imageUrls.split("\n").map((s) => s.trim()).filter(Boolean),
        active: v.active,
      };
      // With several variants the price and SKU are each variant's: the
      // API refuses them here.
      if (!perVariant) Object.assign(input, { sku: v.sku, price });
      if (!product) {
        const stock = Number(v.stockCount);
        if (!Number.isInteger(stock)) throw badField("stockCount", "must be a whole number");
        const d = await gql(`mutation($in: ProductInput!) { createProduct(input: $in) { ${PRODUCT} } }`, { in: { ...input, stockCount: stock } });
        navigate(`/products/${d.createProduct.productId}`, { replace: true });
        return d.createProduct;
      }
      const d = await gql(`mutation($in: ProductUpdateInput!) { updateProduct(input: $in) { ${PRODUCT} } }`, {
        in: { ...input, productId: product.productId },
      }).catch((err) => {
        if (err.code !== "VARIANT_REQUIRED") throw err;
        reload();
        throw new Error(VARIANTS_CAME);
      });
      if (!d.updateProduct) throw new Error("The product no longer exists.");
      onSaved(d.updateProduct);
      return d.updateProduct;
    }, (p) => (product ? `Saved ${p.name}.` : `Created ${p.name}.`));
  };
  const images = v.imageUrls.split("\n").map((s) => s.trim()).filter(Boolean);
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <TextField label="Name" value={v.name} onInput={set("name")} maxLength={200} error={errs.name} hint="1 to 200 characters. Left empty, the shop names it." />
      <div class="row">
        {perVariant ? (
          <p class="field field--static">
            <span class="field__label">Price</span>
            <span>from {formatMoney(product.price)} — each variant has its own, under Variants</span>
          </p>
        ) : (
          <TextField
            label="Price (USD)"
            inputMode="decimal"
            value={v.price}
            onInput={set("price")}
            error={errs.price}
            hint="At most 2 decimal places."
            required
          />
        )}
        {!product ? (
          <TextField
            label="Stock"
            type="number"
            inputMode="numeric"
            step="1"
            min="0"
            value={v.stockCount}
            onInput={set("stockCount")}
            error={errs.stockCount}
          />
        ) : (
          <p class="field field--static">
            <span class="field__label">Stock</span>
            <span>
              {product.stockCount}
              {perVariant ? " in all its variants" : ""} — change it under Stock, with a reason
            </span>
          </p>
        )}
      </div>
      <div class="row">
        {perVariant ? (
          <p class="field field--static">
            <span class="field__label">SKU</span>
            <span>each variant has its own, under Variants</span>
          </p>
        ) : (
          <TextField label="SKU" value={v.sku} onInput={set("sku")} maxLength={64} error={errs.sku} hint="Letters, digits, - _ and . ; unique." autocomplete="off" />
        )}
        <SelectField
          label="Category"
          value={v.categoryId}
          onChange={set("categoryId")}
          options={categoryOptions(cats.data || (product?.category ? [{ ...product.category, depth: 0 }] : []))}
          error={errs.categoryId || (cats.error && `Categories could not load: ${cats.error.message}`)}
        />
      </div>
      <Field
        label="Description"
        error={errs.description}
        hint="Plain text, up to 10,000 characters."
        render={(p) => <textarea {...p} rows={5} maxLength={10000} value={v.description} onInput={(e) => set("description")(e.currentTarget.value)} />}
      />
      <Field
        label="Image URLs"
        error={errs.imageUrls}
        hint="One https URL per line, up to 10, in display order."
        render={(p) => <textarea {...p} rows={3} class="mono" value={v.imageUrls} onInput={(e) => set("imageUrls")(e.currentTarget.value)} />}
      />
      {images.some(isHttps) && (
        <ul class="images" aria-label="Image previews">
          {images.filter(isHttps).map((u) => (
            <li key={u}>
              <img src={u} alt="" width={96} height={96} loading="lazy" referrerpolicy="no-referrer" />
            </li>
          ))}
        </ul>
      )}
      <div class="field field--check">
        <input id="product-active" type="checkbox" checked={v.active} onChange={(e) => set("active")(e.currentTarget.checked)} />
        <label for="product-active">Active (shoppers see it and can order it)</label>
      </div>
      {!product && <p class="muted small-text">Options such as sizes and colours come next, on the product's page once it is created.</p>}
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Saving…" : product ? "Save changes" : "Create product"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

function StockPanel({ product, onChange, reload }) {
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  const [variantId, setVariantId] = useState("");
  const perVariant = several(product);
  const action = useAction();
  const errs = fieldErrors(action.error);
  const variant = perVariant ? product.variants.find((x) => x.variantId === variantId) : null;
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      if (perVariant && !variant) throw badField("variantId", "choose the variant whose stock changes", "Choose a variant.");
      const d = Number(delta);
      if (delta.trim() === "" || !Number.isInteger(d)) throw badField("delta", "must be a whole number", "Enter the change as a whole number, such as 10 or -3.");
      // A product of one variant is adjusted by its id, as before variants;
      // with several, the variant is named.
      const r = await gql(
        `mutation($p: String, $v: String, $d: Int!, $r: String!) { adjustStock(productId: $p, variantId: $v, delta: $d, reason: $r) { ${PRODUCT} } }`,
        { p: variant ? null : product.productId, v: variant ? variant.variantId : null, d, r: reason.trim() },
      ).catch((err) => {
        if (err.code !== "VARIANT_REQUIRED") throw err;
        reload();
        throw new Error(VARIANTS_CAME);
      });
      onChange(r.adjustStock);
      setDelta("");
      setReason("");
      return r.adjustStock;
    }, (p) => {
      if (!variant) return `Stock is now ${p.stockCount}.`;
      const now = p.variants.find((x) => x.variantId === variant.variantId);
      return `Stock of ${variant.title} is now ${now ? now.stockCount : "changed"}.`;
    });
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      <p class="stock-now">
        <span class="stock-now__value" data-testid="stock-now">
          {product.stockCount}
        </span>{" "}
        in stock{perVariant ? `, in ${product.variants.length} variants` : ""}
      </p>
      {perVariant && (
        <SelectField
          label="Variant to adjust"
          value={variantId}
          onChange={setVariantId}
          options={[["", "Choose a variant"], ...product.variants.map((x) => [x.variantId, `${x.title} (${x.stockCount} in stock)`])]}
          error={errs.variantId}
        />
      )}
      <div class="row">
        <TextField label="Change by" type="number" inputMode="numeric" step="1" value={delta} onInput={setDelta} error={errs.delta} hint="Positive adds, negative takes." />
        <TextField label="Reason" value={reason} onInput={setReason} maxLength={500} error={errs.reason} hint="Recorded in the ledger." />
      </div>
      <div class="form__actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? "Adjusting…" : "Adjust stock"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

function Manage({ product, onChange }) {
  const toggle = useAction();
  const del = useAction();
  const setActive = (active) =>
    toggle.run(async () => {
      const d = await gql(`mutation($in: ProductUpdateInput!) { updateProduct(input: $in) { ${PRODUCT} } }`, {
        in: { productId: product.productId, active },
      });
      if (!d.updateProduct) throw new Error("The product no longer exists.");
      onChange(d.updateProduct);
    }, active ? "Activated: shoppers see it again." : "Deactivated: hidden from shoppers, can't be ordered.");
  const remove = () =>
    del.run(async () => {
      const d = await gql("mutation($id: String!) { deleteProduct(productId: $id) }", { id: product.productId });
      if (!d.deleteProduct) throw new Error("The product was already gone.");
      navigate("/products");
    }, `Deleted ${product.name}.`);
  return (
    <section class="panel" aria-labelledby="manage-title">
      <h2 id="manage-title">Manage</h2>
      <div class="action">
        <button type="button" disabled={toggle.busy} onClick={() => setActive(!product.active)}>
          {toggle.busy ? "Saving…" : product.active ? "Deactivate" : "Activate"}
        </button>
        <ActionStatus action={toggle} busyText="" />
      </div>
      <div class="action">
        <Confirm
          label="Delete product"
          question={`Delete ${product.name}? Orders keep their lines.`}
          confirmLabel="Yes, delete it"
          disabled={del.busy}
          onConfirm={remove}
        />
        <ActionStatus action={del} busyText="Deleting…" />
      </div>
    </section>
  );
}

function Ledger({ product }) {
  const perVariant = several(product);
  const [variantId, setVariantId] = useState("");
  const titles = new Map(product.variants.map((x) => [x.variantId, x.title]));
  // A variant deleted since keeps its movements; its id stands for it.
  const titleOf = (id) => titles.get(id) || `deleted ${shortId(id)}`;
  const only = perVariant && titles.has(variantId) ? variantId : null;
  const paged = usePaged(
    (after) =>
      gql(
        `query($id: String!, $v: String, $after: String) { getProductsById(id: $id) { stockMovements(variantId: $v, first: 20, after: $after) {
          edges { node { at delta stockAfter kind reason orderId actor variantId } } pageInfo { hasNextPage endCursor } } } }`,
        { id: product.productId, v: only, after },
      ).then((d) => d.getProductsById?.stockMovements || { edges: [], pageInfo: { hasNextPage: false } }),
    [product.productId, product.stockCount, only],
  );
  return (
    <section class="panel detail__wide" aria-labelledby="ledger-title">
      <h2 id="ledger-title">Stock ledger</h2>
      {perVariant && (
        <div class="filters">
          <SelectField
            label="Movements of"
            value={only || ""}
            onChange={setVariantId}
            options={[["", "All variants"], ...product.variants.map((x) => [x.variantId, x.title])]}
          />
        </div>
      )}
      <Loadable state={paged} what="the ledger">
        {paged.items.length === 0 ? (
          <p class="empty">No movements.</p>
        ) : (
          <TableWrap label="Stock ledger (scrolls sideways)">
            <table class="list" id="ledger">
              <caption class="sr-only">Stock movements, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num">
                    Change
                  </th>
                  <th scope="col" class="num">
                    Stock after
                  </th>
                  <th scope="col">Reason / order</th>
                  {perVariant && <th scope="col">Variant</th>}
                </tr>
              </thead>
              <tbody>
                {paged.items.map((m, i) => (
                  <tr key={i}>
                    <td>{formatDate(m.at)}</td>
                    <td>{m.kind}</td>
                    <td class={`num ${m.delta < 0 ? "neg" : "pos"}`}>{m.delta > 0 ? `+${m.delta}` : m.delta}</td>
                    <td class="num">{m.stockAfter}</td>
                    <td>
                      {m.reason}
                      {m.orderId && (
                        <>
                          {m.reason ? " · " : ""}
                          <Link href={`/orders/${m.orderId}`} class="mono">
                            order {shortId(m.orderId)}
                          </Link>
                        </>
                      )}
                    </td>
                    {perVariant && <td>{titleOf(m.variantId)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager paged={paged} label="Ledger pages" />
      </Loadable>
    </section>
  );
}
