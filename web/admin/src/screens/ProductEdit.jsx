// Create or edit a product: every field, with the API's message beside the
// field it names; then its stock (adjusted with a reason), its ledger,
// deactivation and deletion.
import { useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync, usePaged } from "../hooks.js";
import { Link, navigate } from "../router.jsx";
import { fieldErrors } from "../api.js";
import { formatDate, isHttps, shortId } from "../format.js";
import { categoryOptions, loadCategories } from "../categories.js";
import { Field, SelectField, TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";

const PRODUCT = "productId name description sku price stockCount active imageUrls lastUpdated category { id name }";

export function ProductEdit({ params }) {
  const isNew = !params.id;
  const state = useAsync(
    () => (isNew ? Promise.resolve({ getProductsById: null }) : gql(`query($id: String!) { getProductsById(id: $id) { ${PRODUCT} } }`, { id: params.id })),
    [params.id],
  );
  const product = state.data?.getProductsById;
  const title = isNew ? "New product" : product ? product.name : "Product";
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
              <ProductForm key={product?.productId || "new"} product={product} onSaved={(p) => state.setData({ getProductsById: p })} />
            </div>
            {product && (
              <div class="detail__side">
                <StockPanel product={product} onChange={(p) => state.setData({ getProductsById: p })} />
                <Manage product={product} onChange={(p) => state.setData({ getProductsById: p })} />
              </div>
            )}
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

function ProductForm({ product, onSaved }) {
  const [v, setV] = useState(() => initial(product));
  const cats = useAsync(loadCategories, []);
  const action = useAction();
  const set = (k) => (value) => setV((old) => ({ ...old, [k]: value }));
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const price = Number(v.price.trim());
      if (v.price.trim() === "" || !Number.isFinite(price)) {
        throw Object.assign(new Error("Check the fields marked below."), { fields: [{ field: "price", message: "must be a number, such as 12.50" }] });
      }
      const input = {
        name: v.name,
        sku: v.sku,
        description: v.description,
        price,
        categoryId: v.categoryId,
        imageUrls: v.imageUrls.split("\n").map((s) => s.trim()).filter(Boolean),
        active: v.active,
      };
      if (!product) {
        const stock = Number(v.stockCount);
        if (!Number.isInteger(stock)) {
          throw Object.assign(new Error("Check the fields marked below."), { fields: [{ field: "stockCount", message: "must be a whole number" }] });
        }
        const d = await gql(`mutation($in: ProductInput!) { createProduct(input: $in) { ${PRODUCT} } }`, { in: { ...input, stockCount: stock } });
        navigate(`/products/${d.createProduct.productId}`, { replace: true });
        return d.createProduct;
      }
      const d = await gql(`mutation($in: ProductUpdateInput!) { updateProduct(input: $in) { ${PRODUCT} } }`, {
        in: { ...input, productId: product.productId },
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
        <TextField
          label="Price (USD)"
          inputMode="decimal"
          value={v.price}
          onInput={set("price")}
          error={errs.price}
          hint="At most 2 decimal places."
          required
        />
        {!product ? (
          <TextField label="Stock" type="number" inputMode="numeric" step="1" min="0" value={v.stockCount} onInput={set("stockCount")} error={errs.stockCount} />
        ) : (
          <p class="field field--static">
            <span class="field__label">Stock</span>
            <span>{product.stockCount} — change it under Stock, with a reason</span>
          </p>
        )}
      </div>
      <div class="row">
        <TextField label="SKU" value={v.sku} onInput={set("sku")} maxLength={64} error={errs.sku} hint="Letters, digits, - _ and . ; unique." autocomplete="off" />
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
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Saving…" : product ? "Save changes" : "Create product"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}

function StockPanel({ product, onChange }) {
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = Number(delta);
      if (delta.trim() === "" || !Number.isInteger(d)) {
        throw Object.assign(new Error("Enter the change as a whole number, such as 10 or -3."), { fields: [{ field: "delta", message: "must be a whole number" }] });
      }
      const r = await gql(`mutation($id: String!, $d: Int!, $r: String!) { adjustStock(productId: $id, delta: $d, reason: $r) { ${PRODUCT} } }`, {
        id: product.productId,
        d,
        r: reason.trim(),
      });
      onChange(r.adjustStock);
      setDelta("");
      setReason("");
      return r.adjustStock;
    }, (p) => `Stock is now ${p.stockCount}.`);
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      <p class="stock-now">
        <span class="stock-now__value" data-testid="stock-now">
          {product.stockCount}
        </span>{" "}
        in stock
      </p>
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
  const paged = usePaged(
    (after) =>
      gql(
        `query($id: String!, $after: String) { getProductsById(id: $id) { stockMovements(first: 20, after: $after) {
          edges { node { at delta stockAfter kind reason orderId actor } } pageInfo { hasNextPage endCursor } } } }`,
        { id: product.productId, after },
      ).then((d) => d.getProductsById?.stockMovements || { edges: [], pageInfo: { hasNextPage: false } }),
    [product.productId, product.stockCount],
  );
  return (
    <section class="panel detail__wide" aria-labelledby="ledger-title">
      <h2 id="ledger-title">Stock ledger</h2>
      <Loadable state={paged} what="the ledger">
        {paged.items.length === 0 ? (
          <p class="empty">No movements.</p>
        ) : (
          <div class="table-wrap">
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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged} label="Ledger pages" />
      </Loadable>
    </section>
  );
}
