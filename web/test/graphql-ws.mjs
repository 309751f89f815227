// Drives shop's subscriptions with the real npm graphql-ws client, as an
// app would (run by e2e/subscriptions_node_test.go, which checks what it
// prints: one JSON object). Environment: SHOP_URL (http://host:port),
// ADMIN_TOKEN, CUSTOMER_TOKEN, OTHER_ORDER (an order the customer may not
// read), PRODUCT (a product's id).
import { createClient } from 'graphql-ws';

const base = process.env.SHOP_URL;
const wsURL = base.replace(/^http/, 'ws') + '/graphql';
const deadline = Date.now() + 20000;
const out = {};

function client(token) {
  return createClient({
    url: wsURL,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: 'Bearer ' + token } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

async function post(query, variables) {
  const res = await fetch(base + '/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + process.env.ADMIN_TOKEN },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const setPrice = (price) =>
  post('mutation($p: String!, $price: Float!) { updateProduct(input: {productId: $p, price: $price}) { price } }', { p: process.env.PRODUCT, price });

// productUpdated, as the customer: the subscription is taken once the
// server has it, which no message of the protocol says, so the price moves
// until a payload comes; then one last price, which the next payload
// must carry.
async function productUpdated() {
  const c = client(process.env.CUSTOMER_TOKEN);
  const it = c.iterate({
    query: 'subscription($p: String!) { productUpdated(productId: $p) { productId price } }',
    variables: { p: process.env.PRODUCT },
  });
  let cents = 1000;
  const first = it.next();
  let got;
  while (!got) {
    if (Date.now() > deadline) throw new Error('no productUpdated payload in time');
    cents++;
    await setPrice(cents / 100);
    got = await Promise.race([first, new Promise((r) => setTimeout(() => r(undefined), 200))]);
  }
  await setPrice(99.5);
  let last = got;
  while (last.value.data.productUpdated.price !== 99.5) {
    if (Date.now() > deadline) throw new Error('the last price never came: ' + JSON.stringify(last.value));
    last = await it.next();
  }
  out.productUpdated = last.value.data.productUpdated;
  await it.return();
  await c.dispose();
}

// Another customer's order: refused with an error, as a query would be.
async function refused() {
  const c = client(process.env.CUSTOMER_TOKEN);
  out.refused = await new Promise((resolve) => {
    c.subscribe(
      { query: 'subscription($o: String!) { orderUpdated(orderId: $o) { orderId } }', variables: { o: process.env.OTHER_ORDER } },
      {
        next: (v) => resolve({ next: v }),
        error: (errs) => resolve({ errors: errs }),
        complete: () => resolve({ complete: true }),
      },
    );
  });
  await c.dispose();
}

// A token that is not one: closed with 4401, which graphql-ws does not
// retry (the app refreshes its token and reconnects).
async function badToken() {
  const c = client('not-a-token');
  out.badToken = await new Promise((resolve) => {
    c.subscribe(
      { query: 'subscription { myOrders { orderId } }' },
      { next: () => resolve({ next: true }), error: (e) => resolve({ code: e.code, reason: e.reason }), complete: () => resolve({ complete: true }) },
    );
  });
  await c.dispose();
}

try {
  await productUpdated();
  await refused();
  await badToken();
} catch (e) {
  out.failure = String(e && e.stack ? e.stack : e);
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
