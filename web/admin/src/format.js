// Display helpers: money, dates, counts, ids; and the dashboard's one
// notion of low stock.

/** LOW_STOCK is the most units a product has to count as low on stock. */
export const LOW_STOCK = 5;

/** plural shows n with word, made plural unless n is 1 ("1 order", "2 orders"). */
export const plural = (n, word) => `${n} ${n === 1 ? word : word + "s"}`;

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
/** formatMoney shows an API money Float (exact to the cent) in dollars. */
export const formatMoney = (v) => money.format(Number(v) || 0);

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
/** formatDate shows an RFC 3339 timestamp in UTC, like the server's days. */
export const formatDate = (s) => (s ? `${dateTime.format(new Date(s))} UTC` : "—");

const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
/** formatDay shows "2026-11-25" as "25 Nov". */
export const formatDay = (s) => day.format(new Date(`${s}T00:00:00Z`));

/**
 * shortId is the last 8 characters of an id, enough to tell orders apart on
 * screen. Not the first block: order ids are time-ordered (UUIDv7), so orders
 * made in the same minute share their first characters; the tail is random.
 */
export const shortId = (id) => String(id || "").slice(-8);

/** https reports whether url is an absolute https URL (the only images shown). */
export function isHttps(url) {
  try {
    return new URL(url).protocol === "https:";
  } catch {
    return false;
  }
}

export const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled"];

/** DEFAULT_VARIANT is the title of the only variant of a product without options. */
export const DEFAULT_VARIANT = "Default";

/**
 * variantName is what a variant is called on screen: "T-shirt — M / Red",
 * or just the product's name for its default variant.
 */
export const variantName = (product, title) => (!title || title === DEFAULT_VARIANT ? product : `${product} — ${title}`);
