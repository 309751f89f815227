// A product as the product page reads it, with its options and variants,
// and the few rules the page needs about them (the API decides; these only
// choose what to show).

export const VARIANT = "variantId sku title price compareAtPrice stockCount available options { name value } imageUrl weightGrams position";

export const PRODUCT = `productId name description sku price stockCount active imageUrls lastUpdated category { id name }
  options { name values } variants { ${VARIANT} }`;

/** The API's limits (issue 19): options per product, values per option. */
export const MAX_OPTIONS = 3;
export const MAX_OPTION_VALUES = 100;

/**
 * several reports whether p sells more than one variant: then its price and
 * stock are its variants' (the lowest price, the sum), set per variant, and
 * the API refuses them on the product (VARIANT_REQUIRED).
 */
export const several = (p) => (p?.variants?.length || 0) > 1;

/** combinations counts the variants options allow (1 without options). */
export const combinations = (options) => (options || []).reduce((n, o) => n * o.values.length, 1);

/**
 * missingCombinations lists, in the options' order (the first option's
 * values varying slowest, as the API generates them), the combinations no
 * variant has yet, each as [{ name, value }].
 */
export function missingCombinations(options, variants) {
  if (!options?.length) return [];
  const key = (sel) => options.map((o) => sel.find((s) => s.name === o.name)?.value ?? "").join("\u001f");
  const have = new Set((variants || []).map((v) => key(v.options)));
  let all = [[]];
  for (const o of options) all = all.flatMap((sel) => o.values.map((value) => [...sel, { name: o.name, value }]));
  return all.filter((sel) => !have.has(key(sel)));
}

/** parseMoney reads a price typed as "12.50" or "$12.50"; NaN when it is none. */
export function parseMoney(text) {
  const t = String(text).trim().replace(/^\$/, "");
  return t === "" ? NaN : Number(t);
}

/** badField is an error naming one field with a message, as the API's are. */
export function badField(field, message, text = "Check the fields marked below.") {
  return Object.assign(new Error(text), { fields: [{ field, message }] });
}
