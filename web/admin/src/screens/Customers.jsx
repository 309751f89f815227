// Customers: one page at a time, newest first, searched by email or name,
// with their order counts and totals.
import { gql } from "../session.js";
import { usePaged, useSearchBox } from "../hooks.js";
import { Link, navigate, withParams } from "../router.jsx";
import { formatDate, formatMoney } from "../format.js";
import { TextField } from "../components/Field.jsx";
import { Pager } from "../components/Pager.jsx";
import { Loadable } from "../components/Status.jsx";

const CUSTOMERS = `query($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query) {
    edges { node { orderCount totalSpent lastOrderAt user { id email name createdAt } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function Customers({ query }) {
  const q = query.get("q") || "";
  const [text, setText] = useSearchBox(q, (typed) => navigate(withParams("/customers", { q: typed }), { replace: true }));
  const paged = usePaged((after) => gql(CUSTOMERS, { first: 20, after, query: q || null }).then((d) => d.customers), [q]);
  return (
    <section aria-labelledby="customers-title">
      <div class="heading">
        <h1 id="customers-title">Customers</h1>
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Search by email or name" type="search" value={text} onInput={setText} maxLength={200} />
      </form>
      <Loadable state={paged} what="customers">
        {paged.items.length === 0 ? (
          <p class="empty">No customers match.</p>
        ) : (
          <div class="table-wrap" aria-busy={paged.loading ? "true" : "false"}>
            <table class="list">
              <caption class="sr-only">Customers, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col" class="num">
                    Orders
                  </th>
                  <th scope="col" class="num">
                    Spent
                  </th>
                  <th scope="col">Last order</th>
                  <th scope="col">Joined</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((c) => (
                  <tr key={c.user.id} data-customer={c.user.email}>
                    <td>
                      <Link href={withParams(`/customers/${c.user.id}`, { email: c.user.email, name: c.user.name })}>{c.user.name || c.user.email}</Link>
                      <div class="muted small-text">{c.user.email}</div>
                    </td>
                    <td class="num">{c.orderCount}</td>
                    <td class="num">{formatMoney(c.totalSpent)}</td>
                    <td>{c.lastOrderAt ? formatDate(c.lastOrderAt) : <span class="muted">—</span>}</td>
                    <td>{formatDate(c.user.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged} label="Customer pages" />
      </Loadable>
    </section>
  );
}
