// One order: its lines and products, totals, payment, the event timeline,
// and only the actions its status allows now. An order placed through
// checkout also shows its email, addresses, shipping method, discount code
// and taxes (per line and in all), as they were when it was placed; one
// from createOrder has none of them and shows as before.
import { useState } from "preact/hooks";
import { currentUser, gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { Link } from "../router.jsx";
import { DEFAULT_VARIANT, formatDate, formatMoney, shortId } from "../format.js";
import { fieldErrors } from "../api.js";
import { TextField } from "../components/Field.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";
import { StatusBadge } from "../components/StatusBadge.jsx";
import { ProductImage } from "../components/ProductImage.jsx";
import { TableWrap } from "../components/TableWrap.jsx";

const ADDRESS = "name company line1 line2 city region postalCode country phone";
const TAX_LINE = "title rate amount";
const ORDER = `orderId status totalAmount createdAt lastUpdated customerId carrier trackingNumber
  email subtotal discountTotal shippingTotal taxTotal taxesIncluded discountCode
  shippingAddress { ${ADDRESS} } billingAddress { ${ADDRESS} } shippingMethod { shippingMethodId name price } taxLines { ${TAX_LINE} }
  items { id productId variantId sku title options { name value } quantity priceAtPurchase product { productId name sku imageUrls }
    discountAllocations { code amount } taxLines { ${TAX_LINE} } }
  payment { paymentId provider providerPaymentId status amount currency paidAt refundedAt failureMessage }
  events { status at actor message note }`;

export function OrderDetail({ params }) {
  const state = useAsync(() => gql(`query($id: String!) { getOrderById(orderId: $id) { ${ORDER} } }`, { id: params.id }), [params.id]);
  const order = state.data?.getOrderById;
  const update = (o) => state.setData({ getOrderById: o });
  return (
    <section aria-labelledby="order-title">
      <p class="crumbs">
        <Link href="/orders">← Orders</Link>
      </p>
      <div class="heading">
        <h1 id="order-title">
          Order <span class="mono">{shortId(params.id)}</span>
        </h1>
        {order && <StatusBadge status={order.status} />}
      </div>
      <Loadable state={state} what="the order">
        {state.data && !order && <p class="panel panel--error">No order has the id {params.id}.</p>}
        {order && (
          <div class="detail">
            <div class="detail__main">
              <Lines order={order} />
              <Actions order={order} onChange={update} reload={state.reload} />
            </div>
            <div class="detail__side">
              <Summary order={order} />
              {fromCheckout(order) && <Delivery order={order} />}
              <PaymentPanel payment={order.payment} />
              <Timeline events={order.events} customerId={order.customerId} />
            </div>
          </div>
        )}
      </Loadable>
    </section>
  );
}

function Summary({ order }) {
  return (
    <section class="panel" aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      <dl class="facts">
        <dt>Order id</dt>
        <dd class="mono wrap">{order.orderId}</dd>
        <dt>Customer</dt>
        <dd>
          <Link href={`/customers/${order.customerId}`} class="mono wrap">
            {order.customerId}
          </Link>
        </dd>
        <dt>Placed</dt>
        <dd>{formatDate(order.createdAt)}</dd>
        <dt>Last change</dt>
        <dd>{formatDate(order.lastUpdated)}</dd>
        {order.carrier && (
          <>
            <dt>Carrier</dt>
            <dd>{order.carrier}</dd>
          </>
        )}
        {order.trackingNumber && (
          <>
            <dt>Tracking number</dt>
            <dd class="mono" data-testid="tracking-number">
              {order.trackingNumber}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

const isVariant = (item) => !!item.title && item.title !== DEFAULT_VARIANT;

/**
 * fromCheckout reports whether the order was placed through checkout
 * (createOrder's orders have no email, address, method, code nor taxes).
 */
const fromCheckout = (o) => !!(o.email || o.shippingAddress || o.billingAddress || o.shippingMethod || o.discountCode || o.taxLines.length);

/** cents compares amounts as the server sums them. */
const cents = (v) => Math.round(Number(v) * 100);

/** taxIncluded: the order's taxes were inside its prices (PRICES_INCLUDE_TAX), as the server says. */
const taxIncluded = (o) => o.taxesIncluded === true;

const percent = (rate) => `${rate}%`;

const regionName = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "region" }) : null;
function countryName(code) {
  try {
    return regionName?.of(code) || code;
  } catch {
    return code;
  }
}

/** Address shows an address as it would be written on a parcel. */
function Address({ address: a, testid }) {
  const place = [a.city, a.region, a.postalCode].filter(Boolean).join(" ");
  return (
    <address class="address" data-testid={testid}>
      {[a.name, a.company, a.line1, a.line2, place, countryName(a.country)].filter(Boolean).map((l, i) => (
        <span key={i}>{l}</span>
      ))}
      {a.phone && <span class="muted">{a.phone}</span>}
    </address>
  );
}

function Delivery({ order: o }) {
  return (
    <section class="panel" aria-labelledby="delivery-title">
      <h2 id="delivery-title">Checkout</h2>
      <dl class="facts">
        <dt>Email</dt>
        <dd class="wrap" data-testid="order-email">
          {o.email || <span class="muted">None</span>}
        </dd>
        <dt>Ship to</dt>
        <dd>{o.shippingAddress ? <Address address={o.shippingAddress} testid="shipping-address" /> : <span class="muted">None</span>}</dd>
        <dt>Bill to</dt>
        <dd>{o.billingAddress ? <Address address={o.billingAddress} testid="billing-address" /> : <span class="muted">Not given</span>}</dd>
        <dt>Shipping</dt>
        <dd data-testid="shipping-method">
          {o.shippingMethod ? (
            <>
              {o.shippingMethod.name}, {formatMoney(o.shippingMethod.price)}
              {cents(o.shippingTotal) !== cents(o.shippingMethod.price) && <span class="muted"> (charged {formatMoney(o.shippingTotal)})</span>}
            </>
          ) : (
            <span class="muted">None</span>
          )}
        </dd>
        <dt>Discount code</dt>
        <dd data-testid="order-discount-code">
          {o.discountCode ? (
            <>
              <span class="mono">{o.discountCode}</span>, −{formatMoney(o.discountTotal)}
            </>
          ) : (
            <span class="muted">None</span>
          )}
        </dd>
      </dl>
    </section>
  );
}

/** LineAdjustments are a line's discounts and taxes, under its name. */
function LineAdjustments({ item, included }) {
  if (!item.discountAllocations.length && !item.taxLines.length) return null;
  return (
    <ul class="line-adjust" data-testid="line-adjustments">
      {item.discountAllocations.map((d, i) => (
        <li key={`d${i}`}>
          Discount <span class="mono">{d.code}</span>: −{formatMoney(d.amount)}
        </li>
      ))}
      {item.taxLines.map((t, i) => (
        <li key={`t${i}`}>
          {t.title} ({percent(t.rate)}): {formatMoney(t.amount)}
          {included && " included"}
        </li>
      ))}
    </ul>
  );
}

/** CheckoutTotals are the footer rows of a checkout's order, down to its total. */
function CheckoutTotals({ order: o }) {
  const included = taxIncluded(o);
  const row = (label, amount, testid) => (
    <tr class="totals-row" data-testid={testid}>
      <th scope="row" colSpan={2}>
        {label}
      </th>
      <td class="hide-narrow" />
      <td class="num">{amount}</td>
    </tr>
  );
  return (
    <>
      {row("Subtotal", formatMoney(o.subtotal), "order-subtotal")}
      {(o.discountCode || o.discountTotal > 0) &&
        row(
          <>
            Discount{o.discountCode && <span class="mono"> {o.discountCode}</span>}
          </>,
          `−${formatMoney(o.discountTotal)}`,
          "order-discount",
        )}
      {o.shippingMethod && row(`Shipping: ${o.shippingMethod.name}`, formatMoney(o.shippingTotal), "order-shipping")}
      {o.taxLines.map((t, i) => (
        <tr key={i} class="totals-row" data-testid="order-tax-line">
          <th scope="row" colSpan={2}>
            {t.title} ({percent(t.rate)}){included && ", included"}
          </th>
          <td class="hide-narrow" />
          <td class="num">{formatMoney(t.amount)}</td>
        </tr>
      ))}
    </>
  );
}

function Lines({ order }) {
  const checkout = fromCheckout(order);
  const included = checkout && taxIncluded(order);
  return (
    <section class="panel" aria-labelledby="lines-title">
      <h2 id="lines-title">Lines</h2>
      <TableWrap label="Lines (scrolls sideways)">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col" class="num">
                Qty
              </th>
              <th scope="col" class="num hide-narrow">
                Unit price
              </th>
              <th scope="col" class="num">
                Line total
              </th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((i) => (
              <tr key={i.id}>
                <td>
                  <div class="product-cell">
                    <ProductImage urls={i.product?.imageUrls} />
                    <span data-testid="line-name">
                      {i.product ? (
                        <Link href={`/products/${i.productId}`}>{i.product.name}</Link>
                      ) : (
                        <span class="muted">
                          Deleted product <span class="mono">{shortId(i.productId)}</span>
                        </span>
                      )}
                      {/* The variant as it was bought (a snapshot: renaming
                          or deleting it later changes nothing here); a
                          product without options shows as before variants. */}
                      {isVariant(i) ? (
                        <>
                          {` — ${i.title}`}
                          {i.sku && <span class="muted mono"> ({i.sku})</span>}
                        </>
                      ) : (
                        (i.sku || i.product?.sku) && <span class="muted mono"> · {i.sku || i.product.sku}</span>
                      )}
                    </span>
                  </div>
                  <LineAdjustments item={i} included={included} />
                </td>
                <td class="num">
                  {i.quantity}
                  <span class="show-narrow muted"> × {formatMoney(i.priceAtPurchase)}</span>
                </td>
                <td class="num hide-narrow">{formatMoney(i.priceAtPurchase)}</td>
                <td class="num">{formatMoney(Math.round(i.priceAtPurchase * 100 * i.quantity) / 100)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {checkout && <CheckoutTotals order={order} />}
            <tr>
              <th scope="row" colSpan={2}>
                Total
              </th>
              <td class="hide-narrow" />
              <td class="num total">{formatMoney(order.totalAmount)}</td>
            </tr>
          </tfoot>
        </table>
      </TableWrap>
    </section>
  );
}

function PaymentPanel({ payment }) {
  return (
    <section class="panel" aria-labelledby="payment-title">
      <h2 id="payment-title">Payment</h2>
      {!payment ? (
        <p class="muted">No payment started yet.</p>
      ) : (
        <dl class="facts">
          <dt>Status</dt>
          <dd data-testid="payment-status">{payment.status}</dd>
          <dt>Amount</dt>
          <dd>
            {formatMoney(payment.amount)} {payment.currency}
          </dd>
          <dt>Provider</dt>
          <dd>
            {payment.provider} <span class="mono muted wrap">{payment.providerPaymentId}</span>
          </dd>
          {payment.paidAt && (
            <>
              <dt>Paid</dt>
              <dd>{formatDate(payment.paidAt)}</dd>
            </>
          )}
          {payment.refundedAt && (
            <>
              <dt>Refunded</dt>
              <dd>{formatDate(payment.refundedAt)}</dd>
            </>
          )}
          {payment.failureMessage && (
            <>
              <dt>Last failure</dt>
              <dd>{payment.failureMessage}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function actorName(actor, customerId) {
  if (actor === "system") return "the shop";
  if (actor === currentUser()?.id) return "you";
  if (actor === customerId) return "the customer";
  return <span class="mono">{shortId(actor)}</span>;
}

function Timeline({ events, customerId }) {
  return (
    <section class="panel" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <ol class="timeline" id="timeline">
        {events.map((e, i) => (
          <li key={i}>
            <StatusBadge status={e.status} />
            <span class="timeline__at">{formatDate(e.at)}</span>
            <span class="timeline__actor muted">by {actorName(e.actor, customerId)}</span>
            {e.message && (
              <span class="timeline__note">
                <span class="sr-only">Told the customer: </span>“{e.message}”
              </span>
            )}
            {e.note && (
              <span class="timeline__note timeline__note--internal">
                <span class="timeline__label">Internal note:</span> {e.note}
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

// Actions the lifecycle allows now: pending → paid | cancelled,
// paid → shipped | cancelled (refunding it), shipped → delivered.
function Actions({ order, onChange, reload }) {
  const s = order.status;
  if (s === "delivered" || s === "cancelled") {
    return (
      <section class="panel" aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <p class="muted">A {s} order has no further steps.</p>
      </section>
    );
  }
  const local = !order.payment || order.payment.provider === "local";
  return (
    <section class="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {s === "pending" && local && <MarkPaid order={order} onChange={onChange} reload={reload} />}
      {s === "paid" && <Ship order={order} onChange={onChange} />}
      {s === "shipped" && <Deliver order={order} onChange={onChange} />}
      {(s === "pending" || s === "paid") && <Cancel order={order} onChange={onChange} />}
    </section>
  );
}

const UPDATE = `mutation($id: String!, $status: String!, $carrier: String, $tracking: String, $note: String) {
  updateOrderStatus(orderId: $id, status: $status, carrier: $carrier, trackingNumber: $tracking, note: $note) { ${ORDER} }
}`;

function MarkPaid({ order, onChange, reload }) {
  const action = useAction();
  const pay = () =>
    action.run(async () => {
      const { createPayment: p } = await gql("mutation($id: String!) { createPayment(orderId: $id) { paymentId provider } }", {
        id: order.orderId,
      });
      if (p.provider !== "local") {
        reload();
        throw new Error(`This server takes payments through ${p.provider}: the customer pays with the provider, and the order turns paid when its webhook arrives.`);
      }
      const d = await gql(`mutation($p: String!) { confirmLocalPayment(paymentId: $p) { ${ORDER} } }`, { p: p.paymentId });
      onChange(d.confirmLocalPayment);
      return d.confirmLocalPayment;
    }, (o) => `Payment recorded: the order is ${o.status}.`);
  return (
    <div class="action">
      <p class="muted">
        With the local payment provider (the embedded default) no money moves: this records the customer's payment as if the provider had
        confirmed it.
      </p>
      <button type="button" class="primary" onClick={pay} disabled={action.busy}>
        {action.busy ? "Recording payment…" : "Mark paid (local provider)"}
      </button>
      <ActionStatus action={action} busyText="" />
    </div>
  );
}

function Ship({ order, onChange }) {
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const [note, setNote] = useState("");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql(UPDATE, { id: order.orderId, status: "shipped", carrier, tracking, note: note || null });
      onChange(d.updateOrderStatus);
    }, "Marked shipped.");
  };
  return (
    <form class="action action--form" onSubmit={submit} noValidate aria-labelledby="ship-title">
      <h3 id="ship-title">Ship</h3>
      <div class="row">
        <TextField label="Carrier" value={carrier} onInput={setCarrier} maxLength={100} error={errs.carrier} autocomplete="off" />
        <TextField
          label="Tracking number"
          value={tracking}
          onInput={setTracking}
          maxLength={100}
          error={errs.trackingNumber}
          autocomplete="off"
        />
      </div>
      <TextField
        label="Note (optional)"
        hint="Internal: only admins read it."
        value={note}
        onInput={setNote}
        maxLength={500}
        error={errs.note}
      />
      <button type="submit" class="primary" disabled={action.busy}>
        {action.busy ? "Marking shipped…" : "Mark shipped"}
      </button>
      <ActionStatus action={action} busyText="" />
    </form>
  );
}

function Deliver({ order, onChange }) {
  const action = useAction();
  return (
    <div class="action">
      <button
        type="button"
        class="primary"
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            const d = await gql(UPDATE, { id: order.orderId, status: "delivered" });
            onChange(d.updateOrderStatus);
          }, "Marked delivered.")
        }
      >
        {action.busy ? "Marking delivered…" : "Mark delivered"}
      </button>
      <ActionStatus action={action} busyText="" />
    </div>
  );
}

function Cancel({ order, onChange }) {
  const [reason, setReason] = useState("");
  const action = useAction();
  const errs = fieldErrors(action.error);
  // A paid order's cancellation refunds its payment first (payments
  // service); the label says so.
  const refunds = order.status === "paid";
  const label = refunds ? "Cancel and refund" : "Cancel order";
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql(`mutation($id: String!, $r: String) { cancelOrder(orderId: $id, reason: $r) { ${ORDER} } }`, {
        id: order.orderId,
        r: reason.trim() || null,
      });
      onChange(d.cancelOrder);
    }, refunds ? "Order cancelled and refunded; its stock is back." : "Order cancelled; its stock is back.");
  };
  return (
    <form class="action action--form action--danger" onSubmit={submit} noValidate aria-labelledby="cancel-title">
      <h3 id="cancel-title">{label}</h3>
      {refunds && <p class="muted">The payment of {formatMoney(order.totalAmount)} is refunded first; the stock goes back.</p>}
      <TextField
        label="Reason"
        hint="The customer reads it."
        value={reason}
        onInput={setReason}
        maxLength={500}
        error={errs.reason}
      />
      <button type="submit" class="danger" disabled={action.busy}>
        {action.busy ? (refunds ? "Cancelling and refunding…" : "Cancelling…") : label}
      </button>
      <ActionStatus action={action} busyText="" />
    </form>
  );
}
