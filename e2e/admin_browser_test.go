package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestAdminDashboardInBrowser runs a shop owner's day in the admin
// dashboard, in headless Chromium against the real server: the sign-in
// screen refuses no token and a customer's session; the admin signs in,
// creates a product, corrects its stock in the row and sees the API's
// message for a bad price; a customer's orders show on Home and in Orders;
// the admin takes the payment (local provider), ships with a tracking
// number, cancels another order and sees its stock return, filters low
// stock, reads a customer's orders, stays signed in across a reload and
// signs out. Every screen passes axe-core (no serious or critical
// violation) and is photographed at 375 and 1280 px; no request leaves the
// origin and the console stays clean.
func TestAdminDashboardInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)

	// The catalog the day starts with: a category, a product running low
	// and one sold out.
	var cat struct{ CreateCategory struct{ ID string } }
	admin.MustData(t, `mutation { createCategory(name: "Kitchen") { id } }`, nil, &cat)
	lowID := mustProduct(t, admin, map[string]any{"name": "Brass Lamp", "price": 30.0, "stockCount": 3, "sku": "LAMP-1"})
	outID := mustProduct(t, admin, map[string]any{"name": "Glass Vase", "price": 12.5, "stockCount": 0})
	cust, custSession := in.MustCustomer(t)

	ctx, console := startBrowser(t, 4*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()

	// No token: the sign-in screen, and nothing but the session check.
	p.open("/admin/")
	p.waitText("Sign in with the shop's admin account")
	p.checkScreen("signin")
	p.mustOnlySessionCalls("no token")

	// A customer's session in the cookie: refused, and ended.
	cookie := mustCookieLogin(t, in, custSession.User.Email, testCustomerPassword)
	p.setSessionCookie(cookie)
	p.open("/admin/orders")
	p.waitText("This is a customer account")
	p.mustNotSee("Orders to ship", "Brass Lamp")
	p.mustOnlySessionCalls("customer cookie")
	if code := cookieRefreshCode(t, in, cookie); code != "UNAUTHENTICATED" {
		t.Errorf("the customer's cookie session still works after the dashboard refused it (refresh answered %q)", code)
	}

	// A customer signing in through the form: refused, nothing shown.
	p.open("/admin/")
	p.waitText("Sign in with the shop's admin account")
	p.typeInto("Email", custSession.User.Email)
	p.typeInto("Password", testCustomerPassword)
	p.click("Sign in")
	p.waitText("This is a customer account")
	p.mustNotSee("Orders to ship", "Brass Lamp")
	p.mustOnlySessionCalls("customer sign-in")
	p.open("/admin/")
	p.waitText("Sign in with the shop's admin account")
	p.mustNotSee("This is a customer account", "Orders to ship")

	// The admin signs in.
	p.typeInto("Email", testAdminEmail)
	p.typeInto("Password", testAdminPassword)
	p.click("Sign in")
	p.waitText("Needs attention")
	p.checkScreen("home-empty")

	// Create a product through the form.
	p.clickLink("Products")
	p.waitText("New product")
	p.waitText("Brass Lamp")
	p.checkScreen("products")
	p.clickLink("New product")
	p.waitJS(`!!H.field("Name")`, "the product form")
	p.set("Name", "Copper Kettle")
	p.set("SKU", "KET-1")
	p.set("Description", "Whistles when the water boils.")
	p.set("Price (USD)", "24.50")
	p.set("Stock", "10")
	p.waitJS(`[...H.field("Category").options].some(o => o.textContent === "Kitchen")`, "the category options")
	p.set("Category", cat.CreateCategory.ID)
	p.click("Create product")
	p.waitJS(`/^\/admin\/products\/[0-9a-f-]{36}$/.test(location.pathname)`, "the new product's page")
	kettle := strings.TrimPrefix(p.eval(`location.pathname`), "/admin/products/")
	p.waitJS(`document.querySelector('[data-testid="stock-now"]')?.textContent === "10"`, "the stock of 10")
	p.waitText("initial")
	p.checkScreen("product")
	if got := in.MustStock(t, kettle); got != 10 {
		t.Fatalf("the created product has stock %d, want 10", got)
	}

	// Stock corrected in the row, with a reason; a bad price refused with
	// the API's message beside the field.
	p.clickLink("← Products")
	p.set("Search", "kettle")
	row := fmt.Sprintf(`document.querySelector('tr[data-product-id="%s"]')`, kettle)
	p.waitJS(row+` && !document.querySelector('tr[data-product-id="`+lowID+`"]')`, "the search for kettle")
	p.set("Stock of Copper Kettle", "12")
	p.set("Reason for the stock change of Copper Kettle", "Recount after delivery")
	p.clickIn(row, "Apply")
	p.waitText("Stock of Copper Kettle is now 12.")
	if got := in.MustStock(t, kettle); got != 12 {
		t.Fatalf("stock after the inline change: %d, want 12", got)
	}
	p.set("Price of Copper Kettle", "-5")
	p.clickIn(row, "Save")
	p.waitJS(row+`.querySelector('.field__error')?.textContent.includes("must not be negative")`, "the price's error beside the field")
	p.waitJS(`H.field("Price of Copper Kettle").getAttribute("aria-invalid") === "true"`, "the price marked invalid")
	p.checkScreen("products-inline-error")
	var price struct{ GetProductsById struct{ Price float64 } }
	in.MustData(t, `query($id: String!) { getProductsById(id: $id) { price } }`, map[string]any{"id": kettle}, &price)
	if price.GetProductsById.Price != 24.5 {
		t.Fatalf("the bad price changed the product: %v", price.GetProductsById.Price)
	}

	// A customer orders through the API: 2 kettles (to pay and ship) and
	// 3 (to cancel).
	paid := mustOrder(t, cust, kettle, 2)
	cancelled := mustOrder(t, cust, kettle, 3)
	if got := in.MustStock(t, kettle); got != 7 {
		t.Fatalf("stock after the orders: %d, want 7", got)
	}

	// Home counts them; the count opens the filtered list.
	p.clickLink("Home")
	p.waitJS(`document.getElementById("count-awaiting")?.querySelector(".card__value")?.textContent === "2"`, "2 orders awaiting payment on Home")
	p.waitJS(`document.getElementById("count-low-stock")?.querySelector(".card__value")?.textContent === "1"`, "1 product low on stock")
	p.waitJS(`document.getElementById("count-out-of-stock")?.querySelector(".card__value")?.textContent === "1"`, "1 product out of stock")
	p.checkScreen("home")
	p.clickJS(`document.getElementById("count-awaiting")`)
	p.waitJS(`location.search === "?status=pending" && !!document.querySelector('tr[data-order-id="`+paid.OrderID+`"]') && !!document.querySelector('tr[data-order-id="`+cancelled.OrderID+`"]')`, "both pending orders listed")
	p.waitJS(`document.querySelector('.tabs [aria-current="page"]')?.textContent === "Pending"`, "the Pending tab selected")
	// Newest first.
	p.waitJS(`document.querySelector('tbody tr')?.dataset.orderId === "`+cancelled.OrderID+`"`, "the newest order first")
	p.checkScreen("orders")

	// Search by customer email, then by order id.
	p.set("Search by order id or customer email", strings.SplitN(custSession.User.Email, "@", 2)[0])
	p.waitJS(`location.search.includes("q=customer-") && document.querySelectorAll('tbody tr').length === 2`, "the search by customer email")
	p.set("Search by order id or customer email", paid.OrderID)
	p.waitJS(`document.querySelectorAll('tbody tr').length === 1 && !!document.querySelector('tr[data-order-id="`+paid.OrderID+`"]')`, "the search by order id")

	// Pay (local provider), then ship with a tracking number.
	p.clickJS(`document.querySelector('tr[data-order-id="` + paid.OrderID + `"] a')`)
	p.waitText("Mark paid (local provider)")
	p.mustNotSee("Mark shipped", "Mark delivered", "Cancel and refund")
	p.checkScreen("order-pending")
	p.click("Mark paid (local provider)")
	p.waitText("Payment recorded: the order is paid.")
	p.waitJS(`document.querySelector('[data-testid="payment-status"]')?.textContent === "succeeded"`, "the payment succeeded")
	p.waitText("Cancel and refund")
	p.mustNotSee("Mark paid (local provider)", "Mark delivered")
	p.set("Carrier", "DHL")
	p.set("Tracking number", "TRACK-12345")
	// One long word (a link) must wrap, not widen the page (checkScreen).
	p.set("Note (optional)", trackingLink)
	p.click("Mark shipped")
	p.waitText("Marked shipped.")
	p.waitJS(`document.querySelector('[data-testid="tracking-number"]')?.textContent === "TRACK-12345"`, "the tracking number")
	p.waitJS(`[...document.querySelectorAll('#timeline .badge')].map(b => b.textContent).join(",") === "pending,paid,shipped"`, "the timeline pending, paid, shipped")
	p.waitText("Mark delivered")
	p.waitText(trackingLink)
	p.waitJS(`document.querySelector('#timeline .timeline__note--internal')?.textContent.startsWith("Internal note:")`, "the shipment's note shown as internal")
	p.mustNotSee("Cancel and refund", "Mark shipped")
	p.checkScreen("order-shipped")
	var shipped struct {
		GetOrderById struct{ Status, TrackingNumber, Carrier string }
	}
	admin.MustData(t, `query($id: String!) { getOrderById(orderId: $id) { status trackingNumber carrier } }`, map[string]any{"id": paid.OrderID}, &shipped)
	if g := shipped.GetOrderById; g.Status != "shipped" || g.TrackingNumber != "TRACK-12345" || g.Carrier != "DHL" {
		t.Fatalf("the order after shipping: %+v", g)
	}

	// Cancel the other order: its 3 kettles return.
	p.open("/admin/orders/" + cancelled.OrderID)
	p.waitText("Cancel order")
	p.set("Reason", "Customer changed their mind")
	p.click("Cancel order")
	p.waitText("Order cancelled; its stock is back.")
	p.waitJS(`[...document.querySelectorAll('#timeline .badge')].map(b => b.textContent).join(",") === "pending,cancelled"`, "the cancellation in the timeline")
	p.waitText("Customer changed their mind")
	p.waitText("A cancelled order has no further steps.")
	if got := in.MustStock(t, kettle); got != 10 {
		t.Fatalf("stock after the cancellation: %d, want 10", got)
	}
	p.clickLink("Copper Kettle")
	p.waitJS(`document.querySelector('[data-testid="stock-now"]')?.textContent === "10"`, "the kettle's stock back to 10")
	p.waitJS(`[...document.querySelectorAll('#ledger tbody tr')].map(r => r.cells[1].textContent).join(",") === "initial,adjustment,order,order,cancellation"`, "the ledger's movements")
	p.waitText("Recount after delivery")

	// Home: the paid order is today's sales.
	p.clickLink("Home")
	p.waitJS(`document.querySelector('[data-testid="today-revenue"]')?.textContent === "$49.00"`, "today's revenue of $49.00")
	p.waitJS(`!!document.querySelector('.chart .uplot canvas')`, "the sales chart")
	p.checkScreen("home-sales")

	// The low-stock filter, from Home's count.
	p.clickJS(`document.getElementById("count-low-stock")`)
	p.waitJS(`location.search === "?stock=low" && !!document.querySelector('tr[data-product-id="`+lowID+`"]')`, "the low-stock list")
	p.waitJS(`!document.querySelector('tr[data-product-id="`+kettle+`"]') && !document.querySelector('tr[data-product-id="`+outID+`"]')`, "only low stock listed")
	p.waitJS(`H.field("Stock").value === "low"`, "the stock filter set to low")
	p.checkScreen("products-low-stock")
	p.set("Stock", "out")
	p.waitJS(`!!document.querySelector('tr[data-product-id="`+outID+`"]') && !document.querySelector('tr[data-product-id="`+lowID+`"]')`, "the out-of-stock list")

	// Categories.
	p.clickLink("Categories")
	p.waitJS(`!!document.querySelector('li[data-category="Kitchen"]')`, "the category tree")
	p.set("Name", "Teapots")
	p.set("Parent", cat.CreateCategory.ID)
	p.click("Create category")
	p.waitText("Created Teapots.")
	p.waitJS(`document.querySelector('li[data-category="Teapots"]')?.classList.contains("depth-1")`, "Teapots under Kitchen")
	p.checkScreen("categories")
	// Escape backs out of a deletion's question, focus back on its button;
	// a category with products can't go, and the page says why.
	kitchen := `document.querySelector('li[data-category="Kitchen"]')`
	p.clickIn(kitchen, "Delete")
	p.waitJS(`document.activeElement?.textContent.trim() === "Yes, delete"`, "the question's answer focused")
	if err := chromedp.Do(p.ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		p.fail("press Escape: %v", err)
	}
	p.waitJS(`!`+kitchen+`.querySelector(".confirm") && document.activeElement?.textContent.trim() === "Delete"`, "Escape backing out, focus on Delete")
	p.clickIn(kitchen, "Delete")
	p.clickIn(kitchen, "Yes, delete")
	p.waitJS(kitchen+`.innerText.includes("still has products or subcategories")`, "the refusal beside the category")

	// A customer's orders.
	p.clickLink("Customers")
	p.waitJS(`!!document.querySelector('tr[data-customer="`+custSession.User.Email+`"]')`, "the customer in the list")
	p.waitJS(`document.querySelector('tr[data-customer="`+custSession.User.Email+`"]').cells[1].textContent === "2"`, "the customer's 2 orders")
	p.waitJS(`document.querySelector('tr[data-customer="`+custSession.User.Email+`"]').cells[2].textContent === "$49.00"`, "the customer's $49.00 spent")
	p.checkScreen("customers")
	p.clickJS(`document.querySelector('tr[data-customer="` + custSession.User.Email + `"] a')`)
	p.waitJS(`!!document.querySelector('tr[data-order-id="`+paid.OrderID+`"]') && !!document.querySelector('tr[data-order-id="`+cancelled.OrderID+`"]') && document.querySelectorAll('tbody tr').length === 2`, "the customer's orders")
	p.checkScreen("customer")

	// A reload keeps the session (the cookie), without the page ever
	// holding the refresh token.
	listed := p.requestsHolding("orders(")
	p.open("/admin/orders?status=shipped")
	p.waitJS(`!!document.querySelector('tr[data-order-id="`+paid.OrderID+`"]')`, "the shipped order after a reload")
	// The list is read again when its live updates start (docs/admin.md):
	// that read is sent before the tokens expire below.
	p.waitJS(`document.querySelector('[data-testid="live-state"]')?.dataset.state === "live"`, "the orders' live updates")
	p.waitFor(func() bool { return p.requestsHolding("orders(") >= listed+2 }, "the list read again once live")
	if got := p.eval(`document.cookie`); got != "" {
		t.Errorf("page scripts can read cookies: %q", got)
	}

	// Sign out, after the access token has expired (a laptop that slept,
	// its refresh timer asleep too): every token the page sends from now
	// on is refused. Signing out needs only the cookie, and must end it:
	// the sign-in screen, also after a reload.
	p.eval(`(() => {
		const f = window.fetch;
		window.fetch = (url, init = {}) => {
			const headers = { ...(init.headers || {}) };
			if (headers.Authorization) headers.Authorization = "Bearer expired";
			return f(url, { ...init, headers });
		};
	})()`)
	p.click("Sign out")
	p.waitText("You are signed out.")
	p.waitText("Sign in with the shop's admin account")
	p.open("/admin/orders")
	p.waitText("Sign in with the shop's admin account")
	p.mustNotSee("TRACK-12345", "Copper Kettle")

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// TestAdminDashboardVariantsInBrowser sells a T-shirt in sizes and colours
// through the dashboard (issue 19), in headless Chromium against the real
// server: the admin creates the product, gives it options Size [S, M] and
// Colour [Red, Blue] (adding, moving and removing values on the way), has
// the missing combinations generated, edits a variant's price and SKU in
// its row, sees the API's messages beside the fields they name (a negative
// price, a SKU another variant has), changes a variant's stock with a
// reason, deletes a variant and adds it back; Home counts the variant low
// on stock and the low-stock list shows it; an order's lines show the
// variant bought, as it was then. Every screen passes axe-core at 375 and
// 1280 px.
func TestAdminDashboardVariantsInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	mug := mustProduct(t, admin, map[string]any{"name": "Plain Mug", "price": 8.0, "stockCount": 50, "sku": "MUG-1"})
	cust, _ := in.MustCustomer(t)

	ctx, console := startBrowser(t, 4*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()
	p.signIn()

	// The product, created as any other: one variant from its price and stock.
	p.clickLink("Products")
	p.clickLink("New product")
	p.waitJS(`!!H.field("Name")`, "the product form")
	p.set("Name", "T-shirt")
	p.set("Price (USD)", "15")
	p.set("Stock", "20")
	p.click("Create product")
	p.waitJS(`/^\/admin\/products\/[0-9a-f-]{36}$/.test(location.pathname)`, "the new product's page")
	tee := strings.TrimPrefix(p.eval(`location.pathname`), "/admin/products/")
	p.waitText("No options: the product sells as one variant.")
	p.waitJS(`variantTitles() === "Default"`, "the one variant, Default")

	// Its options: values added, one moved down and removed before saving.
	p.click("Add option")
	p.set("Option 1 name", "Size")
	for _, v := range []string{"S", "XL", "M"} {
		p.set("New value for option 1", v)
		p.clickIn(optionBox(0), "Add value")
	}
	p.waitJS(`optionValues(0) === "S,XL,M"`, "Size's values S, XL, M")
	p.clickJS(`document.querySelector('[aria-label="Move XL down"]')`)
	p.waitJS(`optionValues(0) === "S,M,XL"`, "XL moved down")
	p.clickJS(`document.querySelector('[aria-label="Remove XL from Size"]')`)
	p.waitJS(`optionValues(0) === "S,M"`, "XL removed")
	p.click("Add option")
	p.set("Option 2 name", "Colour")
	p.set("New value for option 2", "Red")
	p.clickIn(optionBox(1), "Add value")
	// Typed but not added: saved all the same.
	p.set("New value for option 2", "Blue")
	p.checkScreen("product-options")
	p.click("Save options")
	p.waitText("Saved the options.")
	p.waitJS(`optionValues(1) === "Red,Blue"`, "Colour's values Red, Blue")
	// The product's one variant took the first values.
	p.waitJS(`variantTitles() === "S / Red"`, "the variant S / Red")
	var saved struct {
		GetProductsById struct {
			Options []struct {
				Name   string
				Values []string
			}
		}
	}
	admin.MustData(t, `query($id: String!) { getProductsById(id: $id) { options { name values } } }`, map[string]any{"id": tee}, &saved)
	if got := fmt.Sprint(saved.GetProductsById.Options); got != "[{Size [S M]} {Colour [Red Blue]}]" {
		t.Fatalf("the saved options: %s", got)
	}

	// The other three combinations, generated.
	p.waitText("3 combinations of the options have no variant yet")
	p.set("Price of new variants (USD)", "18")
	p.set("Stock of new variants", "10")
	p.click("Generate variants")
	p.waitText("Created 3 variants.")
	p.waitJS(`variantTitles() === "M / Blue,M / Red,S / Blue,S / Red"`, "the 4 variants")
	p.waitText("Every combination of the options has a variant.")
	p.checkScreen("product-variants")
	ids := variantIDs(t, admin, tee)
	if len(ids) != 4 {
		t.Fatalf("the product has variants %v, want 4", ids)
	}

	// A variant's price and SKU, edited in its row.
	mRed := variantRow("M / Red")
	p.set("Price of M / Red", "19.50")
	p.set("SKU of M / Red", "TEE-M-RED")
	p.clickIn(mRed, "Save")
	p.waitText("Saved M / Red.")
	p.waitJS(`H.field("Price of M / Red").value === "19.5" && H.field("SKU of M / Red").value === "TEE-M-RED"`, "the row showing what was saved")
	if v := mustVariant(t, admin, ids["M / Red"]); v.Price != 19.5 || v.SKU == nil || *v.SKU != "TEE-M-RED" {
		t.Fatalf("M / Red after its row was saved: %+v", v)
	}

	// The API's messages beside the fields they name: a negative price,
	// then a SKU M / Red has (whatever its case).
	mBlue := variantRow("M / Blue")
	p.set("Price of M / Blue", "-1")
	p.clickIn(mBlue, "Save")
	p.waitJS(`fieldError("Price of M / Blue").includes("must not be negative")`, "the price's error beside it")
	p.waitJS(`H.field("Price of M / Blue").getAttribute("aria-invalid") === "true" && !H.field("SKU of M / Blue").getAttribute("aria-invalid")`, "only the price marked invalid")
	p.set("Price of M / Blue", "18")
	p.waitJS(`fieldError("Price of M / Blue") === "" && !H.field("Price of M / Blue").getAttribute("aria-invalid")`, "the price's error gone once it is edited")
	p.set("SKU of M / Blue", "tee-m-red")
	p.clickIn(mBlue, "Save")
	p.waitJS(`fieldError("SKU of M / Blue") !== "" && H.field("SKU of M / Blue").getAttribute("aria-invalid") === "true"`, "the taken SKU's error beside it")
	p.waitJS(`!H.field("Price of M / Blue").getAttribute("aria-invalid")`, "the price not marked")
	p.checkScreen("product-variant-error")
	if v := mustVariant(t, admin, ids["M / Blue"]); v.Price != 18 || v.SKU != nil {
		t.Fatalf("M / Blue changed though its row was refused: %+v", v)
	}
	p.set("SKU of M / Blue", "")

	// A variant's stock, changed in its row with a reason: adjustStock,
	// in the ledger.
	sBlue := variantRow("S / Blue")
	p.set("Stock of S / Blue", "3")
	p.set("Reason for the stock change of S / Blue", "Two damaged in the wash")
	p.clickIn(sBlue, "Save")
	p.waitText("Saved S / Blue.")
	p.waitText("Two damaged in the wash")
	if v := mustVariant(t, admin, ids["S / Blue"]); v.StockCount != 3 {
		t.Fatalf("S / Blue's stock after its row was saved: %d, want 3", v.StockCount)
	}
	p.waitJS(`document.querySelector('[data-testid="stock-now"]')?.textContent === "43"`, "the product's stock, the sum 20 + 3 + 10 + 10")

	// One variant deleted, and added back on its own.
	p.clickIn(mBlue, "Delete")
	p.clickIn(mBlue, "Yes, delete it")
	p.waitText("Deleted M / Blue.")
	p.waitJS(`variantTitles() === "M / Red,S / Blue,S / Red"`, "3 variants left")
	p.waitJS(`H.field("Size of the new variant")?.value === "M" && H.field("Colour of the new variant")?.value === "Blue"`, "the missing combination proposed")
	p.set("SKU of the new variant", "TEE-M-BLUE")
	p.set("Price of the new variant (USD)", "18")
	p.set("Stock of the new variant", "10")
	p.click("Add variant")
	p.waitText("Added M / Blue.")
	p.waitJS(`variantTitles() === "M / Blue,M / Red,S / Blue,S / Red"`, "M / Blue back")
	ids = variantIDs(t, admin, tee)

	// A customer buys two M / Red and a mug (a product without options).
	var order struct{ CreateOrder adminOrder }
	cust.MustData(t, `mutation($items: [OrderItemInput!]!) { createOrder(input: {items: $items}) { orderId totalAmount } }`, map[string]any{"items": []map[string]any{
		{"productId": tee, "variantId": ids["M / Red"], "quantity": 2},
		{"productId": mug, "quantity": 1},
	}}, &order)
	if order.CreateOrder.TotalAmount != 47 {
		t.Fatalf("the order's total: %v, want 47 (2 × 19.50 + 8)", order.CreateOrder.TotalAmount)
	}

	// Home counts the variant low on stock (S / Blue, 3); the count opens
	// the list of variants, which leads to the product.
	p.clickLink("Home")
	p.waitJS(`document.getElementById("count-low-stock")?.querySelector(".card__value")?.textContent === "1"`, "1 variant low on stock")
	p.checkScreen("home-variants")
	p.clickJS(`document.getElementById("count-low-stock")`)
	lowRow := `document.querySelector('#low-stock tr[data-variant-id="` + ids["S / Blue"] + `"]')`
	p.waitJS(`location.search === "?stock=low" && !!`+lowRow+` && document.querySelectorAll("#low-stock tbody tr").length === 1`, "S / Blue, alone, in the low-stock list")
	p.waitJS(lowRow+`.querySelector("a")?.textContent === "T-shirt — S / Blue" && `+lowRow+`.cells[3].textContent === "3"`, "the variant's name and stock in the list")
	p.checkScreen("products-low-stock-variants")
	p.clickLink("T-shirt — S / Blue")
	p.waitJS(`location.pathname === "/admin/products/`+tee+`" && variantTitles() !== ""`, "the T-shirt's page from the list")

	// The order's lines: the variant as bought, even after its SKU changed.
	admin.MustData(t, `mutation($id: String!) { updateVariant(variantId: $id, input: {sku: "TEE-M-RED-2"}) { variantId } }`, map[string]any{"id": ids["M / Red"]}, &struct{}{})
	p.open("/admin/orders/" + order.CreateOrder.OrderID)
	p.waitJS(`lineNames() === "Plain Mug · MUG-1|T-shirt — M / Red (TEE-M-RED)"`, "the lines T-shirt — M / Red (TEE-M-RED) and Plain Mug · MUG-1")
	p.checkScreen("order-variants")

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// signIn signs the admin in through the form and waits for Home.
func (p *adminPage) signIn() {
	p.t.Helper()
	p.open("/admin/")
	p.waitText("Sign in with the shop's admin account")
	p.typeInto("Email", testAdminEmail)
	p.typeInto("Password", testAdminPassword)
	p.click("Sign in")
	p.waitText("Needs attention")
}

// optionBox is the fieldset of the product's option i (from 0).
func optionBox(i int) string {
	return fmt.Sprintf(`document.querySelectorAll("fieldset.option")[%d]`, i)
}

// variantRow is the row of the variant titled title in the variants table.
func variantRow(title string) string {
	q, _ := json.Marshal(title)
	return `document.querySelector('#variants tr[data-title=' + JSON.stringify(` + string(q) + `) + ']')`
}

type adminVariant struct {
	VariantID, Title string
	SKU              *string
	Price            float64
	StockCount       int
}

// variantIDs are the product's variants' ids by title.
func variantIDs(t *testing.T, admin *client, productID string) map[string]string {
	t.Helper()
	var out struct {
		GetProductsById struct{ Variants []adminVariant }
	}
	admin.MustData(t, `query($id: String!) { getProductsById(id: $id) { variants { variantId title } } }`, map[string]any{"id": productID}, &out)
	ids := map[string]string{}
	for _, v := range out.GetProductsById.Variants {
		ids[v.Title] = v.VariantID
	}
	return ids
}

func mustVariant(t *testing.T, admin *client, id string) adminVariant {
	t.Helper()
	var out struct{ GetVariantById *adminVariant }
	admin.MustData(t, `query($id: String!) { getVariantById(variantId: $id) { variantId title sku price stockCount } }`, map[string]any{"id": id}, &out)
	if out.GetVariantById == nil {
		t.Fatalf("variant %s not found", id)
	}
	return *out.GetVariantById
}

// trackingLink is a shipping note that is one long word.
const trackingLink = "https://track.example/?awb=VFJBQ0stMTIzNDVfREhMX0VYUFJFU1NfV09STERXSURFX1BSSU9SSVRZX09WRVJOSUdIVA"

// adminPage drives the dashboard in one tab. Its helpers fail the test with
// what the page shows when something doesn't come.
type adminPage struct {
	t       *testing.T
	ctx     context.Context
	base    string
	console *consoleWatch
	shots   string

	mu       sync.Mutex
	requests []seenRequest
	checked  int // requests[:checked] were checked by mustOnlySessionCalls
	axe      string
	axeLive  bool // axe-core found the fault planted for it
}

type seenRequest struct{ URL, Body string }

// pageHelpers are defined for every expression the test evaluates: fields
// are found by their label's text (so a field without one can't be used),
// buttons and links by their text.
const pageHelpers = `const H = {
  field(label) {
    const l = [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === label);
    return l ? document.getElementById(l.htmlFor) : null;
  },
  set(el, value) {
    const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);
    el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true }));
  },
  control(text, root = document, kinds = "button, a") {
    return [...root.querySelectorAll(kinds)].find((b) => b.textContent.trim() === text && !b.disabled);
  },
};
// fieldError is the text of the message tied to the field labelled label (aria-describedby), "" when none.
const fieldError = (label) => (H.field(label)?.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
  .map((id) => document.getElementById(id)).filter((e) => e && e.classList.contains("field__error")).map((e) => e.textContent).join(" ");
// optionValues are the values of the product's option i, as its inputs hold them.
const optionValues = (i) => [...(document.querySelectorAll("fieldset.option")[i]?.querySelectorAll(".option__value input") || [])].map((e) => e.value).join(",");
// variantTitles are the titles in the variants table, sorted.
const variantTitles = () => [...document.querySelectorAll("#variants tbody tr")].map((r) => r.dataset.title).sort().join(",");
// lineNames are an order's lines as shown, sorted.
const lineNames = () => [...document.querySelectorAll('[data-testid="line-name"]')].map((e) => e.textContent.trim()).sort().join("|");`

func (p *adminPage) js(expr string) string {
	return "(() => { " + pageHelpers + " return (" + expr + "); })()"
}

func (p *adminPage) fail(format string, args ...any) {
	p.t.Helper()
	text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	p.t.Fatalf("%s\npage %s shows:\n%s\nbrowser problems: %v", fmt.Sprintf(format, args...), p.eval(`location.href`), text, p.console.Problems())
}

// eval evaluates expr (with the helpers) and returns its value as text.
func (p *adminPage) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](p.js("String("+expr+")")))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (p *adminPage) open(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.base+path)); err != nil {
		p.fail("open %s: %v", path, err)
	}
}

// waitJS waits (up to 20 s) for expr to be true.
func (p *adminPage) waitJS(expr, what string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](p.js("!!("+expr+")"), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		p.fail("waiting for %s: %v", what, err)
	}
}

func (p *adminPage) waitText(s string) {
	p.t.Helper()
	q, _ := json.Marshal(s)
	p.waitJS(`document.body.innerText.includes(`+string(q)+`)`, strconv.Quote(s))
}

func (p *adminPage) mustNotSee(texts ...string) {
	p.t.Helper()
	body := p.eval(`document.body.innerText`)
	for _, s := range texts {
		if strings.Contains(body, s) {
			p.fail("the page shows %q", s)
		}
	}
}

// set gives the field labelled label a value, as typing or choosing would.
func (p *adminPage) set(label, value string) {
	p.t.Helper()
	l, _ := json.Marshal(label)
	v, _ := json.Marshal(value)
	p.waitJS(`!!H.field(`+string(l)+`)`, "a field labelled "+strconv.Quote(label))
	p.eval(`H.set(H.field(` + string(l) + `), ` + string(v) + `)`)
}

// typeInto types value into the field labelled label, key by key.
func (p *adminPage) typeInto(label, value string) {
	p.t.Helper()
	l, _ := json.Marshal(label)
	p.waitJS(`!!H.field(`+string(l)+`)`, "a field labelled "+strconv.Quote(label))
	id := p.eval(`H.field(` + string(l) + `).id`)
	if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.ID(id), value)); err != nil {
		p.fail("type into %s: %v", label, err)
	}
}

// click presses the enabled button (or link) whose text is text.
func (p *adminPage) click(text string) {
	p.t.Helper()
	p.clickIn("document", text)
}

func (p *adminPage) clickIn(root, text string) {
	p.t.Helper()
	q, _ := json.Marshal(text)
	el := `H.control(` + string(q) + `, ` + root + `)`
	p.waitJS(`!!(`+root+`) && !!`+el, "a button "+strconv.Quote(text))
	p.eval(el + `.click()`)
}

func (p *adminPage) clickLink(text string) {
	p.t.Helper()
	q, _ := json.Marshal(text)
	el := `H.control(` + string(q) + `, document, "a")`
	p.waitJS(`!!`+el, "a link "+strconv.Quote(text))
	p.eval(el + `.click()`)
}

func (p *adminPage) clickJS(el string) {
	p.t.Helper()
	p.waitJS(`!!(`+el+`)`, el)
	p.eval(`(` + el + `).click()`)
}

// axeOptions run axe-core's experimental rules as well as the default ones
// (WCAG 2.5.3's label-content-name-mismatch is one).
const axeOptions = `resultTypes: ["violations"],
	rules: Object.fromEntries(axe.getRules(["experimental"]).map((r) => [r.ruleId, { enabled: true }]))`

// labelInName lists, as JSON, the links and buttons on the page whose
// aria-label does not hold the words they show, in order (WCAG 2.5.3,
// Label in Name).
const labelInName = `(() => {
	const words = (s) => " " + s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim() + " ";
	const bad = [];
	for (const el of document.querySelectorAll("a[aria-label], button[aria-label], [role=link][aria-label], [role=button][aria-label]")) {
		const shown = words(el.innerText || "");
		if (shown.trim() && !words(el.getAttribute("aria-label")).includes(shown)) bad.push(el.outerHTML.slice(0, 200));
	}
	return JSON.stringify(bad);
})()`

// checkScreen runs axe-core on the screen at 375 and at 1280 px wide (the
// phone layout hides and shows other things), failing on serious or
// critical violations, checks nothing is wider than the screen, and
// photographs it at both widths.
func (p *adminPage) checkScreen(name string) {
	p.t.Helper()
	for _, width := range []int64{375, 1280} {
		p.viewport(width)
		p.mustAxe(fmt.Sprintf("%s at %d px", name, width))
		p.screenshot(name, width)
	}
}

// viewport makes the tab width px wide and waits for the layout.
func (p *adminPage) viewport(width int64) {
	p.t.Helper()
	height := int64(900)
	if width == 375 {
		height = 812
	}
	err := chromedp.Do(p.ctx,
		chromedp.EmulateViewport(width, height),
		chromedp.Evaluate[chromedp.Void](`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("viewport %d: %v", width, err)
	}
}

func (p *adminPage) mustAxe(name string) {
	p.t.Helper()
	if p.axe == "" {
		src, err := os.ReadFile(filepath.Join("..", "web", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			p.t.Fatalf("axe-core is missing (make assets installs it): %v", err)
		}
		p.axe = string(src)
	}
	if p.eval(`typeof window.axe`) != "object" {
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](p.axe)); err != nil {
			p.t.Fatalf("inject axe-core: %v", err)
		}
	}
	if !p.axeLive {
		// A clean result proves nothing unless axe-core finds planted
		// faults: an unlabelled field, and (an experimental rule, which
		// axe runs only when asked) a link whose label leaves out the text
		// it shows, which a voice-control user says to follow it.
		got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(() => {
			const d = document.createElement("div");
			d.innerHTML = '<input type="text"><a href="#x" aria-label="Open the order">Details</a>';
			document.body.append(d);
			return axe.run(d, { `+axeOptions+` }).then((r) => { d.remove(); return r.violations.map((v) => v.id).sort().join(" "); });
		})()`, chromedp.EvalAwaitPromise))
		if err != nil || got != "label label-content-name-mismatch" {
			p.t.Fatalf("axe-core missed the planted faults (found %q, %v)", got, err)
		}
		// axe-core compares the texts without punctuation, as strings:
		// "4a6b8c0d" is found in "Order …-3e2f4a6b8c0d", though no one
		// can say it to follow the link. labelInName compares words.
		planted, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(() => {
			const d = document.createElement("div");
			d.innerHTML = '<a href="#x" aria-label="Order 0190e4c2-5f0e-7b5a-9c1d-3e2f4a6b8c0d">4a6b8c0d</a><a href="#y" aria-label="4a6b8c0d, order 0190e4c2">4a6b8c0d</a>';
			document.body.append(d);
			const found = `+labelInName+`;
			d.remove();
			return found;
		})()`))
		if err != nil || !strings.Contains(planted, "3e2f4a6b8c0d") || strings.Contains(planted, "#y") {
			p.t.Fatalf("labelInName missed the planted fault, or found one where there is none: %s, %v", planted, err)
		}
		p.axeLive = true
	}
	if bad, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](labelInName)); err != nil || bad != "[]" {
		p.t.Errorf("screen %s: controls whose label leaves out the words they show (WCAG 2.5.3): %s %v", name, bad, err)
	}
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`axe.run(document, { `+axeOptions+` }).then((r) => JSON.stringify(
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
		  .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + n.failureSummary) }))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe-core on %s: %v", name, err)
	}
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		p.t.Fatalf("axe-core's answer: %v\n%s", err, raw)
	}
	for _, v := range violations {
		p.t.Errorf("axe-core, screen %s: %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// screenshot checks that nothing is wider than the screen (width px, the
// viewport's) and photographs the whole page.
func (p *adminPage) screenshot(name string, width int64) {
	p.t.Helper()
	if w := p.eval(`document.documentElement.scrollWidth`); w != strconv.FormatInt(width, 10) {
		p.t.Errorf("screen %s at %d px is %s px wide", name, width, w)
	}
	// The status line floats over the page: left out of the picture,
	// which is of the whole page, not the screen.
	p.eval(`document.querySelector(".live").style.visibility = "hidden"`)
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	p.eval(`document.querySelector(".live").style.visibility = ""`)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(p.shots, fmt.Sprintf("admin-%s-%d.png", name, width))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatalf("write screenshot: %v", err)
	}
}

// screenshotDir is where the run keeps its screenshots:
// $TEST_ARTIFACTS_DIR/screenshots, or test-artifacts/screenshots at the
// repository's root (git-ignored; the tests run in e2e/).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TEST_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshots: %v", err)
	}
	return dir
}

// watchNetwork records every request the tab makes, with its body.
func (p *adminPage) watchNetwork() {
	events := chromedp.Events(p.ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			var body strings.Builder
			for _, e := range ev.Request.PostDataEntries {
				body.Write(e.Bytes)
			}
			p.mu.Lock()
			p.requests = append(p.requests, seenRequest{URL: ev.Request.URL, Body: body.String()})
			p.mu.Unlock()
		}
	}()
}

// mustOnlySessionCalls: since the last check, the page sent /graphql only
// the session's operations (refresh, sign-in, sign-out), so no admin data
// was asked for, let alone shown.
func (p *adminPage) mustOnlySessionCalls(when string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	calls := 0
	for _, r := range p.requests[p.checked:] {
		if !strings.HasSuffix(r.URL, "/graphql") {
			continue
		}
		calls++
		var req struct{ Query string }
		_ = json.Unmarshal([]byte(r.Body), &req)
		q := req.Query
		for _, op := range []string{"refreshToken(", "login(", "logout("} {
			q = strings.Replace(q, op, "", 1)
		}
		for _, field := range []string{"adminOverview", "salesReport", "orders", "products", "customers", "categories", "getOrderById", "getProductsById"} {
			if strings.Contains(q, field) {
				p.t.Errorf("%s: the page asked for %s: %s", when, field, req.Query)
			}
		}
	}
	if calls == 0 {
		p.t.Errorf("%s: the page never asked the server for its session", when)
	}
	p.checked = len(p.requests)
}

// requestsHolding is how many requests of the tab had text in their body.
func (p *adminPage) requestsHolding(text string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if strings.Contains(r.Body, text) {
			n++
		}
	}
	return n
}

// waitFor polls cond (up to 20 s) on the test's side.
func (p *adminPage) waitFor(cond func() bool, what string) {
	p.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			p.fail("waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustStayOnOrigin: every request of the tab went to the server under
// test. data: URLs reach no host: Chromium draws its own controls with
// them (a date field's calendar icon).
func (p *adminPage) mustStayOnOrigin() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) < 10 {
		p.t.Errorf("only %d requests seen: the network watch is not working", len(p.requests))
	}
	for _, r := range p.requests {
		if !strings.HasPrefix(r.URL, p.base+"/") && !strings.HasPrefix(r.URL, "data:") {
			p.t.Errorf("a request left the origin: %s", r.URL)
		}
	}
}

// setSessionCookie puts a session cookie in the browser as the server
// would have set it.
func (p *adminPage) setSessionCookie(c *http.Cookie) {
	p.t.Helper()
	_, err := chromedp.Call(p.ctx, network.SetCookie, network.SetCookieParams{
		Name: c.Name, Value: c.Value, URL: p.base + "/graphql", Path: "/graphql",
		HTTPOnly: ptrTo(true), SameSite: network.CookieSameSiteStrict,
	})
	if err != nil {
		p.t.Fatalf("set the session cookie: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// mustCookieLogin signs in as the dashboard does ("X-Shop-Session: cookie")
// and returns the session cookie the server set.
func mustCookieLogin(t *testing.T, in *instance, email, password string) *http.Cookie {
	t.Helper()
	resp := cookieModePost(t, in, nil, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken user { role } } }`,
		map[string]any{"e": email, "p": password})
	defer resp.Body.Close()
	out := mustDecode(t, resp)
	if len(out.Errors) > 0 {
		t.Fatalf("cookie-mode login: %+v", out.Errors)
	}
	var data struct {
		Login *struct {
			RefreshToken string
			User         struct{ Role string }
		}
	}
	if err := json.Unmarshal(out.Data, &data); err != nil || data.Login == nil || data.Login.User.Role == "" {
		t.Fatalf("cookie-mode login: no session in %s (%v)", out.Data, err)
	}
	if data.Login.RefreshToken != "" {
		t.Fatalf("cookie-mode login returned the refresh token in its body")
	}
	for _, c := range resp.Cookies() {
		if c.Name == "shop_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("cookie-mode login set no shop_session cookie: %v", resp.Header.Values("Set-Cookie"))
	return nil
}

// cookieRefreshCode is the error code of a cookie-mode refresh with c ("" when it works).
func cookieRefreshCode(t *testing.T, in *instance, c *http.Cookie) string {
	t.Helper()
	resp := cookieModePost(t, in, c, `mutation { refreshToken(refreshToken: "") { accessToken } }`, nil)
	defer resp.Body.Close()
	return mustDecode(t, resp).Code()
}

func cookieModePost(t *testing.T, in *instance, c *http.Cookie, query string, vars map[string]any) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop-Session", "cookie")
	if c != nil {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	return resp
}

func mustProduct(t *testing.T, admin *client, input map[string]any) string {
	t.Helper()
	var out struct{ CreateProduct struct{ ProductID string } }
	admin.MustData(t, `mutation($in: ProductInput!) { createProduct(input: $in) { productId } }`, map[string]any{"in": input}, &out)
	return out.CreateProduct.ProductID
}

type adminOrder struct {
	OrderID     string
	TotalAmount float64
}

func mustOrder(t *testing.T, c *client, productID string, quantity int) adminOrder {
	t.Helper()
	var out struct{ CreateOrder adminOrder }
	c.MustData(t, `mutation($id: String!, $q: Int!) { createOrder(input: {items: [{productId: $id, quantity: $q}]}) { orderId totalAmount } }`,
		map[string]any{"id": productID, "q": quantity}, &out)
	return out.CreateOrder
}
