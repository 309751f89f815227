// A small history router under /admin/ (the server answers every
// /admin/... path with the app, so reloads and shared links work).
import { useEffect, useState } from "preact/hooks";

export const BASE = "/admin";

function current() {
  let path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  if (!path.startsWith("/")) path = "/" + path;
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return { path, params: new URLSearchParams(location.search) };
}

const listeners = new Set();
window.addEventListener("popstate", () => listeners.forEach((fn) => fn()));

/** navigate to an app path such as "/orders?status=paid". */
export function navigate(to, { replace = false } = {}) {
  const url = BASE + to;
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  listeners.forEach((fn) => fn());
}

/** useRoute is the current { path, params }, updated on navigation. */
export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const fn = () => setRoute(current());
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return route;
}

/** withParams is path with the non-empty params as its query string. */
export function withParams(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** match returns the named segments of path against a pattern ("/orders/:id"), or null. */
export function match(pattern, path) {
  const a = pattern.split("/");
  const b = path.split("/");
  if (a.length !== b.length) return null;
  const out = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) out[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return out;
}

/** Link is an <a> that navigates inside the app without a reload. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
    rest.onNavigate?.();
  };
  const { onNavigate, ...attrs } = rest;
  return (
    <a href={BASE + href} onClick={onClick} {...attrs}>
      {children}
    </a>
  );
}
