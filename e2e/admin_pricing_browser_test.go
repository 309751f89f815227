package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminDashboardPricingInBrowser sets up what checkout prices with
// through the dashboard (issue 20), in headless Chromium against the real
// server: a shipping zone (its regions refused, then fixed, then edited)
// with a rate free above a subtotal (refused without its threshold, with
// the API's message beside the field) and one added and deleted, a second
// zone deleted; a tax rate (a rate of 4 decimal places refused beside the
// field) and another deleted; a discount code created for one product,
// its limit changed and a bad per-customer limit refused beside its
// field, another code deactivated. A guest checks out through the API with
// the code; the list shows the code's use against its limit, and the
// order's page shows its email, addresses, shipping method and price,
// code, discount and tax lines, in all and per line. An order from
// createOrder shows none of it. Every new screen passes axe-core at 375
// and 1280 px.
func TestAdminDashboardPricingInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	mug := mustProduct(t, admin, map[string]any{"name": "Tea Mug", "price": 12.0, "stockCount": 20, "sku": "MUG-TEA"})
	mustProduct(t, admin, map[string]any{"name": "Coffee Pot", "price": 30.0, "stockCount": 5})
	cust, _ := in.MustCustomer(t)

	ctx, console := startBrowser(t, 4*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()
	p.signIn()

	// Shipping: a zone, its bad region named beside the field.
	p.clickLink("Shipping")
	p.waitText("No shipping zones yet")
	p.checkScreen("shipping-empty")
	p.set("Zone name", "Domestic")
	p.set("Countries", "us")
	p.set("Regions (optional)", "US-CA, US-ZZ")
	p.click("Create zone")
	p.waitJS(`fieldError("Regions (optional)").includes("is not a region shop knows")`, "the bad region's error beside the field")
	p.waitJS(`!H.field("Countries").getAttribute("aria-invalid")`, "the countries not marked")
	p.set("Regions (optional)", "US-CA")
	p.click("Create zone")
	p.waitText("Created the zone Domestic.")
	domestic := zoneBox("Domestic")
	p.waitJS(domestic+`?.querySelector('[data-testid="zone-countries"]')?.textContent === "US" && `+domestic+`.querySelector('[data-testid="zone-regions"]').textContent === "US-CA"`, "the zone's countries and regions")

	// A rate free above a subtotal: its threshold is required.
	p.set("Rate name in Domestic", "Standard")
	p.set("Kind of rate in Domestic", "FREE_ABOVE")
	p.set("Price (USD) of rate in Domestic", "4.99")
	p.click("Add rate to Domestic")
	p.waitJS(`fieldError("Free from a subtotal (USD) in Domestic").includes("is required for a FREE_ABOVE rate")`, "the threshold's error beside the field")
	p.checkScreen("shipping-rate-error")
	p.set("Free from a subtotal (USD) in Domestic", "100")
	p.click("Add rate to Domestic")
	p.waitText("Added the rate Standard to Domestic.")
	p.waitJS(rateRow("Domestic", "Standard")+`?.innerText.includes("Free from a subtotal of $100.00")`, "the rate Standard in the zone")
	// A rate by weight, added and deleted.
	p.set("Rate name in Domestic", "Courier")
	p.set("Kind of rate in Domestic", "BY_WEIGHT")
	p.set("Price (USD) of rate in Domestic", "9")
	p.set("Maximum weight (g) in Domestic", "2000")
	p.click("Add rate to Domestic")
	p.waitJS(rateRow("Domestic", "Courier")+`?.innerText.includes("Up to 2,000 g")`, "the rate Courier")
	p.clickIn(rateRow("Domestic", "Courier"), "Delete Courier")
	p.clickIn(rateRow("Domestic", "Courier"), "Yes, delete")
	p.waitJS(`!`+rateRow("Domestic", "Courier")+` && !!`+rateRow("Domestic", "Standard"), "Courier deleted, Standard kept")
	// The zone edited: another region.
	p.clickIn(domestic, "Edit zone Domestic")
	p.set("Regions (optional) of Domestic", "US-CA, us-or")
	p.click("Save zone")
	p.waitText("Saved the zone Domestic.")
	p.waitJS(domestic+`.querySelector('[data-testid="zone-regions"]').textContent === "US-CA, US-OR"`, "the zone's new regions")
	p.waitJS(`document.activeElement?.textContent === "Edit zone Domestic"`, "focus back on Edit zone")
	// Another zone, deleted.
	p.set("Zone name", "Europe")
	p.set("Countries", "DE, FR")
	p.set("Regions (optional)", "")
	p.click("Create zone")
	p.waitJS(`!!`+zoneBox("Europe"), "the zone Europe")
	p.checkScreen("shipping")
	p.clickIn(zoneBox("Europe"), "Delete zone Europe")
	p.clickIn(zoneBox("Europe"), "Yes, delete")
	p.waitText("Deleted the zone Europe.")
	p.waitJS(`!`+zoneBox("Europe")+` && !!`+domestic, "Europe deleted, Domestic kept")
	var zones struct {
		ShippingZones []struct {
			Name      string
			Countries []string
			Regions   []string
			Rates     []struct {
				Name, Kind       string
				Price, FreeAbove float64
			}
		}
	}
	admin.MustData(t, `{ shippingZones { name countries regions rates { name kind price freeAbove } } }`, nil, &zones)
	if got := fmt.Sprintf("%+v", zones.ShippingZones); got != "[{Name:Domestic Countries:[US] Regions:[US-CA US-OR] Rates:[{Name:Standard Kind:FREE_ABOVE Price:4.99 FreeAbove:100}]}]" {
		t.Fatalf("the zones after the screen: %s", got)
	}

	// Taxes: a rate with too many decimal places, refused beside its field.
	p.clickLink("Taxes")
	p.waitText("No tax rates")
	p.set("Country", "us")
	p.set("Region (optional)", "ca")
	p.set("Tax name", "CA sales tax")
	p.set("Rate (%)", "8.2555")
	p.click("Create tax rate")
	p.waitJS(`fieldError("Rate (%)").includes("has more than 3 decimal places")`, "the rate's error beside the field")
	p.checkScreen("taxes-error")
	p.set("Rate (%)", "8.25")
	p.click("Create tax rate")
	p.waitText("Created the tax rate CA sales tax (US-CA).")
	p.set("Country", "DE")
	p.set("Tax name", "Old VAT")
	p.set("Rate (%)", "16")
	p.click("Create tax rate")
	p.waitJS(`!!`+taxRow("DE Old VAT"), "the tax rate Old VAT")
	p.waitJS(taxRow("US-CA CA sales tax")+`?.innerText.includes("8.25%")`, "CA sales tax at 8.25%")
	p.checkScreen("taxes")
	p.clickIn(taxRow("DE Old VAT"), "Delete Old VAT (DE)")
	p.clickIn(taxRow("DE Old VAT"), "Yes, delete")
	p.waitJS(`!`+taxRow("DE Old VAT")+` && !!`+taxRow("US-CA CA sales tax"), "Old VAT deleted")
	var taxes struct {
		TaxRates []struct {
			Country, Region, Name string
			Rate                  float64
			AppliesToShipping     bool
		}
	}
	admin.MustData(t, `{ taxRates { country region name rate appliesToShipping } }`, nil, &taxes)
	if got := fmt.Sprintf("%+v", taxes.TaxRates); got != "[{Country:US Region:CA Name:CA sales tax Rate:8.25 AppliesToShipping:false}]" {
		t.Fatalf("the tax rates after the screen: %s", got)
	}

	// Discount codes: one created for the mug, its value refused first.
	var spring struct {
		CreateDiscountCode struct{ DiscountCodeID string }
	}
	admin.MustData(t, `mutation { createDiscountCode(input: {code: "SPRING5", kind: FIXED_AMOUNT, value: 5}) { discountCodeId } }`, nil, &spring)
	p.clickLink("Discount codes")
	p.waitJS(`!!`+codeRow("SPRING5"), "the code SPRING5 listed")
	p.clickLink("New discount code")
	p.waitJS(`!!H.field("Code")`, "the code form")
	p.set("Code", "Save10")
	p.set("Percent off", "150")
	p.set("Usage limit (optional)", "5")
	p.set("Find a product to add", "mug")
	p.click("Add Tea Mug")
	p.waitJS(`document.querySelector('.choice__chosen li[data-product-id="`+mug+`"]')?.innerText.includes("Tea Mug")`, "the mug chosen")
	p.click("Create code")
	p.waitJS(`fieldError("Percent off").includes("must be at most 100")`, "the value's error beside the field")
	p.checkScreen("discount-code-new")
	p.set("Percent off", "10")
	p.click("Create code")
	p.waitJS(`/^\/admin\/discount-codes\/[^/]+$/.test(location.pathname) && !location.pathname.endsWith("/new")`, "the new code's page")
	p.waitJS(`document.querySelector('[data-testid="code-uses"]')?.textContent === "0 of 5"`, "no uses of 5")
	save10 := strings.TrimPrefix(p.eval(`location.pathname`), "/admin/discount-codes/")
	// Its limits edited: a per-customer limit of 0 is refused beside the
	// field; a total of 3 is saved.
	p.set("Usage limit (optional)", "3")
	p.set("Limit per customer (optional)", "0")
	p.click("Save code")
	p.waitJS(`fieldError("Limit per customer (optional)").includes("must be at least 1")`, "the per-customer limit's error beside the field")
	p.waitJS(`!H.field("Usage limit (optional)").getAttribute("aria-invalid")`, "the usage limit not marked")
	p.set("Limit per customer (optional)", "")
	p.click("Save code")
	p.waitText("Saved Save10.")
	p.waitJS(`document.querySelector('[data-testid="code-uses"]')?.textContent === "0 of 3"`, "no uses of 3")
	p.waitJS(`H.field("Find a product to add") && document.querySelector('.choice__chosen li[data-product-id="`+mug+`"]')?.innerText.includes("Tea Mug")`, "the mug's name, read back")
	p.checkScreen("discount-code")
	var code struct {
		DiscountCode struct {
			Code, Kind                        string
			Value                             float64
			UsageLimit, UsageLimitPerCustomer *int
			AppliesTo                         struct{ ProductIDs []string }
		}
	}
	admin.MustData(t, `query($id: String!) { discountCode(discountCodeId: $id) { code kind value usageLimit usageLimitPerCustomer appliesTo { productIds } } }`,
		map[string]any{"id": save10}, &code)
	if c := code.DiscountCode; c.Code != "Save10" || c.Kind != "PERCENTAGE" || c.Value != 10 || c.UsageLimit == nil || *c.UsageLimit != 3 ||
		c.UsageLimitPerCustomer != nil || fmt.Sprint(c.AppliesTo.ProductIDs) != "["+mug+"]" {
		t.Fatalf("the code after the screen: %+v", c)
	}
	// Another code, deactivated.
	p.clickLink("← Discount codes")
	p.clickLink("SPRING5")
	p.click("Deactivate code")
	p.click("Yes, deactivate")
	p.waitText("Deactivated SPRING5.")
	p.waitText("Reactivate code")
	var spr struct{ DiscountCode struct{ Active bool } }
	admin.MustData(t, `query($id: String!) { discountCode(discountCodeId: $id) { active } }`, map[string]any{"id": spring.CreateDiscountCode.DiscountCodeID}, &spr)
	if spr.DiscountCode.Active {
		t.Fatal("SPRING5 is still active after its deactivation on the screen")
	}

	// A guest checks out 3 mugs with the code, in any letter case:
	// 36.00, 10% off (3.60), Standard shipping (4.99, under its 100
	// threshold), tax 8.25% of 32.40 (2.673, rounded half up: 2.67).
	order := mustGuestCheckout(t, in, mug, 3, "save10")
	if order.TotalAmount != 40.06 {
		t.Fatalf("the checkout's total: %v, want 40.06 (36 - 3.60 + 4.99 + 2.67)", order.TotalAmount)
	}

	// The list: the code's use against its limit.
	p.clickLink("← Discount codes")
	p.waitJS(codeRow("Save10")+`?.querySelector('[data-testid="code-uses"]')?.textContent === "1 of 3"`, "Save10 used once of 3")
	p.waitJS(codeRow("SPRING5")+`?.innerText.includes("Deactivated")`, "SPRING5 deactivated in the list")
	p.checkScreen("discount-codes")

	// The order: what the guest gave and was charged, as placed.
	p.open("/admin/orders/" + order.OrderID)
	p.waitJS(`!!document.querySelector('[data-testid="shipping-address"]')`, "the order's checkout")
	for testid, want := range map[string]string{
		"order-email":         "ann@example.com",
		"shipping-address":    "Ann Lee\nAcme\n1 Main St\nSan Francisco CA 94107\nUnited States",
		"billing-address":     "Ann Lee\n5 Rue de Rivoli\nParis 75001\nFrance",
		"shipping-method":     "Standard, $4.99",
		"order-discount-code": "Save10, −$3.60",
		"order-subtotal":      "Subtotal\t$36.00",
		"order-discount":      "Discount Save10\t−$3.60",
		"order-shipping":      "Shipping: Standard\t$4.99",
		"order-tax-line":      "CA sales tax (8.25%)\t$2.67",
		"line-adjustments":    "Discount Save10: −$3.60\nCA sales tax (8.25%): $2.67",
	} {
		q, _ := json.Marshal(want)
		p.waitJS(`document.querySelector('[data-testid="`+testid+`"]')?.innerText.replace(/\t+/g, "\t").trim() === `+string(q), testid+" showing "+string(q))
	}
	p.waitJS(`document.querySelector("tfoot tr:last-child .total")?.textContent === "$40.06"`, "the total $40.06")
	p.checkScreen("order-checkout")

	// An order from createOrder: none of it.
	plain := mustOrder(t, cust, mug, 1)
	p.open("/admin/orders/" + plain.OrderID)
	p.waitJS(`document.querySelector("tfoot tr:last-child .total")?.textContent === "$12.00"`, "the plain order's total")
	p.waitJS(`!document.getElementById("delivery-title") && !document.querySelector('[data-testid="order-subtotal"], [data-testid="line-adjustments"], [data-testid="order-tax-line"]')`,
		"no checkout details on a createOrder order")
	p.mustNotSee("Ship to", "Bill to", "Subtotal")

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// zoneBox is the panel of the shipping zone named name.
func zoneBox(name string) string {
	q, _ := json.Marshal(name)
	return `document.querySelector('article[data-zone=' + JSON.stringify(` + string(q) + `) + ']')`
}

// rateRow is the row of the rate named rate in the zone named zone.
func rateRow(zone, rate string) string {
	q, _ := json.Marshal(rate)
	return zoneBox(zone) + `?.querySelector('tr[data-rate=' + JSON.stringify(` + string(q) + `) + ']')`
}

// taxRow is the row of a tax rate: its place and name ("US-CA CA sales tax").
func taxRow(key string) string {
	q, _ := json.Marshal(key)
	return `document.querySelector('#tax-rates tr[data-tax=' + JSON.stringify(` + string(q) + `) + ']')`
}

// codeRow is the row of the discount code code in the list.
func codeRow(code string) string {
	q, _ := json.Marshal(code)
	return `document.querySelector('#discount-codes tr[data-code=' + JSON.stringify(` + string(q) + `) + ']')`
}

// mustGuestCheckout places a guest's order of quantity units of the
// product's one variant through checkout: an email, a shipping address in
// California, a billing address in Paris, the first method offered and
// the code.
func mustGuestCheckout(t *testing.T, in *instance, productID string, quantity int, code string) adminOrder {
	t.Helper()
	guest := in.Anonymous()
	var cart struct{ CartCreate struct{ CartID string } }
	guest.MustData(t, `mutation($v: String!, $q: Int!) { cartCreate(input: {lines: [{variantId: $v, quantity: $q}], email: "ann@example.com"}) { cartId } }`,
		map[string]any{"v": productID, "q": quantity}, &cart)
	id := cart.CartCreate.CartID
	var ship struct {
		CartSetShippingAddress struct {
			AvailableShippingMethods []struct{ ShippingMethodID, Name string }
		}
	}
	guest.MustData(t, `mutation($c: String!) { cartSetShippingAddress(cartId: $c, address: {name: "Ann Lee", company: "Acme", line1: "1 Main St", city: "San Francisco",
		region: "CA", postalCode: "94107", country: "US"}) { availableShippingMethods { shippingMethodId name } } }`, map[string]any{"c": id}, &ship)
	methods := ship.CartSetShippingAddress.AvailableShippingMethods
	if len(methods) != 1 || methods[0].Name != "Standard" {
		t.Fatalf("the methods offered in California: %+v, want Standard alone", methods)
	}
	guest.MustData(t, `mutation($c: String!) { cartSetBillingAddress(cartId: $c, address: {name: "Ann Lee", line1: "5 Rue de Rivoli", city: "Paris",
		postalCode: "75001", country: "FR"}) { cartId } }`, map[string]any{"c": id}, &struct{}{})
	guest.MustData(t, `mutation($c: String!, $m: String!) { cartSelectShippingMethod(cartId: $c, shippingMethodId: $m) { cartId } }`,
		map[string]any{"c": id, "m": methods[0].ShippingMethodID}, &struct{}{})
	guest.MustData(t, `mutation($c: String!, $code: String!) { cartApplyDiscountCode(cartId: $c, code: $code) { cartId } }`,
		map[string]any{"c": id, "code": code}, &struct{}{})
	var out struct{ CheckoutComplete adminOrder }
	guest.MustData(t, `mutation($c: String!) { checkoutComplete(cartId: $c) { orderId totalAmount } }`, map[string]any{"c": id}, &out)
	return out.CheckoutComplete
}
