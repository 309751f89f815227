// Orders: status tabs, search by order id or customer email, newest first,
// one page of the connection at a time, kept up to date live (orderEvents).
import { useEffect, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useLive, usePaged, useSearchBox } from "../hooks.js";
import { navigate, withParams } from "../router.jsx";
import { ORDER_STATUSES, shortId } from "../format.js";
import { TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";
import { LiveState } from "../components/LiveState.jsx";
import { announce } from "../components/Status.jsx";
import { ORDER_ROW, OrdersTable } from "./OrdersTable.jsx";

const PAGE = 20;
const ORDERS = `query($first: Int!, $after: String, $status: String, $query: String) {
  orders(first: $first, after: $after, status: $status, query: $query) {
    edges { node { ${ORDER_ROW} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

// Every order event (placed, paid, shipped, cancelled...) with the order as
// it is after it, in the list's own fields.
const ORDER_EVENTS = `subscription { orderEvents { orderId status order { ${ORDER_ROW} } } }`;

// A burst of events (a checkout, a bulk change) costs one read of the page.
const REFRESH_DELAY = 250;

const TABS = [["", "All"], ...ORDER_STATUSES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])];

export function Orders({ query }) {
  const status = query.get("status") || "";
  const q = query.get("q") || "";
  const [text, setText] = useSearchBox(q, (typed) => navigate(withParams("/orders", { status, q: typed }), { replace: true }));

  const paged = usePaged(
    (after) => gql(ORDERS, { first: PAGE, after, status: status || null, query: q || null }).then((d) => d.orders),
    [status, q],
  );
  const live = useLiveOrders(paged, `${status}|${q}|${paged.pageNumber}`);
  return (
    <section aria-labelledby="orders-title">
      <div class="heading">
        <h1 id="orders-title">Orders</h1>
        <div class="heading__actions">
          <LiveState state={live.state} what="Live updates of the orders" />
          <RefreshButton state={paged} />
        </div>
      </div>
      <nav class="tabs" aria-label="Order status">
        {TABS.map(([value, label]) => (
          <a
            key={value}
            href={`/admin${withParams("/orders", { status: value, q })}`}
            aria-current={status === value ? "page" : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(withParams("/orders", { status: value, q }));
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Search by order id or customer email"
          type="search"
          value={text}
          onInput={setText}
          maxLength={200}
          placeholder="e.g. 3f2a… or alice@"
        />
      </form>
      <Loadable state={paged} what="orders">
        <div aria-busy={paged.loading ? "true" : "false"}>
          <OrdersTable orders={paged.items} fresh={live.fresh} caption={`Orders${status ? `, ${status}` : ""}, newest first`} />
        </div>
        <Pager paged={paged} label="Order pages" />
      </Loadable>
    </section>
  );
}

/**
 * useLiveOrders keeps the page of orders current from orderEvents: a row
 * shown is replaced by the order the event carries at once; the first page
 * is also read again (quietly, once per burst), since the server alone
 * knows what now matches the tab and the search, and an order placed goes
 * to its top. So is any page when the connection goes live (again), for
 * what a gap missed. Orders that appear that way are tinted and announced.
 * view names the tab, search and page, so a list read for another is never
 * compared with this one.
 */
function useLiveOrders(paged, view) {
  const [fresh, setFresh] = useState(() => new Set());
  const before = useRef(null); // { view, ids } of the list when a live read started
  const timer = useRef(0);

  const reread = (immediately) => {
    // Only the first page gains orders: a later one shifts instead.
    if (paged.pageNumber === 1 && paged.data && !before.current) before.current = { view, ids: new Set(paged.items.map((o) => o.orderId)) };
    clearTimeout(timer.current);
    timer.current = setTimeout(() => paged.refresh(), immediately ? 0 : REFRESH_DELAY);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    setFresh(new Set());
    before.current = null;
  }, [view]);

  // A live read's answer: what it brought that was not there.
  useEffect(() => {
    const was = before.current;
    if (!was || paged.loading || !paged.data) return;
    before.current = null;
    if (was.view !== view) return;
    const added = paged.items.filter((o) => !was.ids.has(o.orderId));
    if (added.length === 0) return;
    setFresh(new Set(added.map((o) => o.orderId)));
    announce(added.length === 1 ? `New order ${shortId(added[0].orderId)} listed.` : `${added.length} new orders listed.`);
  }, [paged.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const state = useLive(ORDER_EVENTS, {
    onData: ({ orderEvents: ev }) => {
      const id = ev?.orderId || ev?.order?.orderId;
      if (ev?.order && paged.items.some((o) => o.orderId === id)) {
        paged.setData((conn) => conn && { ...conn, edges: conn.edges.map((e) => (e.node.orderId === id ? { ...e, node: ev.order } : e)) });
      }
      if (paged.pageNumber === 1) reread(false);
    },
    onLive: () => reread(true),
  });
  return { state, fresh };
}
