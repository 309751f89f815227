// Products: one page at a time, searched as you type, filtered by category
// and stock, with price and stock editable in the row (for a product of one
// variant; one of several variants is edited on its page). Low stock is
// listed per variant.
import { useEffect, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync, usePaged, useSearchBox } from "../hooks.js";
import { Link, navigate, withParams } from "../router.jsx";
import { fieldErrors } from "../api.js";
import { LOW_STOCK, formatMoney, plural } from "../format.js";
import { categoryOptions, loadCategories } from "../categories.js";
import { SelectField, TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { ProductImage } from "../components/ProductImage.jsx";
import { LowStockVariants } from "./LowStockVariants.jsx";

const PAGE = 20;
export const PRODUCT_ROW = "productId name sku price stockCount active imageUrls category { id name } variants { variantId }";
const PRODUCTS = `query($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    edges { node { ${PRODUCT_ROW} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const STOCK = [
  ["", "Any stock"],
  ["in", "In stock"],
  ["low", `Low stock (1–${LOW_STOCK})`],
  ["out", "Out of stock"],
];
const SORTS = [
  ["NEWEST", "Newest first"],
  ["OLDEST", "Oldest first"],
  ["NAME", "Name"],
  ["PRICE_ASC", "Price, lowest first"],
  ["PRICE_DESC", "Price, highest first"],
];

function stockFilter(stock) {
  if (stock === "in") return { inStock: true };
  if (stock === "out") return { maxStock: 0 };
  return {};
}

export function Products({ query }) {
  const params = { q: query.get("q") || "", category: query.get("category") || "", stock: query.get("stock") || "", sort: query.get("sort") || "" };
  const go = (change) => navigate(withParams("/products", { ...params, ...change }), { replace: true });
  const [text, setText] = useSearchBox(params.q, (q) => go({ q }));
  const sort = params.sort || (params.q ? "RELEVANCE" : "NEWEST");
  const cats = useAsync(loadCategories, []);
  // Low stock is a list of variants (lowStockVariants), not a page of
  // products: a T-shirt with plenty of S and two M is low on M.
  const low = params.stock === "low";

  const paged = usePaged((after) => {
    if (low) return Promise.resolve({ edges: [], pageInfo: { hasNextPage: false } });
    const filter = { ...stockFilter(params.stock) };
    if (params.q) filter.query = params.q;
    if (params.category) filter.categoryId = params.category;
    return gql(PRODUCTS, { first: PAGE, after, filter, sort }).then((d) => d.products);
  }, [params.q, params.category, params.stock, sort]);
  const list = low ? (
    <LowStockVariants q={params.q} category={params.category} categories={cats.data} />
  ) : (
    <Loadable state={paged} what="products">
      {paged.items.length === 0 ? (
        <p class="empty">No products match.</p>
      ) : (
        <div class="table-wrap" aria-busy={paged.loading ? "true" : "false"}>
          <table class="list products">
            <caption class="sr-only">Products</caption>
            <thead>
              <tr>
                <th scope="col">
                  <span class="sr-only">Image</span>
                </th>
                <th scope="col">Name</th>
                <th scope="col">SKU</th>
                <th scope="col">Category</th>
                <th scope="col">Price</th>
                <th scope="col">Stock</th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((p) => (
                <ProductRow key={p.productId} product={p} onChange={(np) => paged.setData((c) => replaceNode(c, np))} reload={paged.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager paged={paged} label="Product pages" />
    </Loadable>
  );

  const sorts = params.q ? [["RELEVANCE", "Best match"], ...SORTS] : SORTS;
  return (
    <section aria-labelledby="products-title">
      <div class="heading">
        <h1 id="products-title">Products</h1>
        <Link href="/products/new" class="button primary">
          New product
        </Link>
      </div>
      <form class="filters" role="search" aria-label="Filter products" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Search" type="search" value={text} onInput={setText} maxLength={200} placeholder="Name, description or SKU" />
        <SelectField
          label="Category"
          value={params.category}
          onChange={(category) => go({ category })}
          options={categoryOptions(cats.data || [], "All categories")}
          error={cats.error && `Categories could not load: ${cats.error.message}`}
        />
        <SelectField label="Stock" value={params.stock} onChange={(stock) => go({ stock })} options={STOCK} />
        {!low && <SelectField label="Sort" value={sort} onChange={(s) => go({ sort: s })} options={sorts} />}
      </form>
      {list}
    </section>
  );
}

function replaceNode(conn, node) {
  return { ...conn, edges: conn.edges.map((e) => (e.node.productId === node.productId ? { ...e, node } : e)) };
}

function ProductRow({ product: p, onChange, reload }) {
  const variants = p.variants?.length || 1;
  return (
    <tr data-product-id={p.productId}>
      <td>
        <ProductImage urls={p.imageUrls} />
      </td>
      <td>
        <Link href={`/products/${p.productId}`}>{p.name}</Link>
        {!p.active && <span class="badge badge--inactive">inactive</span>}
        {variants > 1 && <span class="muted small-text"> · {plural(variants, "variant")}</span>}
      </td>
      <td class="mono">{p.sku || <span class="muted">—</span>}</td>
      <td>{p.category?.name || <span class="muted">—</span>}</td>
      {variants > 1 ? (
        // Each variant has its price and stock: changed on the product's
        // page. The product shows the lowest price and the sum.
        <>
          <td>from {formatMoney(p.price)}</td>
          <td class={p.stockCount === 0 ? "neg" : ""}>{p.stockCount} in all</td>
        </>
      ) : (
        <>
          <td>
            <PriceCell product={p} onChange={onChange} reload={reload} />
          </td>
          <td>
            <StockCell product={p} onChange={onChange} reload={reload} />
          </td>
        </>
      )}
    </tr>
  );
}

/** PriceCell edits a product's price in place (updateProduct). */
// VARIANTS_CAME is what a cell says when the product gained variants
// elsewhere since the page loaded (the API answers VARIANT_REQUIRED).
const VARIANTS_CAME = "It has several variants now: change them on its page.";

export function PriceCell({ product, onChange, reload }) {
  const [value, setValue] = useState(String(product.price));
  useEffect(() => setValue(String(product.price)), [product.price]);
  const action = useAction();
  const changed = value.trim() !== String(product.price);
  const id = `price-${product.productId}`;
  const save = (e) => {
    e.preventDefault();
    action.run(async () => {
      const price = Number(value.trim().replace(/^\$/, ""));
      if (value.trim() === "" || !Number.isFinite(price)) throw new Error("Enter the price as a number, such as 12.50.");
      const d = await gql(`mutation($in: ProductUpdateInput!) { updateProduct(input: $in) { ${PRODUCT_ROW} } }`, {
        in: { productId: product.productId, price },
      }).catch((err) => {
        if (err.code !== "VARIANT_REQUIRED") throw err;
        reload?.();
        throw new Error(VARIANTS_CAME);
      });
      if (!d.updateProduct) throw new Error("The product no longer exists.");
      onChange(d.updateProduct);
      setValue(String(d.updateProduct.price));
    }, `Price of ${product.name} is now ${formatMoney(Number(value))}.`);
  };
  const err = action.error && (fieldErrors(action.error).price || action.error.message);
  return (
    <form class="inline-edit" onSubmit={save} noValidate>
      <label class="sr-only" for={id}>
        Price of {product.name}
      </label>
      <input
        id={id}
        class="inline-edit__input"
        inputMode="decimal"
        value={value}
        aria-invalid={err ? "true" : undefined}
        aria-describedby={err ? `${id}-error` : undefined}
        onInput={(e) => {
          setValue(e.currentTarget.value);
          if (action.error) action.reset();
        }}
      />
      {changed && (
        <button type="submit" class="small" disabled={action.busy}>
          {action.busy ? "Saving…" : "Save"}
        </button>
      )}
      {err && (
        <span class="field__error" id={`${id}-error`}>
          {err}
        </span>
      )}
      {!err && action.message && !changed && <span class="inline-status inline-status--ok">Saved</span>}
    </form>
  );
}

/** StockCell corrects a product's stock in place: adjustStock, with a reason for the ledger. */
export function StockCell({ product, onChange, reload }) {
  const [value, setValue] = useState(String(product.stockCount));
  useEffect(() => setValue(String(product.stockCount)), [product.stockCount]);
  const [reason, setReason] = useState("");
  const action = useAction();
  const target = Number(value);
  const changed = value.trim() !== String(product.stockCount);
  const id = `stock-${product.productId}`;
  const save = (e) => {
    e.preventDefault();
    action.run(async () => {
      if (!Number.isInteger(target) || value.trim() === "") throw new Error("Enter the stock as a whole number.");
      const d = await gql(`mutation($id: String!, $d: Int!, $r: String!) { adjustStock(productId: $id, delta: $d, reason: $r) { ${PRODUCT_ROW} } }`, {
        id: product.productId,
        d: target - product.stockCount,
        r: reason.trim(),
      }).catch((err) => {
        if (err.code !== "VARIANT_REQUIRED") throw err;
        reload?.();
        throw new Error(VARIANTS_CAME);
      });
      onChange(d.adjustStock);
      setValue(String(d.adjustStock.stockCount));
      setReason("");
      return d.adjustStock;
    }, (np) => `Stock of ${np.name} is now ${np.stockCount}.`);
  };
  const errs = fieldErrors(action.error);
  const err = action.error && !errs.reason && (errs.delta || action.error.message);
  return (
    <form class="inline-edit" onSubmit={save} noValidate>
      <label class="sr-only" for={id}>
        Stock of {product.name}
      </label>
      <input
        id={id}
        class={`inline-edit__input inline-edit__input--stock ${product.stockCount === 0 ? "is-out" : ""}`}
        type="number"
        inputMode="numeric"
        step="1"
        value={value}
        aria-invalid={err ? "true" : undefined}
        onInput={(e) => {
          setValue(e.currentTarget.value);
          if (action.error) action.reset();
        }}
      />
      {changed && (
        <>
          <label class="sr-only" for={`${id}-reason`}>
            Reason for the stock change of {product.name}
          </label>
          <input
            id={`${id}-reason`}
            class="inline-edit__reason"
            placeholder="Reason (for the ledger)"
            value={reason}
            maxLength={500}
            aria-invalid={errs.reason ? "true" : undefined}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <button type="submit" class="small" disabled={action.busy}>
            {action.busy ? "Saving…" : "Apply"}
          </button>
        </>
      )}
      {errs.reason && <span class="field__error">Reason {errs.reason}</span>}
      {err && <span class="field__error">{err}</span>}
      {!action.error && action.message && !changed && <span class="inline-status inline-status--ok">Saved</span>}
    </form>
  );
}
