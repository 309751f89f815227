// The admin dashboard's entry: the session decides between the sign-in
// screen and the app; the router picks the screen.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles/app.css";
import { currentUser, restore, subscribe } from "./session.js";
import { match, useRoute } from "./router.jsx";
import { Layout } from "./components/Layout.jsx";
import { LiveRegion, announce, clearStaleAnnouncement } from "./components/Status.jsx";
import { SignIn } from "./screens/SignIn.jsx";
import { Home } from "./screens/Home.jsx";
import { Orders } from "./screens/Orders.jsx";
import { OrderDetail } from "./screens/OrderDetail.jsx";
import { Products } from "./screens/Products.jsx";
import { ProductEdit } from "./screens/ProductEdit.jsx";
import { Categories } from "./screens/Categories.jsx";
import { Customers } from "./screens/Customers.jsx";
import { CustomerDetail } from "./screens/CustomerDetail.jsx";
import { Shipping } from "./screens/Shipping.jsx";
import { Taxes } from "./screens/Taxes.jsx";
import { DiscountCodes } from "./screens/DiscountCodes.jsx";
import { DiscountCodeEdit } from "./screens/DiscountCodeEdit.jsx";
import { Webhooks } from "./screens/Webhooks.jsx";
import { WebhookEdit } from "./screens/WebhookEdit.jsx";
import { WebhookDeliveries } from "./screens/WebhookDeliveries.jsx";
import { Outbox } from "./screens/Outbox.jsx";
import { ResetPassword } from "./public/ResetPassword.jsx";
import { VerifyEmail } from "./public/VerifyEmail.jsx";

const ROUTES = [
  ["/", Home, "Home"],
  ["/orders", Orders, "Orders"],
  ["/orders/:id", OrderDetail, "Order"],
  ["/products", Products, "Products"],
  ["/products/new", ProductEdit, "New product"],
  ["/products/:id", ProductEdit, "Product"],
  ["/categories", Categories, "Categories"],
  ["/customers", Customers, "Customers"],
  ["/customers/:id", CustomerDetail, "Customer"],
  ["/shipping", Shipping, "Shipping"],
  ["/taxes", Taxes, "Taxes"],
  ["/discount-codes", DiscountCodes, "Discount codes"],
  ["/discount-codes/new", DiscountCodeEdit, "New discount code"],
  ["/discount-codes/:id", DiscountCodeEdit, "Discount code"],
  ["/webhooks", Webhooks, "Webhooks"],
  ["/webhooks/:id", WebhookEdit, "Webhook endpoint"],
  ["/webhooks/:id/deliveries", WebhookDeliveries, "Webhook deliveries"],
  ["/outbox", Outbox, "Outbox"],
];

// The pages an email links to, outside /admin and open to anyone: the
// server answers them with this bundle too. They need no session, so the
// page neither restores nor asks for one.
const PUBLIC = {
  "/reset-password": ResetPassword,
  "/verify-email": VerifyEmail,
};

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>The dashboard has no such page.</p>
    </section>
  );
}

function App() {
  const route = useRoute();
  const [user, setUser] = useState(currentUser());
  const [restoring, setRestoring] = useState(true);
  const [notice, setNotice] = useState(null);

  useEffect(() => {
    const off = subscribe((u, reason) => {
      setUser(u);
      if (!u && reason) setNotice({ text: reason, kind: "info" });
    });
    restore()
      .catch((err) => setNotice({ text: err.message, kind: "error" }))
      .finally(() => setRestoring(false));
    return off;
  }, []);

  let screen = null;
  let title = "Not found";
  for (const [pattern, Screen, name] of ROUTES) {
    const params = match(pattern, route.path);
    if (params) {
      screen = <Screen params={params} query={route.params} />;
      title = name;
      break;
    }
  }
  useEffect(() => {
    document.title = user ? `${title} · shop admin` : "Sign in · shop admin";
  }, [title, user]);
  // Focus moves to the new screen's main area, as a page load would.
  useEffect(() => {
    if (user) document.getElementById("main")?.focus({ preventScroll: true });
    clearStaleAnnouncement();
  }, [route.path]);

  let body;
  if (restoring) body = <p class="boot" aria-busy="true">Loading the dashboard…</p>;
  else if (!user) body = <SignIn notice={notice} onSignedIn={() => { setNotice(null); announce("Signed in."); }} />;
  else body = <Layout user={user} path={route.path}>{screen || <NotFound />}</Layout>;
  return (
    <>
      {body}
      <LiveRegion />
    </>
  );
}

function Root() {
  const path = location.pathname.replace(/\/+$/, "");
  const Page = PUBLIC[path];
  if (!Page) return <App />;
  return (
    <>
      <Page token={new URLSearchParams(location.search).get("token") || ""} />
      <LiveRegion />
    </>
  );
}

// The page's "Loading…" line goes: a public page's first element is no
// <p> that Preact would take over, and it would stay below the page.
const root = document.getElementById("app");
root.textContent = "";
render(<Root />, root);
