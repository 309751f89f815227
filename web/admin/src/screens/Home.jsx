// Home: today's sales, the last 30 days as a chart, and the counts that
// lead to work, each opening the matching filtered list.
import { gql } from "../session.js";
import { useAsync } from "../hooks.js";
import { Link } from "../router.jsx";
import { LOW_STOCK, formatMoney, plural } from "../format.js";
import { Loadable } from "../components/Status.jsx";
import { RefreshButton } from "../components/RefreshButton.jsx";
import { SalesChart } from "./SalesChart.jsx";

const HOME = `query($t: Int!, $days: Int!) {
  adminOverview(lowStockThreshold: $t) {
    ordersToShip ordersAwaitingPayment lowStockVariants outOfStockProducts lowStockThreshold
    today { date orders revenue }
  }
  salesReport(days: $days) { date orders revenue }
}`;

export function Home() {
  const state = useAsync(() => gql(HOME, { t: LOW_STOCK, days: 30 }), []);
  const o = state.data?.adminOverview;
  const days = state.data?.salesReport || [];
  const total = days.reduce((a, d) => ({ orders: a.orders + d.orders, revenue: a.revenue + d.revenue }), { orders: 0, revenue: 0 });
  return (
    <section aria-labelledby="home-title">
      <div class="heading">
        <h1 id="home-title">Home</h1>
        <RefreshButton state={state} />
      </div>
      <Loadable state={state} what="the overview">
        {o && (
          <>
            <h2 class="sr-only">Today</h2>
            <ul class="cards">
              <li class="card">
                <span class="card__label">Sales today</span>
                <span class="card__value" data-testid="today-revenue">{formatMoney(o.today.revenue)}</span>
                <span class="card__note">{plural(o.today.orders, "order")}</span>
              </li>
              <li class="card">
                <span class="card__label">Last 30 days</span>
                <span class="card__value">{formatMoney(total.revenue)}</span>
                <span class="card__note">{plural(total.orders, "order")}</span>
              </li>
            </ul>
            <h2>Needs attention</h2>
            <ul class="cards cards--work">
              <WorkCard href="/orders?status=paid" count={o.ordersToShip} label="Orders to ship" id="count-to-ship" />
              <WorkCard href="/orders?status=pending" count={o.ordersAwaitingPayment} label="Awaiting payment" id="count-awaiting" />
              {/* Per variant: a T-shirt low on M is low, however many S it has. */}
              <WorkCard
                href="/products?stock=low"
                count={o.lowStockVariants}
                label={`Variants low on stock (1–${o.lowStockThreshold})`}
                id="count-low-stock"
              />
              <WorkCard href="/products?stock=out" count={o.outOfStockProducts} label="Out of stock" id="count-out-of-stock" />
            </ul>
            <h2>Sales, last 30 days (UTC)</h2>
            <SalesChart days={days} />
          </>
        )}
      </Loadable>
    </section>
  );
}

function WorkCard({ href, count, label, id }) {
  return (
    <li class={`card card--link ${count > 0 ? "card--todo" : ""}`}>
      <Link href={href} id={id}>
        <span class="card__value">{count}</span>
        <span class="card__label">{label}</span>
      </Link>
    </li>
  );
}
