// Orders: status tabs, search by order id or customer email, newest first,
// one page of the connection at a time.
import { gql } from "../session.js";
import { usePaged, useSearchBox } from "../hooks.js";
import { navigate, withParams } from "../router.jsx";
import { ORDER_STATUSES } from "../format.js";
import { TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";
import { ORDER_ROW, OrdersTable } from "./OrdersTable.jsx";

const PAGE = 20;
const ORDERS = `query($first: Int!, $after: String, $status: String, $query: String) {
  orders(first: $first, after: $after, status: $status, query: $query) {
    edges { node { ${ORDER_ROW} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const TABS = [["", "All"], ...ORDER_STATUSES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])];

export function Orders({ query }) {
  const status = query.get("status") || "";
  const q = query.get("q") || "";
  const [text, setText] = useSearchBox(q, (typed) => navigate(withParams("/orders", { status, q: typed }), { replace: true }));

  const paged = usePaged(
    (after) => gql(ORDERS, { first: PAGE, after, status: status || null, query: q || null }).then((d) => d.orders),
    [status, q],
  );
  return (
    <section aria-labelledby="orders-title">
      <div class="heading">
        <h1 id="orders-title">Orders</h1>
        <RefreshButton state={paged} />
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
          <OrdersTable orders={paged.items} caption={`Orders${status ? `, ${status}` : ""}, newest first`} />
        </div>
        <Pager paged={paged} label="Order pages" />
      </Loadable>
    </section>
  );
}
