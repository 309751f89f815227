// Shared hooks: loading data, running actions with their progress and
// result, debouncing input, and paging a Relay connection.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { announce } from "./components/Status.jsx";
import { watch } from "./live.js";

/**
 * useAsync loads fn() whenever deps change; stale answers are dropped.
 * reload() loads again, showing it; refresh() loads again quietly (a live
 * update: no busy state, the data replaced when the answer comes).
 */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const load = useCallback((quiet) => {
    const n = ++seq.current;
    if (quiet !== true) setState((s) => ({ ...s, loading: true, error: null }));
    fn().then(
      (data) => n === seq.current && setState({ data, error: null, loading: false }),
      (error) => n === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(load, [load]);
  const setData = (data) => setState((s) => ({ ...s, data: typeof data === "function" ? data(s.data) : data }));
  return { ...state, reload: load, refresh: () => load(true), setData };
}

/**
 * useAction runs one user action at a time: busy while it runs, then its
 * success message or its error, both also announced in the live region.
 */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, message: "" });
  const run = useCallback(async (fn, success) => {
    setState({ busy: true, error: null, message: "" });
    try {
      const result = await fn();
      const message = typeof success === "function" ? success(result) : success || "";
      setState({ busy: false, error: null, message });
      if (message) announce(message);
      return result;
    } catch (error) {
      setState({ busy: false, error, message: "" });
      announce(error.message, "error");
      return undefined;
    }
  }, []);
  const reset = useCallback(() => setState({ busy: false, error: null, message: "" }), []);
  return { ...state, run, reset };
}

/** useDebounced is value, once it has stopped changing for ms. */
export function useDebounced(value, ms = 300) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * usePaged pages a connection: fetchPage(after) returns { edges, pageInfo }.
 * It keeps the cursors of the pages before, for Previous, and starts again
 * at the first page when deps (the filters) change; it never loads more
 * than one page.
 */
export function usePaged(fetchPage, deps) {
  const key = JSON.stringify(deps);
  const [st, setSt] = useState({ key, cursors: [null] });
  const cursors = st.key === key ? st.cursors : [null];
  const after = cursors[cursors.length - 1];
  const page = useAsync(() => fetchPage(after), [key, after]);
  const conn = page.data;
  return {
    ...page,
    items: conn ? conn.edges.map((e) => e.node) : [],
    pageNumber: cursors.length,
    hasNext: !!conn?.pageInfo?.hasNextPage,
    hasPrev: cursors.length > 1,
    next: () => conn?.pageInfo?.endCursor && setSt({ key, cursors: [...cursors, conn.pageInfo.endCursor] }),
    prev: () => setSt({ key, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors }),
  };
}

/**
 * useSearchBox is a search input's text, committed (commit(trimmed)) once
 * typing pauses; value is the committed search (from the URL), which
 * replaces the text when it changes from elsewhere (back, a link).
 */
export function useSearchBox(value, commit, ms = 300) {
  const [text, setText] = useState(value);
  const typed = useDebounced(text.trim(), ms);
  useEffect(() => {
    if (value !== typed) setText(value);
  }, [value]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (typed !== value) commit(typed);
  }, [typed]); // eslint-disable-line react-hooks/exhaustive-deps
  return [text, setText];
}

/**
 * useLive runs the subscription query while the component is shown (see
 * live.js): onData(data) for each result, onLive() each time it goes live
 * (to read again what a gap may have missed). It returns the connection's
 * state: "connecting", "live" or "offline".
 */
export function useLive(query, { onData, onLive }) {
  const [state, setState] = useState("connecting");
  const handlers = useRef({});
  handlers.current = { onData, onLive };
  useEffect(
    () =>
      watch(query, {}, {
        onData: (data) => handlers.current.onData?.(data),
        onLive: () => handlers.current.onLive?.(),
        onState: setState,
      }),
    [query],
  );
  return state;
}
