// What the shipping, tax and discount code screens share: the API's kinds
// with their names on screen, how a rate or a code reads in a list, and
// reading what the forms' text fields hold. The API checks every value;
// these only turn text into what it takes, and say so when they can't.
import { formatMoney } from "./format.js";
import { badField, parseMoney } from "./product.js";

export const RATE = "shippingMethodId name kind price freeAbove minWeightGrams maxWeightGrams";
export const ZONE = `zoneId name countries regions rates { ${RATE} }`;
export const TAX_RATE = "taxRateId country region name rate appliesToShipping";
export const CODE = `discountCodeId code kind value appliesTo { productIds categoryIds } minSubtotal startsAt endsAt
  usageLimit usageLimitPerCustomer usageCount active`;

/** RATE_KINDS are ShippingRateKind's values with their names on screen. */
export const RATE_KINDS = [
  ["FLAT", "Flat price"],
  ["FREE_ABOVE", "Free above a subtotal"],
  ["BY_WEIGHT", "By weight"],
];

/** CODE_KINDS are DiscountKind's values with their names on screen. */
export const CODE_KINDS = [
  ["PERCENTAGE", "Percentage off"],
  ["FIXED_AMOUNT", "Fixed amount off"],
  ["FREE_SHIPPING", "Free shipping"],
];

export const kindName = (kinds, kind) => kinds.find(([k]) => k === kind)?.[1] || kind;

const grams = new Intl.NumberFormat("en-US");

/** rateCondition says when a rate applies, or what makes it free. */
export function rateCondition(r) {
  if (r.kind === "FREE_ABOVE") return `Free from a subtotal of ${formatMoney(r.freeAbove)}`;
  if (r.kind === "BY_WEIGHT") {
    const min = r.minWeightGrams;
    const max = r.maxWeightGrams;
    if (min != null && max != null) return `${grams.format(min)} g to ${grams.format(max)} g`;
    if (max != null) return `Up to ${grams.format(max)} g`;
    return `From ${grams.format(min)} g`;
  }
  return "Always";
}

/** codeValue is what a code takes off: "10%", "$5.00" or "Free shipping". */
export function codeValue(c) {
  if (c.kind === "PERCENTAGE") return `${c.value}%`;
  if (c.kind === "FIXED_AMOUNT") return formatMoney(c.value);
  return "Free shipping";
}

/** codeUses is a code's use count against its limit: "3 of 100", "3 (no limit)". */
export const codeUses = (c) => (c.usageLimit == null ? `${c.usageCount} (no limit)` : `${c.usageCount} of ${c.usageLimit}`);

/** codes splits what a field holds ("US, ca de") into its codes. */
export const codes = (text) =>
  String(text)
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** moneyOf reads a price field for the API, or throws a field error naming it. */
export function moneyOf(field, text) {
  const n = parseMoney(text);
  if (!Number.isFinite(n)) throw badField(field, "must be an amount, such as 12.50");
  return n;
}

/** numberOf reads a number field (a percentage), or throws a field error. */
export function numberOf(field, text, example = "8.25") {
  const t = String(text).trim().replace(/%$/, "");
  const n = t === "" ? NaN : Number(t);
  if (!Number.isFinite(n)) throw badField(field, `must be a number, such as ${example}`);
  return n;
}

/** wholeOf reads a whole-number field, or throws a field error. */
export function wholeOf(field, text) {
  const t = String(text).trim();
  const n = t === "" ? NaN : Number(t);
  if (!Number.isInteger(n)) throw badField(field, "must be a whole number");
  return n;
}

/**
 * utcInput is an RFC 3339 time as a datetime-local input holds it, in UTC
 * ("2026-11-27T05:00"); "" for none.
 */
export const utcInput = (s) => (s ? new Date(s).toISOString().slice(0, 16) : "");

/** utcTime is a datetime-local input's value, read as UTC, in RFC 3339; "" for none. */
export function utcTime(field, text) {
  const t = String(text).trim();
  if (!t) return "";
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(t)) throw badField(field, "must be a date and time, such as 2026-11-27T00:00");
  return `${t.length === 16 ? t + ":00" : t}Z`;
}
