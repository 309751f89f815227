// The low-stock list, per variant (lowStockVariants): the variants with 1
// to LOW_STOCK units, fewest first, each linking to its product's page,
// where its row in Variants restocks it. The Products screen shows it for
// its "Low stock" filter, searched and filtered by category here (the API
// lists them all at once).
import { gql } from "../session.js";
import { useAsync } from "../hooks.js";
import { Link } from "../router.jsx";
import { LOW_STOCK, plural, variantName } from "../format.js";
import { Loadable } from "../components/Status.jsx";
import { ProductImage } from "../components/ProductImage.jsx";

const LOW = `query($t: Int!) { lowStockVariants(threshold: $t) {
  variantId sku title stockCount imageUrl product { productId name active imageUrls category { id } }
} }`;

// The most variants the API lists (models.MaxLowStockResults, as lowStock).
const MOST = 200;

/** within is the ids of category and of every category under it. */
function within(category, tree) {
  const ids = new Set([category]);
  for (const c of tree || []) if (c.parent && ids.has(c.parent.id)) ids.add(c.id); // tree order: parents come first
  return ids;
}

export function LowStockVariants({ q, category, categories }) {
  const state = useAsync(() => gql(LOW, { t: LOW_STOCK }), []);
  const all = state.data?.lowStockVariants || [];
  // Out of stock is its own list (the Stock filter's "Out of stock"); the
  // API's list, fewest first, starts with them.
  let rows = all.filter((v) => v.stockCount > 0);
  if (category) {
    const ids = within(category, categories);
    rows = rows.filter((v) => ids.has(v.product.category?.id));
  }
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length) {
    rows = rows.filter((v) => {
      const text = `${v.product.name} ${v.title} ${v.sku || ""}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }
  return (
    <Loadable state={state} what="the low-stock variants">
      <p class="muted" id="low-stock-note">
        {plural(rows.length, "variant")} with 1 to {LOW_STOCK} in stock, fewest first.
        {all.length >= MOST && ` The API lists the ${MOST} lowest, out of stock included: more may be low.`}
      </p>
      {rows.length === 0 ? (
        <p class="empty">No variant is low on stock.</p>
      ) : (
        <div class="table-wrap" aria-busy={state.loading ? "true" : "false"}>
          <table class="list products" id="low-stock">
            <caption class="sr-only">Variants low on stock, fewest first</caption>
            <thead>
              <tr>
                <th scope="col">
                  <span class="sr-only">Image</span>
                </th>
                <th scope="col">Variant</th>
                <th scope="col">SKU</th>
                <th scope="col" class="num">
                  Stock
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((v) => (
                <tr key={v.variantId} data-product-id={v.product.productId} data-variant-id={v.variantId}>
                  <td>
                    <ProductImage urls={v.imageUrl ? [v.imageUrl, ...(v.product.imageUrls || [])] : v.product.imageUrls} />
                  </td>
                  <td>
                    <Link href={`/products/${v.product.productId}`}>{variantName(v.product.name, v.title)}</Link>
                    {!v.product.active && <span class="badge badge--inactive">inactive</span>}
                  </td>
                  <td class="mono">{v.sku || <span class="muted">—</span>}</td>
                  <td class="num">{v.stockCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Loadable>
  );
}
