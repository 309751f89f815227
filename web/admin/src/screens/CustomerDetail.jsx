// One customer's orders, newest first, a page at a time.
import { gql } from "../session.js";
import { usePaged } from "../hooks.js";
import { Link } from "../router.jsx";
import { shortId } from "../format.js";
import { Pager } from "../components/Pager.jsx";
import { Loadable } from "../components/Status.jsx";
import { ORDER_ROW, OrdersTable } from "./OrdersTable.jsx";

const ORDERS = `query($first: Int!, $after: String, $customerId: String) {
  orders(first: $first, after: $after, customerId: $customerId) {
    edges { node { ${ORDER_ROW} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export function CustomerDetail({ params, query }) {
  const email = query.get("email") || "";
  const name = query.get("name") || "";
  const paged = usePaged((after) => gql(ORDERS, { first: 20, after, customerId: params.id }).then((d) => d.orders), [params.id]);
  return (
    <section aria-labelledby="customer-title">
      <p class="crumbs">
        <Link href="/customers">← Customers</Link>
      </p>
      <div class="heading">
        <h1 id="customer-title">{name || email || <>Customer <span class="mono">{shortId(params.id)}</span></>}</h1>
      </div>
      <p class="muted">
        {email && <>{email} · </>}
        <span class="mono wrap">{params.id}</span>
      </p>
      <h2>Orders</h2>
      <Loadable state={paged} what="the customer's orders">
        <OrdersTable orders={paged.items} caption="The customer's orders, newest first" showCustomer={false} />
        <Pager paged={paged} label="Order pages" />
      </Loadable>
    </section>
  );
}
