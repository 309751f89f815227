// The signed-in admin: sign in, stay signed in (refresh on load and shortly
// before the access token expires), sign out. The access token is kept in
// memory only; the refresh token only ever in the server's HttpOnly cookie.
import { ApiError, post } from "./api.js";

const SESSION_FIELDS = "accessToken expiresAt refreshToken user { id email name role }";

let accessToken = "";
let expiresAt = 0;
let user = null;
let timer = 0;
let refreshing = null;
const listeners = new Set();

/** The signed-in admin ({ id, email, name, role }) or null. */
export function currentUser() {
  return user;
}

/** subscribe calls fn(user, reason) whenever the session starts or ends. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify(reason = "") {
  for (const fn of listeners) fn(user, reason);
}

function clear(reason) {
  clearTimeout(timer);
  accessToken = "";
  expiresAt = 0;
  const had = user !== null;
  user = null;
  if (had || reason) notify(reason);
}

const NOT_ADMIN =
  "This is a customer account. The dashboard is for the shop's admins only: sign in with an admin account.";

// adopt takes a login or refresh answer: an admin's session starts; any
// other account's is signed out at once (its cookie cleared) and refused.
async function adopt(payload) {
  if (payload.user?.role !== "admin") {
    // In cookie mode refreshToken is "" and the server ends the cookie's
    // session; the body's token is never kept anywhere.
    await post("mutation($t: String!) { logout(refreshToken: $t) }", { t: payload.refreshToken || "" }, payload.accessToken).catch(
      () => {},
    );
    clear();
    throw new ApiError(NOT_ADMIN, { code: "NOT_ADMIN" });
  }
  accessToken = payload.accessToken;
  expiresAt = Date.parse(payload.expiresAt) || Date.now() + 5 * 60 * 1000;
  user = payload.user;
  schedule();
  notify();
  return user;
}

// schedule refreshes a minute before the access token expires (or at half
// its life, when that is shorter).
function schedule(delay) {
  clearTimeout(timer);
  if (delay === undefined) {
    const left = expiresAt - Date.now();
    delay = Math.max(5000, Math.min(left - 60000, left / 2));
  }
  timer = setTimeout(() => {
    refresh().catch((err) => {
      // A network failure: try again while the token still works.
      if (user && err.code === "NETWORK" && Date.now() < expiresAt) schedule(15000);
    });
  }, delay);
}

/** signIn with an admin's email and password; throws ApiError. */
export async function signIn(email, password) {
  const data = await post(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ${SESSION_FIELDS} } }`, {
    e: email,
    p: password,
  });
  return adopt(data.login);
}

// serialized runs fn while no other tab of the dashboard runs its own (the
// Web Locks API, where the browser has it: secure contexts, localhost
// included). Each tab's refresh then reads the cookie the one before it
// left, instead of sending a used token.
function serialized(fn) {
  return navigator.locks ? navigator.locks.request("shop-admin-session-refresh", fn) : fn();
}

/**
 * refresh trades the cookie for a new session, one refresh at a time in
 * this tab and across tabs: a refresh token works once, and one sent twice
 * revokes the session. A refused cookie ends the session.
 */
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const data = await serialized(() => post(`mutation { refreshToken(refreshToken: "") { ${SESSION_FIELDS} } }`));
        return await adopt(data.refreshToken);
      } catch (err) {
        if (err.code === "UNAUTHENTICATED") clear(user ? "Your session has ended. Sign in again." : "");
        throw err;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** restore resumes the session of the cookie, if any, on page load. */
export async function restore() {
  try {
    return await refresh();
  } catch (err) {
    if (err.code === "UNAUTHENTICATED") return null; // no session: sign in
    throw err;
  }
}

/**
 * signOut ends the session on the server (and its cookie), then here. It
 * sends no access token: logout needs only the cookie, and a token that
 * expired meanwhile (a laptop that slept) would have the request refused
 * before it ran, leaving the session open.
 */
export async function signOut() {
  await post('mutation { logout(refreshToken: "") }');
  clear("You are signed out.");
}

/**
 * freshToken is an access token for a new connection (the live updates'
 * socket, which sends it once, in connection_init): the current one, or a
 * new one first when it expires within the next seconds or is stale, the
 * token a connection was just refused with (close 4401). A refused cookie
 * ends the session, as refresh does.
 */
export async function freshToken(stale = "") {
  if (!user) throw new ApiError("You are signed out. Sign in again.", { code: "UNAUTHENTICATED" });
  if (accessToken === stale || expiresAt - Date.now() < 2000) await refresh();
  return accessToken;
}

/**
 * gql runs an operation as the signed-in admin. An expired access token is
 * refreshed once and the operation retried (a refused request changed
 * nothing, so a mutation may be retried too).
 */
export async function gql(query, variables) {
  if (!user) throw new ApiError("You are signed out. Sign in again.", { code: "UNAUTHENTICATED" });
  try {
    return await post(query, variables, accessToken);
  } catch (err) {
    if (err.code !== "UNAUTHENTICATED") throw err;
    await refresh();
    return post(query, variables, accessToken);
  }
}
