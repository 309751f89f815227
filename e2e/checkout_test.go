package e2e

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 20's carts and checkout through the API of real servers: what the
// tests read of carts and orders, and the admin's and shopper's calls they
// make. Amounts are read as the JSON text the server wrote
// (json.Number) and compared exactly, as decimals, never as floats.

const (
	noShippingMethod     = "NO_SHIPPING_METHOD"
	cartClosed           = "CART_CLOSED"
	codeExhausted        = "DISCOUNT_CODE_EXHAUSTED"
	productInactive      = "PRODUCT_INACTIVE"
	priceChangedWarning  = "PRICE_CHANGED"
	variantUnavailableWn = "VARIANT_UNAVAILABLE"
)

type allocView struct {
	Code   string
	Amount json.Number
}

type taxLineView struct {
	Title        string
	Rate, Amount json.Number
}

type methodView struct {
	ShippingMethodID, Name string
	Price                  json.Number
}

type warningView struct {
	Code, Message string
	LineID        *string
}

type addressView struct {
	Name, Line1, City, Country string
	Region, PostalCode         *string
}

type cartLineView struct {
	LineID                             string
	Quantity                           int
	UnitPrice, LineSubtotal, LineTotal json.Number
	Variant                            *struct{ VariantID string }
	DiscountAllocations                []allocView
	TaxLines                           []taxLineView
}

type cartView struct {
	CartID                                           string
	Email, OrderID, DiscountCode                     *string
	Closed                                           bool
	Currency                                         string
	Subtotal, DiscountTotal, ShippingTotal, TaxTotal json.Number
	Total                                            json.Number
	Lines                                            []cartLineView
	ShippingAddress                                  *addressView
	AvailableShippingMethods                         []methodView
	SelectedShippingMethod                           *methodView
	Warnings                                         []warningView
}

// line is the cart's line of a variant; it fails the test when none.
func (c cartView) line(tb testing.TB, variantID string) cartLineView {
	tb.Helper()
	for _, l := range c.Lines {
		if l.Variant != nil && l.Variant.VariantID == variantID {
			return l
		}
	}
	tb.Fatalf("cart %s has no line of variant %s: %+v", c.CartID, variantID, c.Lines)
	return cartLineView{}
}

// quantities is the cart's quantity of each variant.
func (c cartView) quantities() map[string]int {
	out := map[string]int{}
	for _, l := range c.Lines {
		if l.Variant != nil {
			out[l.Variant.VariantID] = l.Quantity
		}
	}
	return out
}

type orderItemCheckoutView struct {
	ProductID, VariantID string
	Quantity             int
	PriceAtPurchase      json.Number
	DiscountAllocations  []allocView
	TaxLines             []taxLineView
}

// checkoutOrderView is an order with what checkout keeps of the cart.
type checkoutOrderView struct {
	OrderID, CustomerID, Status                         string
	Email, DiscountCode                                 *string
	TotalAmount, Subtotal, DiscountTotal, ShippingTotal json.Number
	TaxTotal                                            json.Number
	ShippingAddress                                     *addressView
	ShippingMethod                                      *methodView
	TaxLines                                            []taxLineView
	Items                                               []orderItemCheckoutView
}

const (
	addressFields = `name line1 city region postalCode country`
	cartFields    = `cartId email closed orderId discountCode currency subtotal discountTotal shippingTotal taxTotal total
		lines { lineId quantity unitPrice lineSubtotal lineTotal variant { variantId } discountAllocations { code amount } taxLines { title rate amount } }
		shippingAddress { ` + addressFields + ` }
		availableShippingMethods { shippingMethodId name price } selectedShippingMethod { shippingMethodId name price }
		warnings { code message lineId }`
	checkoutOrderFields = `orderId customerId status email totalAmount subtotal discountTotal shippingTotal taxTotal discountCode
		shippingAddress { ` + addressFields + ` } shippingMethod { shippingMethodId name price } taxLines { title rate amount }
		items { productId variantId quantity priceAtPurchase discountAllocations { code amount } taxLines { title rate amount } }`
)

// cartDocs are the cart operations, each returning the cart.
var cartDocs = map[string]string{
	"cart":                     `query($c: String!) { cart(cartId: $c) { ` + cartFields + ` } }`,
	"cartCreate":               `mutation($in: CartCreateInput) { cartCreate(input: $in) { ` + cartFields + ` } }`,
	"cartLinesAdd":             `mutation($c: String!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $c, lines: $l) { ` + cartFields + ` } }`,
	"cartLinesUpdate":          `mutation($c: String!, $l: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $c, lines: $l) { ` + cartFields + ` } }`,
	"cartLinesRemove":          `mutation($c: String!, $ids: [String!]!) { cartLinesRemove(cartId: $c, lineIds: $ids) { ` + cartFields + ` } }`,
	"cartSetEmail":             `mutation($c: String!, $e: String!) { cartSetEmail(cartId: $c, email: $e) { ` + cartFields + ` } }`,
	"cartSetShippingAddress":   `mutation($c: String!, $a: AddressInput!) { cartSetShippingAddress(cartId: $c, address: $a) { ` + cartFields + ` } }`,
	"cartSetBillingAddress":    `mutation($c: String!, $a: AddressInput!) { cartSetBillingAddress(cartId: $c, address: $a) { ` + cartFields + ` } }`,
	"cartSelectShippingMethod": `mutation($c: String!, $m: String!) { cartSelectShippingMethod(cartId: $c, shippingMethodId: $m) { ` + cartFields + ` } }`,
	"cartApplyDiscountCode":    `mutation($c: String!, $code: String!) { cartApplyDiscountCode(cartId: $c, code: $code) { ` + cartFields + ` } }`,
	"cartRemoveDiscountCode":   `mutation($c: String!) { cartRemoveDiscountCode(cartId: $c) { ` + cartFields + ` } }`,
	"cartMerge":                `mutation($c: String!) { cartMerge(cartId: $c) { ` + cartFields + ` } }`,
}

const (
	checkoutDoc       = `mutation($c: String!, $k: String) { checkoutComplete(cartId: $c, idempotencyKey: $k) { ` + checkoutOrderFields + ` } }`
	checkoutOrderRead = `query($o: String!) { getOrderById(orderId: $o) { ` + checkoutOrderFields + ` } }`
)

// CartCall sends a cart operation as c.
func (c *client) CartCall(tb testing.TB, op string, vars map[string]any) gqlResponse {
	tb.Helper()
	doc, ok := cartDocs[op]
	if !ok {
		tb.Fatalf("no document for %s", op)
	}
	return c.MustPost(tb, doc, vars)
}

// MustCart sends a cart operation as c that must succeed and returns the
// cart it answers.
func (c *client) MustCart(tb testing.TB, op string, vars map[string]any) cartView {
	tb.Helper()
	return mustField[cartView](tb, c.CartCall(tb, op, vars), op)
}

// mustField decodes data[field] of a response that must have succeeded.
func mustField[T any](tb testing.TB, r gqlResponse, field string) T {
	tb.Helper()
	var out map[string]*T
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		tb.Fatalf("%s failed (%d): %+v", field, r.Status, r.Errors)
	}
	if err := json.Unmarshal(r.Data, &out); err != nil || out[field] == nil {
		tb.Fatalf("decode %s: %v\n%s", field, err, r.Data)
	}
	return *out[field]
}

// sendField is mustField for goroutines: it sends doc as c with hc and
// decodes data[field], or says why it could not.
func sendField[T any](hc *http.Client, c *client, doc string, vars map[string]any, field string) (T, gqlResponse, error) {
	var zero T
	r, err := c.Send(hc, nil, doc, vars)
	if err != nil {
		return zero, r, err
	}
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		return zero, r, fmt.Errorf("%s: %d %+v", field, r.Status, r.Errors)
	}
	var out map[string]*T
	if err := json.Unmarshal(r.Data, &out); err != nil || out[field] == nil {
		return zero, r, fmt.Errorf("decode %s: %v: %s", field, err, r.Data)
	}
	return *out[field], r, nil
}

// Checkout sends checkoutComplete as c.
func (c *client) Checkout(tb testing.TB, cartID, key string) gqlResponse {
	tb.Helper()
	return c.MustPost(tb, checkoutDoc, map[string]any{"c": cartID, "k": orNull(key)})
}

// MustCheckout completes the cart as c and returns the order.
func (c *client) MustCheckout(tb testing.TB, cartID, key string) checkoutOrderView {
	tb.Helper()
	return mustField[checkoutOrderView](tb, c.Checkout(tb, cartID, key), "checkoutComplete")
}

// MustCheckoutOrder reads an order as c, which must see it.
func (c *client) MustCheckoutOrder(tb testing.TB, orderID string) checkoutOrderView {
	tb.Helper()
	var out struct{ GetOrderByID *checkoutOrderView }
	c.MustData(tb, checkoutOrderRead, map[string]any{"o": orderID}, &out)
	if out.GetOrderByID == nil {
		tb.Fatalf("order %s is not visible", orderID)
	}
	return *out.GetOrderByID
}

// cartLine is a CartLineInput.
func cartLine(variantID string, quantity int) map[string]any {
	return map[string]any{"variantId": variantID, "quantity": quantity}
}

// address is an AddressInput with the required fields filled in.
func address(country, region, postalCode string) map[string]any {
	a := map[string]any{"name": "Ann Lee", "line1": "1 Main St", "city": "Springfield", "country": country}
	if region != "" {
		a["region"] = region
	}
	if postalCode != "" {
		a["postalCode"] = postalCode
	}
	return a
}

var cartIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
var guestCustomerPattern = regexp.MustCompile(`^guest:[0-9a-f]{32}$`)

// The admin's side: zones, rates, tax rates, codes, categories.

func mustZone(tb testing.TB, admin *client, name string, countries, regions []string) string {
	tb.Helper()
	if regions == nil {
		regions = []string{}
	}
	var out struct{ CreateShippingZone struct{ ZoneID string } }
	admin.MustData(tb, `mutation($n: String!, $c: [String!]!, $r: [String!]) { createShippingZone(name: $n, countries: $c, regions: $r) { zoneId } }`,
		map[string]any{"n": name, "c": countries, "r": regions}, &out)
	return out.CreateShippingZone.ZoneID
}

// mustRate creates a rate in zone; in is a ShippingRateInput.
func mustRate(tb testing.TB, admin *client, zoneID string, in map[string]any) string {
	tb.Helper()
	var out struct {
		CreateShippingRate struct{ ShippingMethodID string }
	}
	admin.MustData(tb, `mutation($z: String!, $in: ShippingRateInput!) { createShippingRate(zoneId: $z, input: $in) { shippingMethodId } }`,
		map[string]any{"z": zoneID, "in": in}, &out)
	return out.CreateShippingRate.ShippingMethodID
}

func flatRate(name string, price json.Number) map[string]any {
	return map[string]any{"name": name, "kind": "FLAT", "price": price}
}

func mustTaxRate(tb testing.TB, admin *client, country, region, name string, rate json.Number, shipping bool) string {
	tb.Helper()
	var out struct{ CreateTaxRate struct{ TaxRateID string } }
	admin.MustData(tb, `mutation($c: String!, $r: String, $n: String!, $rate: Float!, $s: Boolean) {
		createTaxRate(country: $c, region: $r, name: $n, rate: $rate, appliesToShipping: $s) { taxRateId } }`,
		map[string]any{"c": country, "r": region, "n": name, "rate": rate, "s": shipping}, &out)
	return out.CreateTaxRate.TaxRateID
}

type codeView struct {
	DiscountCodeID, Code string
	UsageCount           int
	Active               bool
}

const codeFields = `discountCodeId code usageCount active`

// mustCode creates a discount code; in is a DiscountCodeInput.
func mustCode(tb testing.TB, admin *client, in map[string]any) codeView {
	tb.Helper()
	var out struct{ CreateDiscountCode codeView }
	admin.MustData(tb, `mutation($in: DiscountCodeInput!) { createDiscountCode(input: $in) { `+codeFields+` } }`, map[string]any{"in": in}, &out)
	return out.CreateDiscountCode
}

func mustUpdateCode(tb testing.TB, admin *client, id string, in map[string]any) codeView {
	tb.Helper()
	var out struct{ UpdateDiscountCode codeView }
	admin.MustData(tb, `mutation($id: String!, $in: DiscountCodeUpdate!) { updateDiscountCode(discountCodeId: $id, input: $in) { `+codeFields+` } }`,
		map[string]any{"id": id, "in": in}, &out)
	return out.UpdateDiscountCode
}

// mustCodeView reads a code as the admin.
func mustCodeView(tb testing.TB, admin *client, id string) codeView {
	tb.Helper()
	var out struct{ DiscountCode *codeView }
	admin.MustData(tb, `query($id: String!) { discountCode(discountCodeId: $id) { `+codeFields+` } }`, map[string]any{"id": id}, &out)
	if out.DiscountCode == nil {
		tb.Fatalf("discount code %s not found", id)
	}
	return *out.DiscountCode
}

func mustCategory(tb testing.TB, admin *client, name, parentID string) string {
	tb.Helper()
	var out struct{ CreateCategory struct{ ID string } }
	admin.MustData(tb, `mutation($n: String!, $p: String) { createCategory(name: $n, parentId: $p) { id } }`,
		map[string]any{"n": name, "p": orNull(parentID)}, &out)
	return out.CreateCategory.ID
}

// mustProductIn creates a product from a ProductInput and returns it with
// its variants.
func mustProductIn(tb testing.TB, admin *client, in map[string]any) productView {
	tb.Helper()
	var out struct{ CreateProduct productView }
	admin.MustData(tb, `mutation($in: ProductInput!) { createProduct(input: $in) { `+pFields+` } }`, map[string]any{"in": in}, &out)
	return out.CreateProduct
}

func mustUpdateVariant(tb testing.TB, admin *client, variantID string, in map[string]any) {
	tb.Helper()
	var out struct{ UpdateVariant *struct{ VariantID string } }
	admin.MustData(tb, `mutation($v: String!, $in: ProductVariantInput!) { updateVariant(variantId: $v, input: $in) { variantId } }`,
		map[string]any{"v": variantID, "in": in}, &out)
	if out.UpdateVariant == nil {
		tb.Fatalf("variant %s not found", variantID)
	}
}

// mustVariantStock reads a variant's stock through the API.
func mustVariantStock(tb testing.TB, c *client, variantID string) int {
	tb.Helper()
	var out struct{ GetVariantByID *struct{ StockCount int } }
	c.MustData(tb, `query($v: String!) { getVariantById(variantId: $v) { stockCount } }`, map[string]any{"v": variantID}, &out)
	if out.GetVariantByID == nil {
		tb.Fatalf("variant %s not found", variantID)
	}
	return out.GetVariantByID.StockCount
}

// Amounts.

// sameAmount tells whether the server's amount is the decimal want,
// exactly.
func sameAmount(got json.Number, want string) bool {
	g, ok := new(big.Rat).SetString(string(got))
	w, ok2 := new(big.Rat).SetString(want)
	return ok && ok2 && g.Cmp(w) == 0
}

// sumAmounts adds decimal strings exactly and writes the sum with 2
// decimals.
func sumAmounts(amounts ...string) string {
	sum := new(big.Rat)
	for _, a := range amounts {
		r, ok := new(big.Rat).SetString(a)
		if !ok {
			panic("not an amount: " + a)
		}
		sum.Add(sum, r)
	}
	return sum.FloatString(2)
}

// mismatches collects what differs, to report every difference at once.
type mismatches []string

func (m *mismatches) amount(what string, got json.Number, want string) {
	if !sameAmount(got, want) {
		*m = append(*m, fmt.Sprintf("%s = %s, want %s", what, got, want))
	}
}

func (m *mismatches) check(ok bool, format string, args ...any) {
	if !ok {
		*m = append(*m, fmt.Sprintf(format, args...))
	}
}

func (m mismatches) String() string { return strings.Join(m, "\n") }

// Many requests at once, from goroutines.

// raceOutcome is one request's result in a race: "ok" or the error's code,
// with the first error's extensions.
type raceOutcome struct {
	Code       string
	OrderID    string
	Extensions map[string]any
	Err        error
}

// raceCheckouts releases checkoutComplete for every cart at once, each as
// its client (a guest's or a customer's, on the instance it names), and
// returns the outcomes in the carts' order. Its goroutines never stop the
// test.
func raceCheckouts(tb testing.TB, carts []preparedCart) []raceOutcome {
	tb.Helper()
	defer func(start time.Time) {
		tb.Logf("raced %d checkouts in %s", len(carts), time.Since(start).Round(time.Millisecond))
	}(time.Now())
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(carts)}}
	defer hc.CloseIdleConnections()
	out := make([]raceOutcome, len(carts))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o, r, err := sendField[checkoutOrderView](hc, c.client, checkoutDoc, map[string]any{"c": c.cartID, "k": c.key}, "checkoutComplete")
			switch {
			case err == nil:
				out[i] = raceOutcome{Code: "ok", OrderID: o.OrderID}
			case len(r.Errors) == 1 && r.Status == http.StatusOK:
				out[i] = raceOutcome{Code: r.Code(), Extensions: r.Errors[0].Extensions}
			default:
				out[i] = raceOutcome{Code: "error", Err: err}
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// countOutcomes counts the outcomes by code.
func countOutcomes(outs []raceOutcome) map[string]int {
	n := map[string]int{}
	for _, o := range outs {
		n[o.Code]++
	}
	return n
}

// preparedCart is a cart ready for checkout: its id, the client that may
// complete it, its line and the idempotency key to send.
type preparedCart struct {
	cartID, lineID, key string
	client              *client
}

// prepareCarts makes n carts at once (a few at a time), each by build,
// which runs in a goroutine and must not stop the test: it returns an
// error instead.
func prepareCarts(tb testing.TB, n int, build func(hc *http.Client, i int) (preparedCart, error)) []preparedCart {
	tb.Helper()
	defer func(start time.Time) {
		tb.Logf("prepared %d carts in %s", n, time.Since(start).Round(time.Millisecond))
	}(time.Now())
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer hc.CloseIdleConnections()
	out := make([]preparedCart, n)
	errs := make([]error, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i], errs[i] = build(hc, i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("preparing cart %d: %v", i, err)
		}
	}
	return out
}

// readyCart makes a cart of one line as c (a guest with email, or a
// customer), ships it to California by methodID and applies code (""
// none), all with hc: a goroutine's prepareCarts maker.
func readyCart(hc *http.Client, c *client, variantID string, quantity int, email, methodID, code string) (preparedCart, error) {
	in := map[string]any{"lines": []any{cartLine(variantID, quantity)}}
	if email != "" {
		in["email"] = email
	}
	cart, _, err := sendField[cartView](hc, c, cartDocs["cartCreate"], map[string]any{"in": in}, "cartCreate")
	if err != nil {
		return preparedCart{}, err
	}
	if _, _, err := sendField[cartView](hc, c, cartDocs["cartSetShippingAddress"], map[string]any{"c": cart.CartID, "a": address("US", "CA", "94107")}, "cartSetShippingAddress"); err != nil {
		return preparedCart{}, err
	}
	if _, _, err := sendField[cartView](hc, c, cartDocs["cartSelectShippingMethod"], map[string]any{"c": cart.CartID, "m": methodID}, "cartSelectShippingMethod"); err != nil {
		return preparedCart{}, err
	}
	if code != "" {
		got, _, err := sendField[cartView](hc, c, cartDocs["cartApplyDiscountCode"], map[string]any{"c": cart.CartID, "code": code}, "cartApplyDiscountCode")
		if err != nil {
			return preparedCart{}, err
		}
		if got.DiscountCode == nil || len(got.Warnings) != 0 {
			return preparedCart{}, fmt.Errorf("cart %s after applying %s: %+v", cart.CartID, code, got)
		}
	}
	if len(cart.Lines) != 1 {
		return preparedCart{}, fmt.Errorf("cart %s has lines %+v", cart.CartID, cart.Lines)
	}
	return preparedCart{cartID: cart.CartID, lineID: cart.Lines[0].LineID, key: "key-" + cart.CartID, client: c}, nil
}
