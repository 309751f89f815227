// A page of orders as a table (Orders and a customer's page share it).
import { Link } from "../router.jsx";
import { formatDate, formatMoney, shortId } from "../format.js";
import { StatusBadge } from "../components/StatusBadge.jsx";

export const ORDER_ROW = "orderId status totalAmount createdAt customerId items { quantity }";

/** fresh is a Set of the order ids a live update just brought in (tinted). */
export function OrdersTable({ orders, caption, showCustomer = true, fresh }) {
  if (orders.length === 0) return <p class="empty">No orders match.</p>;
  return (
    <div class="table-wrap">
      <table class="list">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Placed</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Items
            </th>
            <th scope="col" class="num">
              Total
            </th>
            {showCustomer && <th scope="col">Customer</th>}
          </tr>
        </thead>
        <tbody>
          {orders.map((o) => (
            <tr key={o.orderId} data-order-id={o.orderId} class={fresh?.has(o.orderId) ? "row--new" : undefined}>
              <td>
                {/* The link's name is the text it shows (WCAG 2.5.3, Label in
                    Name): a voice-control user says what they see. */}
                <Link href={`/orders/${o.orderId}`} class="mono" title={`Order ${o.orderId}`}>
                  <span class="sr-only">Order </span>
                  {shortId(o.orderId)}
                </Link>
              </td>
              <td>{formatDate(o.createdAt)}</td>
              <td>
                <StatusBadge status={o.status} />
              </td>
              <td class="num">{o.items.reduce((n, i) => n + i.quantity, 0)}</td>
              <td class="num">{formatMoney(o.totalAmount)}</td>
              {showCustomer && (
                <td>
                  <Link href={`/customers/${o.customerId}`} class="mono">
                    {shortId(o.customerId)}
                  </Link>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
