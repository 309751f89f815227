// The signed-in frame: skip link, header with the navigation and sign-out,
// and the main landmark the screens render into.
import { useState } from "preact/hooks";
import { Link } from "../router.jsx";
import { useAction } from "../hooks.js";
import { signOut } from "../session.js";
import { ActionStatus } from "./Status.jsx";

const NAV = [
  ["/", "Home"],
  ["/orders", "Orders"],
  ["/products", "Products"],
  ["/categories", "Categories"],
  ["/customers", "Customers"],
  ["/shipping", "Shipping"],
  ["/taxes", "Taxes"],
  ["/discount-codes", "Discount codes"],
  ["/webhooks", "Webhooks"],
  ["/outbox", "Outbox"],
];

function isCurrent(href, path) {
  return href === "/" ? path === "/" : path === href || path.startsWith(href + "/");
}

export function Layout({ user, path, children }) {
  const [open, setOpen] = useState(false);
  const out = useAction();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top__bar">
          <Link href="/" class="brand">
            shop <span>admin</span>
          </Link>
          <button
            type="button"
            class="menu-toggle"
            aria-expanded={open ? "true" : "false"}
            aria-controls="nav"
            onClick={() => setOpen(!open)}
          >
            Menu
          </button>
        </div>
        <nav id="nav" class={`nav ${open ? "nav--open" : ""}`} aria-label="Dashboard">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <Link href={href} aria-current={isCurrent(href, path) ? "page" : undefined} onNavigate={() => setOpen(false)}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
          <div class="nav__user">
            <span class="nav__email" title={user.email}>
              {user.email}
            </span>
            <button type="button" class="signout" disabled={out.busy} onClick={() => out.run(signOut)}>
              {out.busy ? "Signing out…" : "Sign out"}
            </button>
            <ActionStatus action={{ ...out, busy: false }} />
          </div>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
