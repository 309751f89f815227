// The dashboard's only way to the server: POST /graphql on this origin.
//
// Tokens: the access token lives in this module's memory only (never in
// localStorage or a cookie page scripts can read); the refresh token is an
// HttpOnly, SameSite=Strict cookie the server sets when a request carries
// "X-Shop-Session: cookie" (see the README's "Admin dashboard" section).
// Every request carries that header, so sign-in, refresh and sign-out all
// work through the cookie and the page never sees the refresh token.

const ENDPOINT = "/graphql";

/**
 * An error to show: the server's message(s), its code, any bad fields and,
 * for VARIANT_REQUIRED, the variants to choose from ({ variantId, title }).
 */
export class ApiError extends Error {
  constructor(message, { code = "", fields = [], status = 0, variants = [] } = {}) {
    super(message);
    this.code = code;
    this.fields = fields;
    this.status = status;
    this.variants = variants;
  }
}

/**
 * Sends one GraphQL operation with the given access token (or none) and
 * returns its data, or throws an ApiError carrying every error's message.
 */
export async function post(query, variables = {}, token = "") {
  const headers = { "Content-Type": "application/json", "X-Shop-Session": "cookie" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The server could not be reached. Check the connection and try again.", { code: "NETWORK" });
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The server answered ${res.status} ${res.statusText} without a readable body.`, { status: res.status });
  }
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  if (errors.length > 0) {
    const first = errors[0].extensions || {};
    const fields = errors.flatMap((e) => (Array.isArray(e.extensions?.fields) ? e.extensions.fields : []));
    const messages = [...new Set(errors.map((e) => e.message).filter(Boolean))];
    throw new ApiError(messages.join(" ") || `The server answered ${res.status}.`, {
      code: first.code || "",
      fields,
      status: res.status,
      variants: Array.isArray(first.variants) ? first.variants : [],
    });
  }
  if (!res.ok || !body?.data) {
    throw new ApiError(`The server answered ${res.status} ${res.statusText}.`, { status: res.status });
  }
  return body.data;
}

/**
 * fieldErrors turns an error's extensions.fields into { field: message },
 * keyed by the input field's name ("imageUrls[2]" counts for "imageUrls").
 */
export function fieldErrors(err) {
  return collect(err, (path) => path.replace(/[.[].*$/, ""));
}

/**
 * fieldErrorsByPath is the same keyed by the whole path, without "input."
 * ("options[0].values[1]"), for forms with lists of fields.
 */
export function fieldErrorsByPath(err) {
  return collect(err, (path) => path);
}

function collect(err, keyOf) {
  const out = {};
  for (const f of err?.fields || []) {
    const key = keyOf(String(f.field || "").replace(/^input\./, ""));
    if (!key) continue;
    const msg = f.message || "is not valid";
    out[key] = out[key] ? `${out[key]}; ${msg}` : msg;
  }
  return out;
}
