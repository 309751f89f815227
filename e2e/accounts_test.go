package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shop/internal/testenv"
)

// MustSignAccessToken signs an access token as the server would, with key:
// for tests that can't sign in (or want an expired token).
func MustSignAccessToken(tb testing.TB, key, userID, role string, ttl time.Duration) string {
	tb.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": userID, "role": role, "iss": "shop", "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	}).SignedString([]byte(key))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// outcome is what one caller gets from one operation: data (JSON, with
// placeholders), or an error code with the refused field's data null (and,
// for a field nested under one that succeeds, the data around it).
type outcome struct{ data, code string }

func data(j string) outcome            { return outcome{data: j} }
func denied(c string) outcome          { return outcome{code: c} }
func deniedWithin(c, j string) outcome { return outcome{code: c, data: j} }
func everyone(o outcome) [4]outcome    { return [4]outcome{o, o, o, o} }
func adminOnly(j string) [4]outcome {
	return [4]outcome{denied(unauthenticated), denied(forbidden), denied(forbidden), data(j)}
}

// cartOwnerOnly is a write to customer A's cart: A alone; others are
// told no such cart exists, an admin (who may read it) FORBIDDEN.
func cartOwnerOnly(j string) [4]outcome {
	return [4]outcome{denied(cartNotFound), data(j), denied(cartNotFound), denied(forbidden)}
}

const (
	cartNotFound    = "CART_NOT_FOUND"
	unauthenticated = "UNAUTHENTICATED"
	forbidden       = "FORBIDDEN"
	notFound        = "NOT_FOUND"
)

// matrix is every operation of the schema, the contract's and the
// accounts', by every kind of caller: anonymous, a customer (A), another
// customer (B) and an admin. Rows run in order (reads first, so the orders
// they see are the two set up: A's $OA and B's $OB). Placeholders: $P1…$P3
// products; $A, $B, $ADMIN user ids and $A_EMAIL…; per cell, $DOOMED a
// fresh product, $NEW_EMAIL a fresh address, $FRESH_REFRESH a fresh refresh
// token of A's, $PENDING_A and $PAID_A a fresh order of A's (of one unit of
// $P4) in that status, $PAYMENT_A the payment A started of a fresh pending
// order, $PAYING_A. Variants (issue 19): $V a product with options, its
// variants $VS and $VM (600 each); $HIDDEN an inactive product (its
// default variant's id is the product's); per cell, $SPARE_VARIANT a
// variant of a fresh product with two.
var matrix = []struct {
	op, doc string
	want    [4]outcome // anonymous, customer, another customer, admin
}{
	{"getProducts", `{ getProducts(limit: 2) { productId } }`,
		everyone(data(`{"getProducts":[{"productId":"$P1"},{"productId":"$P2"}]}`))},
	{"getProductsById", `{ getProductsById(id: "$P1") { productId price } }`,
		everyone(data(`{"getProductsById":{"productId":"$P1","price":1}}`))},
	{"products", `{ products(first: 1) { edges { node { productId } } } }`,
		everyone(data(`{"products":{"edges":[{"node":{"productId":"$P1"}}]}}`))},
	{"me", `{ me { id email role } }`, [4]outcome{
		data(`{"me":null}`),
		data(`{"me":{"id":"$A","email":"$A_EMAIL","role":"customer"}}`),
		data(`{"me":{"id":"$B","email":"$B_EMAIL","role":"customer"}}`),
		data(`{"me":{"id":"$ADMIN","email":"$ADMIN_EMAIL","role":"admin"}}`)}},
	{"getOrders: a customer's are filtered", `{ getOrders { orderId customerId } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"getOrders":[{"orderId":"$OA","customerId":"$A"}]}`),
		data(`{"getOrders":[{"orderId":"$OB","customerId":"$B"}]}`),
		data(`{"getOrders":[{"orderId":"$OB","customerId":"$B"},{"orderId":"$OA","customerId":"$A"}]}`)}},
	{"orders: a customer's are filtered", `{ orders(first: 10) { edges { node { orderId } } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OB"}}]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OB"}},{"node":{"orderId":"$OA"}}]}}`)}},
	{"orders(customerId: A): nothing for B", `{ orders(first: 10, customerId: "$A") { edges { node { orderId } } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`),
		data(`{"orders":{"edges":[]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`)}},
	{"getOrderById(A's order): null for B, as if missing", `{ getOrderById(orderId: "$OA") { orderId customerId } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"getOrderById":{"orderId":"$OA","customerId":"$A"}}`),
		data(`{"getOrderById":null}`),
		data(`{"getOrderById":{"orderId":"$OA","customerId":"$A"}}`)}},
	{"getOrderById(unknown)", `{ getOrderById(orderId: "` + unknownID + `") { orderId } }`, [4]outcome{
		denied(unauthenticated), data(`{"getOrderById":null}`), data(`{"getOrderById":null}`), data(`{"getOrderById":null}`)}},
	{"Order.events: a customer sees its own order's", `{ getOrderById(orderId: "$OA") { orderId events { status actor note } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"getOrderById":{"orderId":"$OA","events":[{"status":"pending","actor":"$A","note":null}]}}`),
		data(`{"getOrderById":null}`),
		data(`{"getOrderById":{"orderId":"$OA","events":[{"status":"pending","actor":"$A","note":null}]}}`)}},
	{"Order.events in a customer's orders", `{ orders(first: 10) { edges { node { orderId events { status actor } } } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA","events":[{"status":"pending","actor":"$A"}]}}]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OB","events":[{"status":"pending","actor":"$B"}]}}]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OB","events":[{"status":"pending","actor":"$B"}]}},{"node":{"orderId":"$OA","events":[{"status":"pending","actor":"$A"}]}}]}}`)}},
	{"lowStock", `{ lowStock(threshold: 999) { productId stockCount } }`,
		adminOnly(`{"lowStock":[{"productId":"$P1","stockCount":999},{"productId":"$P2","stockCount":999}]}`)},
	{"Product.stockMovements under a catalog read", `{ getProductsById(id: "$P1") { productId stockMovements(first: 10) { edges { node { delta kind actor orderId } } } } }`, [4]outcome{
		deniedWithin(unauthenticated, `{"getProductsById":{"productId":"$P1","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getProductsById":{"productId":"$P1","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getProductsById":{"productId":"$P1","stockMovements":null}}`),
		data(`{"getProductsById":{"productId":"$P1","stockMovements":{"edges":[` +
			`{"node":{"delta":1000,"kind":"initial","actor":"$ADMIN","orderId":null}},` +
			`{"node":{"delta":-1,"kind":"order","actor":"$A","orderId":"$OA"}}]}}}`)}},

	// The admin dashboard's reads (issue 11), on the state set up: P1 and
	// P2 at 999 after one order each, $OA (A, 1.00) and $OB (B, 2.00)
	// pending.
	{"adminOverview", `{ adminOverview(lowStockThreshold: 999) { ordersToShip ordersAwaitingPayment lowStockProducts lowStockVariants outOfStockProducts lowStockThreshold today { orders revenue } } }`,
		adminOnly(`{"adminOverview":{"ordersToShip":0,"ordersAwaitingPayment":2,"lowStockProducts":2,"lowStockVariants":4,"outOfStockProducts":0,"lowStockThreshold":999,"today":{"orders":0,"revenue":0}}}`)},
	{"salesReport", `{ salesReport(days: 2) { orders revenue } }`,
		adminOnly(`{"salesReport":[{"orders":0,"revenue":0},{"orders":0,"revenue":0}]}`)},
	{"customers", `{ customers(first: 10) { edges { node { user { id role } orderCount totalSpent } } pageInfo { hasNextPage } } }`,
		adminOnly(`{"customers":{"edges":[{"node":{"user":{"id":"$B","role":"customer"},"orderCount":1,"totalSpent":0}},` +
			`{"node":{"user":{"id":"$A","role":"customer"},"orderCount":1,"totalSpent":0}}],"pageInfo":{"hasNextPage":false}}}`)},
	// The emails (issue 21): no reset asked for yet when the reads run.
	{"emailOutbox", `{ emailOutbox(kind: "password_reset", first: 5) { edges { node { emailId } } pageInfo { hasNextPage } } }`,
		adminOnly(`{"emailOutbox":{"edges":[],"pageInfo":{"hasNextPage":false}}}`)},
	{"customers(query: A's email)", `{ customers(query: "$A_EMAIL") { edges { node { user { email } } } } }`,
		adminOnly(`{"customers":{"edges":[{"node":{"user":{"email":"$A_EMAIL"}}}]}}`)},
	{"orders(query: A's order id): nothing for B", `{ orders(first: 10, query: "$OA") { edges { node { orderId } } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`),
		data(`{"orders":{"edges":[]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`)}},
	{"orders(query: A's email): nothing for B", `{ orders(first: 10, query: "$A_EMAIL") { edges { node { orderId } } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`),
		data(`{"orders":{"edges":[]}}`),
		data(`{"orders":{"edges":[{"node":{"orderId":"$OA"}}]}}`)}},
	{"products(filter: {maxStock})", `{ products(first: 10, filter: {maxStock: 999}) { edges { node { productId stockCount } } } }`,
		everyone(data(`{"products":{"edges":[{"node":{"productId":"$P1","stockCount":999}},{"node":{"productId":"$P2","stockCount":999}}]}}`))},

	// Variants' reads (issue 19), on the state set up: $V's S and M at
	// 600 each, $HIDDEN inactive.
	{"getVariantById", `{ getVariantById(variantId: "$VM") { variantId title price stockCount available product { productId } } }`,
		everyone(data(`{"getVariantById":{"variantId":"$VM","title":"M","price":6,"stockCount":600,"available":true,"product":{"productId":"$V"}}}`))},
	{"getVariantById(an inactive product's): null but for admins", `{ getVariantById(variantId: "$HIDDEN") { variantId available } }`, [4]outcome{
		data(`{"getVariantById":null}`), data(`{"getVariantById":null}`), data(`{"getVariantById":null}`),
		data(`{"getVariantById":{"variantId":"$HIDDEN","available":false}}`)}},
	{"Product.variants", `{ getProductsById(id: "$V") { options { name values } variants { variantId title stockCount } } }`,
		everyone(data(`{"getProductsById":{"options":[{"name":"Size","values":["S","M","L"]}],"variants":[{"variantId":"$VS","title":"S","stockCount":600},{"variantId":"$VM","title":"M","stockCount":600}]}}`))},
	{"Product.variants in a list", `{ products(first: 10, filter: {query: "Matrix tee"}) { edges { node { productId variants { variantId } } } } }`,
		everyone(data(`{"products":{"edges":[{"node":{"productId":"$V","variants":[{"variantId":"$VS"},{"variantId":"$VM"}]}}]}}`))},
	{"ProductVariant.stockMovements under a catalog read", `{ getVariantById(variantId: "$VS") { variantId stockMovements(first: 10) { edges { node { delta kind variantId actor } } } } }`, [4]outcome{
		deniedWithin(unauthenticated, `{"getVariantById":{"variantId":"$VS","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getVariantById":{"variantId":"$VS","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getVariantById":{"variantId":"$VS","stockMovements":null}}`),
		data(`{"getVariantById":{"variantId":"$VS","stockMovements":{"edges":[{"node":{"delta":600,"kind":"initial","variantId":"$VS","actor":"$ADMIN"}}]}}}`)}},
	{"Product.stockMovements(variantId) under a catalog read", `{ getProductsById(id: "$V") { productId stockMovements(variantId: "$VM", first: 10) { edges { node { delta variantId } } } } }`, [4]outcome{
		deniedWithin(unauthenticated, `{"getProductsById":{"productId":"$V","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getProductsById":{"productId":"$V","stockMovements":null}}`),
		deniedWithin(forbidden, `{"getProductsById":{"productId":"$V","stockMovements":null}}`),
		data(`{"getProductsById":{"productId":"$V","stockMovements":{"edges":[{"node":{"delta":600,"variantId":"$VM"}}]}}}`)}},
	{"lowStockVariants", `{ lowStockVariants(threshold: 600) { variantId stockCount product { productId } } }`,
		adminOnly(`{"lowStockVariants":[{"variantId":"$VS","stockCount":600,"product":{"productId":"$V"}},{"variantId":"$VM","stockCount":600,"product":{"productId":"$V"}}]}`)},

	{"categories", `{ categories { id name slug parent { id } children { id } productCount } }`,
		everyone(data(`{"categories":[{"id":"$C1","name":"Matrix","slug":"matrix","parent":null,"children":[],"productCount":0}]}`))},
	{"Product.category", `{ getProductsById(id: "$P1") { category { id } } }`,
		everyone(data(`{"getProductsById":{"category":null}}`))},

	// The admin's pricing (issue 20), on the state set up: $ZONE (US) with
	// one rate, the tax rate $TAX and the code $CODE.
	{"shippingZones", `{ shippingZones { zoneId name countries regions rates { name kind price } } }`,
		adminOnly(`{"shippingZones":[{"zoneId":"$ZONE","name":"Matrix zone","countries":["US"],"regions":[],"rates":[{"name":"Matrix rate","kind":"FLAT","price":5}]}]}`)},
	{"taxRates", `{ taxRates { taxRateId country region rate } }`,
		adminOnly(`{"taxRates":[{"taxRateId":"$TAX","country":"US","region":null,"rate":8.25}]}`)},
	{"discountCodes", `{ discountCodes(first: 10) { discountCodeId code usageCount } }`,
		adminOnly(`{"discountCodes":[{"discountCodeId":"$CODE","code":"MATRIX","usageCount":0}]}`)},
	{"discountCode", `{ discountCode(discountCodeId: "$CODE") { code kind value active } }`,
		adminOnly(`{"discountCode":{"code":"MATRIX","kind":"PERCENTAGE","value":10,"active":true}}`)},

	// Outbound webhooks (issue 21), on $WH, made for the matrix.
	{"webhookEndpoints", `{ webhookEndpoints { webhookEndpointId url events enabled secret } }`,
		adminOnly(`{"webhookEndpoints":[{"webhookEndpointId":"$WH","url":"https://203.0.113.7/matrix","events":["product.updated"],"enabled":true,"secret":null}]}`)},
	{"webhookEventTypes", `{ webhookEventTypes }`,
		adminOnly(`{"webhookEventTypes":["order.placed","order.status_changed","order.cancelled","payment.succeeded","payment.refunded","product.created","product.updated","product.deleted","stock.changed"]}`)},
	{"webhookDeliveries", `{ webhookDeliveries(endpointId: "$WH", status: "failed", first: 5) { edges { node { deliveryId } } pageInfo { hasNextPage } } }`,
		adminOnly(`{"webhookDeliveries":{"edges":[],"pageInfo":{"hasNextPage":false}}}`)},

	{"createCategory", `mutation { createCategory(name: "$NEW_CATEGORY") { name } }`,
		adminOnly(`{"createCategory":{"name":"$NEW_CATEGORY"}}`)},
	{"updateCategory", `mutation { updateCategory(id: "$C1", name: "Matrix") { slug } }`,
		adminOnly(`{"updateCategory":{"slug":"matrix"}}`)},
	{"deleteCategory", `mutation { deleteCategory(id: "$EMPTY_CATEGORY") }`,
		adminOnly(`{"deleteCategory":true}`)},
	{"createProduct", `mutation { createProduct(input: {price: 9.5, stockCount: 2}) { price stockCount } }`, [4]outcome{
		denied(unauthenticated), denied(forbidden), denied(forbidden), data(`{"createProduct":{"price":9.5,"stockCount":2}}`)}},
	{"updateProduct", `mutation { updateProduct(input: {productId: "$P3", stockCount: 7}) { stockCount } }`, [4]outcome{
		denied(unauthenticated), denied(forbidden), denied(forbidden), data(`{"updateProduct":{"stockCount":7}}`)}},
	{"deleteProduct", `mutation { deleteProduct(productId: "$DOOMED") }`, [4]outcome{
		denied(unauthenticated), denied(forbidden), denied(forbidden), data(`{"deleteProduct":true}`)}},
	{"createOrder, customerId left out: the caller", `mutation { createOrder(input: {items: [{productId: "$P1", quantity: 1}]}) { customerId totalAmount } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"createOrder":{"customerId":"$A","totalAmount":1}}`),
		data(`{"createOrder":{"customerId":"$B","totalAmount":1}}`),
		data(`{"createOrder":{"customerId":"$ADMIN","totalAmount":1}}`)}},
	{"createOrder for customer A", `mutation { createOrder(input: {customerId: "$A", items: [{productId: "$P2", quantity: 1}]}) { customerId } }`, [4]outcome{
		denied(unauthenticated), data(`{"createOrder":{"customerId":"$A"}}`), denied(forbidden), data(`{"createOrder":{"customerId":"$A"}}`)}},
	{"createOrder for a customer with no account", `mutation { createOrder(input: {customerId: "walk-in", items: [{productId: "$P2", quantity: 1}]}) { customerId } }`, [4]outcome{
		denied(unauthenticated), denied(forbidden), denied(forbidden), data(`{"createOrder":{"customerId":"walk-in"}}`)}},
	{"updateOrderStatus", `mutation { updateOrderStatus(orderId: "$PENDING_A", status: "paid") { orderId status } }`,
		adminOnly(`{"updateOrderStatus":{"orderId":"$PENDING_A","status":"paid"}}`)},
	{"cancelOrder(A's pending order): NOT_FOUND for B", `mutation { cancelOrder(orderId: "$PENDING_A", reason: "matrix") { orderId status } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"cancelOrder":{"orderId":"$PENDING_A","status":"cancelled"}}`),
		denied(notFound),
		data(`{"cancelOrder":{"orderId":"$PENDING_A","status":"cancelled"}}`)}},
	{"cancelOrder(A's paid order): only an admin", `mutation { cancelOrder(orderId: "$PAID_A") { orderId status } }`, [4]outcome{
		denied(unauthenticated), denied(forbidden), denied(notFound),
		data(`{"cancelOrder":{"orderId":"$PAID_A","status":"cancelled"}}`)}},
	{"addOrderNote", `mutation { addOrderNote(orderId: "$PENDING_A", message: "matrix") { orderId status } }`,
		adminOnly(`{"addOrderNote":{"orderId":"$PENDING_A","status":"pending"}}`)},
	{"cancelOrder(unknown)", `mutation { cancelOrder(orderId: "` + unknownID + `") { orderId } }`, [4]outcome{
		denied(unauthenticated), denied(notFound), denied(notFound), denied(notFound)}},
	{"createPayment(A's pending order): NOT_FOUND for B", `mutation { createPayment(orderId: "$PENDING_A") { amount currency status provider } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"createPayment":{"amount":4,"currency":"USD","status":"requires_payment_method","provider":"local"}}`),
		denied(notFound),
		data(`{"createPayment":{"amount":4,"currency":"USD","status":"requires_payment_method","provider":"local"}}`)}},
	{"createPayment(A's paid order): only while pending", `mutation { createPayment(orderId: "$PAID_A") { paymentId } }`, [4]outcome{
		denied(unauthenticated), denied("INVALID_TRANSITION"), denied(notFound), denied("INVALID_TRANSITION")}},
	{"confirmLocalPayment(A's payment)", `mutation { confirmLocalPayment(paymentId: "$PAYMENT_A") { orderId status payment { status } } }`,
		adminOnly(`{"confirmLocalPayment":{"orderId":"$PAYING_A","status":"paid","payment":{"status":"succeeded"}}}`)},
	{"adjustStock", `mutation { adjustStock(productId: "$P3", delta: 1, reason: "matrix") { productId } }`,
		adminOnly(`{"adjustStock":{"productId":"$P3"}}`)},
	// Variants' writes (issue 19), in an order the admin's cells build on:
	// $V gains L, S's price changes, XL is added to the options and
	// generated, an order and an adjustment move M's stock.
	{"createVariant", `mutation { createVariant(productId: "$V", input: {price: 7, options: [{name: "Size", value: "L"}]}) { title price stockCount } }`,
		adminOnly(`{"createVariant":{"title":"L","price":7,"stockCount":0}}`)},
	{"updateVariant", `mutation { updateVariant(variantId: "$VS", input: {price: 4.5}) { variantId price } }`,
		adminOnly(`{"updateVariant":{"variantId":"$VS","price":4.5}}`)},
	{"deleteVariant", `mutation { deleteVariant(variantId: "$SPARE_VARIANT") }`,
		adminOnly(`{"deleteVariant":true}`)},
	{"setProductOptions", `mutation { setProductOptions(productId: "$V", options: [{name: "Size", values: ["S", "M", "L", "XL"]}]) { options { name values } } }`,
		adminOnly(`{"setProductOptions":{"options":[{"name":"Size","values":["S","M","L","XL"]}]}}`)},
	{"generateVariants", `mutation { generateVariants(productId: "$V", price: 8, stockCount: 1) { variants { title } } }`,
		adminOnly(`{"generateVariants":{"variants":[{"title":"S"},{"title":"M"},{"title":"L"},{"title":"XL"}]}}`)},
	{"createOrder of a variant", `mutation { createOrder(input: {items: [{productId: "$V", variantId: "$VM", quantity: 1}]}) { customerId items { variantId title } } }`, [4]outcome{
		denied(unauthenticated),
		data(`{"createOrder":{"customerId":"$A","items":[{"variantId":"$VM","title":"M"}]}}`),
		data(`{"createOrder":{"customerId":"$B","items":[{"variantId":"$VM","title":"M"}]}}`),
		data(`{"createOrder":{"customerId":"$ADMIN","items":[{"variantId":"$VM","title":"M"}]}}`)}},
	{"adjustStock(variantId)", `mutation { adjustStock(variantId: "$VM", delta: 2, reason: "matrix") { productId stockCount } }`,
		adminOnly(`{"adjustStock":{"productId":"$V","stockCount":1200}}`)},
	{"adjustStock(productId, variantId)", `mutation { adjustStock(productId: "$V", variantId: "$VS", delta: -1, reason: "matrix") { productId stockCount } }`,
		adminOnly(`{"adjustStock":{"productId":"$V","stockCount":1199}}`)},

	// Carts (issue 20): a guest's cart ($GUEST_CART, fresh per cell, a
	// line of $P1) by anyone with its id; A's cart ($CART_A, fresh per
	// cell, its line $CART_A_LINE) by A alone: others CART_NOT_FOUND, an
	// admin reads it but is FORBIDDEN to change it. No cell completes a
	// cart (none has an address): checkoutComplete refuses with
	// BAD_USER_INPUT those who may reach the cart.
	{"cart(a guest's)", `{ cart(cartId: "$GUEST_CART") { closed lines { quantity } } }`,
		everyone(data(`{"cart":{"closed":false,"lines":[{"quantity":1}]}}`))},
	{"cart(A's)", `{ cart(cartId: "$CART_A") { closed } }`,
		[4]outcome{denied(cartNotFound), data(`{"cart":{"closed":false}}`), denied(cartNotFound), data(`{"cart":{"closed":false}}`)}},
	{"cartCreate", `mutation { cartCreate(input: {email: "shopper@shop.test"}) { email lines { quantity } } }`,
		everyone(data(`{"cartCreate":{"email":"shopper@shop.test","lines":[]}}`))},
	{"cartLinesAdd(a guest's)", `mutation { cartLinesAdd(cartId: "$GUEST_CART", lines: [{variantId: "$P1", quantity: 2}]) { lines { quantity } } }`,
		everyone(data(`{"cartLinesAdd":{"lines":[{"quantity":3}]}}`))},
	{"cartLinesAdd(A's)", `mutation { cartLinesAdd(cartId: "$CART_A", lines: [{variantId: "$P2", quantity: 1}]) { lines { quantity } } }`,
		cartOwnerOnly(`{"cartLinesAdd":{"lines":[{"quantity":1},{"quantity":1}]}}`)},
	{"cartLinesUpdate(A's)", `mutation { cartLinesUpdate(cartId: "$CART_A", lines: [{lineId: "$CART_A_LINE", quantity: 4}]) { lines { quantity } } }`,
		cartOwnerOnly(`{"cartLinesUpdate":{"lines":[{"quantity":4}]}}`)},
	{"cartLinesRemove(A's)", `mutation { cartLinesRemove(cartId: "$CART_A", lineIds: ["$CART_A_LINE"]) { lines { quantity } } }`,
		cartOwnerOnly(`{"cartLinesRemove":{"lines":[]}}`)},
	{"cartSetEmail(A's)", `mutation { cartSetEmail(cartId: "$CART_A", email: "a@shop.test") { email } }`,
		cartOwnerOnly(`{"cartSetEmail":{"email":"a@shop.test"}}`)},
	{"cartSetShippingAddress(A's)", `mutation { cartSetShippingAddress(cartId: "$CART_A", address: {name: "A", line1: "1 Main St", city: "Austin", region: "TX", postalCode: "78701", country: "US"}) { shippingAddress { region } availableShippingMethods { name } } }`,
		cartOwnerOnly(`{"cartSetShippingAddress":{"shippingAddress":{"region":"TX"},"availableShippingMethods":[{"name":"Matrix rate"}]}}`)},
	{"cartSetBillingAddress(A's)", `mutation { cartSetBillingAddress(cartId: "$CART_A", address: {name: "A", line1: "1 Rue", city: "Paris", postalCode: "75001", country: "FR"}) { billingAddress { country } } }`,
		cartOwnerOnly(`{"cartSetBillingAddress":{"billingAddress":{"country":"FR"}}}`)},
	{"cartSelectShippingMethod(A's): not offered, NO_SHIPPING_METHOD", `mutation { cartSelectShippingMethod(cartId: "$CART_A", shippingMethodId: "` + unknownID + `") { cartId } }`,
		[4]outcome{denied(cartNotFound), denied("NO_SHIPPING_METHOD"), denied(cartNotFound), denied(forbidden)}},
	{"cartApplyDiscountCode(A's): no such code", `mutation { cartApplyDiscountCode(cartId: "$CART_A", code: "NOPE") { cartId } }`,
		[4]outcome{denied(cartNotFound), denied("DISCOUNT_CODE_INVALID"), denied(cartNotFound), denied(forbidden)}},
	{"cartApplyDiscountCode(A's)", `mutation { cartApplyDiscountCode(cartId: "$CART_A", code: "matrix") { discountCode discountTotal } }`,
		cartOwnerOnly(`{"cartApplyDiscountCode":{"discountCode":"MATRIX","discountTotal":0.1}}`)},
	{"cartRemoveDiscountCode(A's)", `mutation { cartRemoveDiscountCode(cartId: "$CART_A") { discountCode } }`,
		cartOwnerOnly(`{"cartRemoveDiscountCode":{"discountCode":null}}`)},
	{"cartMerge(a guest's)", `mutation { cartMerge(cartId: "$GUEST_CART") { closed } }`,
		[4]outcome{denied(unauthenticated), data(`{"cartMerge":{"closed":false}}`), data(`{"cartMerge":{"closed":false}}`), data(`{"cartMerge":{"closed":false}}`)}},
	{"checkoutComplete(A's): no address yet", `mutation { checkoutComplete(cartId: "$CART_A") { orderId } }`,
		[4]outcome{denied(cartNotFound), denied("BAD_USER_INPUT"), denied(cartNotFound), denied(forbidden)}},
	{"checkoutComplete(a guest's): no email nor address yet", `mutation { checkoutComplete(cartId: "$GUEST_CART") { orderId } }`,
		everyone(denied("BAD_USER_INPUT"))},
	// The admin's pricing writes (issue 20); $GONE_ZONE, $GONE_RATE (in
	// $ZONE), $GONE_TAX and $GONE_CODE are fresh for each cell.
	{"createShippingZone", `mutation { createShippingZone(name: "Matrix west", countries: ["us"], regions: ["US-CA"]) { name countries regions rates { name } } }`,
		adminOnly(`{"createShippingZone":{"name":"Matrix west","countries":["US"],"regions":["US-CA"],"rates":[]}}`)},
	{"updateShippingZone", `mutation { updateShippingZone(zoneId: "$ZONE", name: "Matrix zone") { zoneId name } }`,
		adminOnly(`{"updateShippingZone":{"zoneId":"$ZONE","name":"Matrix zone"}}`)},
	{"deleteShippingZone", `mutation { deleteShippingZone(zoneId: "$GONE_ZONE") }`,
		adminOnly(`{"deleteShippingZone":true}`)},
	{"createShippingRate", `mutation { createShippingRate(zoneId: "$ZONE", input: {name: "Matrix express", kind: FREE_ABOVE, price: 15, freeAbove: 100}) { name kind price freeAbove } }`,
		adminOnly(`{"createShippingRate":{"name":"Matrix express","kind":"FREE_ABOVE","price":15,"freeAbove":100}}`)},
	{"deleteShippingRate", `mutation { deleteShippingRate(shippingMethodId: "$GONE_RATE") }`,
		adminOnly(`{"deleteShippingRate":true}`)},
	{"createTaxRate", `mutation { createTaxRate(country: "US", region: "US-CA", rate: 7.25, name: "Matrix CA") { country region rate appliesToShipping } }`,
		adminOnly(`{"createTaxRate":{"country":"US","region":"CA","rate":7.25,"appliesToShipping":false}}`)},
	{"deleteTaxRate", `mutation { deleteTaxRate(taxRateId: "$GONE_TAX") }`,
		adminOnly(`{"deleteTaxRate":true}`)},
	{"createDiscountCode", `mutation { createDiscountCode(input: {code: "Matrix-New", kind: FIXED_AMOUNT, value: 2.5, usageLimitPerCustomer: 1}) { code kind value usageLimitPerCustomer usageCount active } }`,
		adminOnly(`{"createDiscountCode":{"code":"Matrix-New","kind":"FIXED_AMOUNT","value":2.5,"usageLimitPerCustomer":1,"usageCount":0,"active":true}}`)},
	{"updateDiscountCode", `mutation { updateDiscountCode(discountCodeId: "$CODE", input: {usageLimit: 5}) { code usageLimit } }`,
		adminOnly(`{"updateDiscountCode":{"code":"MATRIX","usageLimit":5}}`)},
	{"deactivateDiscountCode", `mutation { deactivateDiscountCode(discountCodeId: "$GONE_CODE") { active } }`,
		adminOnly(`{"deactivateDiscountCode":{"active":false}}`)},

	{"createWebhookEndpoint", `mutation { createWebhookEndpoint(url: "https://203.0.113.8/new", events: ["*"], description: "Matrix") { url events description enabled } }`,
		adminOnly(`{"createWebhookEndpoint":{"url":"https://203.0.113.8/new","events":["*"],"description":"Matrix","enabled":true}}`)},
	{"updateWebhookEndpoint", `mutation { updateWebhookEndpoint(webhookEndpointId: "$WH", description: "Matrix hook") { webhookEndpointId description secret } }`,
		adminOnly(`{"updateWebhookEndpoint":{"webhookEndpointId":"$WH","description":"Matrix hook","secret":null}}`)},
	{"deleteWebhookEndpoint", `mutation { deleteWebhookEndpoint(webhookEndpointId: "$WH_GONE") }`,
		adminOnly(`{"deleteWebhookEndpoint":true}`)},
	{"replayWebhookDelivery", `mutation { replayWebhookDelivery(deliveryId: "$WH_DELIVERY") { endpointId eventType status } }`,
		adminOnly(`{"replayWebhookDelivery":{"endpointId":"$WH","eventType":"product.updated","status":"pending"}}`)},

	{"register", `mutation { register(input: {email: "$NEW_EMAIL", password: "a new password", name: "New"}) { user { email role } } }`,
		everyone(data(`{"register":{"user":{"email":"$NEW_EMAIL","role":"customer"}}}`))},
	{"login", `mutation { login(email: "$A_EMAIL", password: "` + testCustomerPassword + `") { user { id role } } }`,
		everyone(data(`{"login":{"user":{"id":"$A","role":"customer"}}}`))},
	{"refreshToken", `mutation { refreshToken(refreshToken: "$FRESH_REFRESH") { user { id } } }`,
		everyone(data(`{"refreshToken":{"user":{"id":"$A"}}}`))},
	{"logout", `mutation { logout(refreshToken: "$FRESH_REFRESH") }`,
		everyone(data(`{"logout":true}`))},
	// Password reset and email verification (issue 21): anyone may ask,
	// and is told true; a token decides the rest, whoever sends it.
	{"requestPasswordReset", `mutation { requestPasswordReset(email: "$A_EMAIL") }`,
		everyone(data(`{"requestPasswordReset":true}`))},
	{"requestPasswordReset(no account)", `mutation { requestPasswordReset(email: "$NEW_EMAIL") }`,
		everyone(data(`{"requestPasswordReset":true}`))},
	{"resetPassword", `mutation { resetPassword(token: "not-a-token", newPassword: "a new password") }`,
		everyone(denied("RESET_TOKEN_INVALID"))},
	{"requestEmailVerification", `mutation { requestEmailVerification }`,
		[4]outcome{denied(unauthenticated), data(`{"requestEmailVerification":true}`), data(`{"requestEmailVerification":true}`), data(`{"requestEmailVerification":true}`)}},
	{"verifyEmail", `mutation { verifyEmail(token: "not-a-token") }`,
		everyone(denied("RESET_TOKEN_INVALID"))},
	{"User.emailVerified", `{ me { emailVerified } }`, [4]outcome{
		data(`{"me":null}`), data(`{"me":{"emailVerified":false}}`), data(`{"me":{"emailVerified":false}}`), data(`{"me":{"emailVerified":false}}`)}},
}

// TestAuthorizationMatrix runs the matrix on the real server, on
// PostgreSQL and Redis, and then checks that no refused cell changed
// anything.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	roomForOrders(env) // customer A places an order for many cells
	// Every operation by four callers from one address: past 600 requests
	// a minute once issue 21's rows came, and the allowances are not
	// what this test is about.
	env["RATE_LIMIT_REQUESTS"], env["RATE_LIMIT_USER_REQUESTS"] = "0", "0"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	a, sessA := in.MustCustomer(t)
	b, sessB := in.MustCustomer(t)
	ids := map[string]string{
		"$P1": in.MustCreateProduct(t, 1, 1000), "$P2": in.MustCreateProduct(t, 2, 1000), "$P3": in.MustCreateProduct(t, 3, 1000),
		"$P4":     in.MustCreateProduct(t, 4, 1000),
		"$C1":     in.MustCategory(t, "Matrix", ""),
		"$HIDDEN": in.MustCreateProduct(t, 5, 1000),
		"$A":      a.ID, "$B": b.ID, "$ADMIN": admin.ID,
		"$A_EMAIL": sessA.User.Email, "$B_EMAIL": sessB.User.Email, "$ADMIN_EMAIL": testAdminEmail,
	}
	order := func(c *client, product string) string {
		var out struct{ CreateOrder struct{ OrderID string } }
		c.MustData(t, `mutation($p: String!) { createOrder(input: {items: [{productId: $p, quantity: 1}]}) { orderId } }`, map[string]any{"p": product}, &out)
		return out.CreateOrder.OrderID
	}
	var tee struct {
		CreateProduct struct {
			ProductID string
			Variants  []struct{ VariantID string }
		}
	}
	admin.MustData(t, `mutation { createProduct(input: {name: "Matrix tee", price: 6, stockCount: 600, options: [{name: "Size", values: ["S", "M", "L"]}],
		variants: [{price: 5, options: [{name: "Size", value: "S"}]}, {options: [{name: "Size", value: "M"}]}]}) { productId variants { variantId } } }`, nil, &tee)
	ids["$V"], ids["$VS"], ids["$VM"] = tee.CreateProduct.ProductID, tee.CreateProduct.Variants[0].VariantID, tee.CreateProduct.Variants[1].VariantID
	// A webhook endpoint (issue 21) hears of $HIDDEN's update: $WH_DELIVERY
	// is the delivery queued for it (to an address of a documentation
	// range, which never answers).
	var hook struct {
		CreateWebhookEndpoint struct{ WebhookEndpointID string }
	}
	admin.MustData(t, `mutation { createWebhookEndpoint(url: "https://203.0.113.7/matrix", events: ["product.updated"]) { webhookEndpointId } }`, nil, &hook)
	ids["$WH"] = hook.CreateWebhookEndpoint.WebhookEndpointID
	admin.MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, active: false}) { active } }`, map[string]any{"p": ids["$HIDDEN"]}, &struct{}{})
	ids["$WH_DELIVERY"] = mustWebhookDelivery(t, admin, ids["$WH"])
	var pricing struct {
		CreateShippingZone struct{ ZoneID string }
		CreateTaxRate      struct{ TaxRateID string }
		CreateDiscountCode struct{ DiscountCodeID string }
	}
	admin.MustData(t, `mutation { createShippingZone(name: "Matrix zone", countries: ["US"]) { zoneId } createTaxRate(country: "US", rate: 8.25, name: "Matrix tax") { taxRateId }
		createDiscountCode(input: {code: "MATRIX", kind: PERCENTAGE, value: 10}) { discountCodeId } }`, nil, &pricing)
	ids["$ZONE"], ids["$TAX"], ids["$CODE"] = pricing.CreateShippingZone.ZoneID, pricing.CreateTaxRate.TaxRateID, pricing.CreateDiscountCode.DiscountCodeID
	admin.MustData(t, `mutation($z: String!) { createShippingRate(zoneId: $z, input: {name: "Matrix rate", kind: FLAT, price: 5}) { name } }`, map[string]any{"z": ids["$ZONE"]}, &struct{}{})
	// The variants cells were to delete, and whether the cell did.
	doomedVariants := map[string]bool{}
	ids["$OA"] = order(a, ids["$P1"])
	ids["$OB"] = order(b, ids["$P2"])
	// The fresh orders cells made, with the status each had before the
	// cell and the one it must have after.
	type fresh struct{ id, before, after string }
	var made []fresh

	doomedTaxCountries := []string{"CA", "DE", "FR", "GB", "IT", "ES", "NL", "BE", "AT", "SE", "DK", "FI", "IE", "PT", "PL", "CZ"}
	goneTaxes := 0

	callers := [4]struct {
		name string
		c    *client
	}{{"anonymous", in.Anonymous()}, {"customer", a}, {"another customer", b}, {"admin", admin}}
	for _, row := range matrix {
		for i, caller := range callers {
			want := row.want[i]
			t.Run(row.op+"/"+caller.name, func(t *testing.T) {
				cell := map[string]string{}
				for k, v := range ids {
					cell[k] = v
				}
				if strings.Contains(row.doc, "$DOOMED") {
					cell["$DOOMED"] = in.MustCreateProduct(t, 4, 1)
				}
				if strings.Contains(row.doc, "$SPARE_VARIANT") {
					var out struct {
						CreateProduct struct{ Variants []struct{ VariantID string } }
					}
					admin.MustData(t, `mutation { createProduct(input: {price: 1, stockCount: 1, options: [{name: "Size", values: ["A", "B"]}]}) { variants { variantId } } }`, nil, &out)
					cell["$SPARE_VARIANT"] = out.CreateProduct.Variants[0].VariantID
					doomedVariants[cell["$SPARE_VARIANT"]] = caller.name == "admin"
				}
				if strings.Contains(row.doc, "$NEW_CATEGORY") {
					cell["$NEW_CATEGORY"] = testenv.RandomName("category-")
				}
				if strings.Contains(row.doc, "$EMPTY_CATEGORY") {
					cell["$EMPTY_CATEGORY"] = in.MustCategory(t, testenv.RandomName("empty-"), "")
				}
				if strings.Contains(row.doc, "$GUEST_CART") {
					var out struct{ CartCreate struct{ CartID string } }
					in.Anonymous().MustData(t, `mutation($v: String!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { cartId } }`, map[string]any{"v": ids["$P1"]}, &out)
					cell["$GUEST_CART"] = out.CartCreate.CartID
				}
				if strings.Contains(row.doc, "$CART_A") {
					var out struct {
						CartCreate struct {
							CartID string
							Lines  []struct{ LineID string }
						}
					}
					a.MustData(t, `mutation($v: String!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { cartId lines { lineId } } }`, map[string]any{"v": ids["$P1"]}, &out)
					cell["$CART_A"], cell["$CART_A_LINE"] = out.CartCreate.CartID, out.CartCreate.Lines[0].LineID
				}
				if strings.Contains(row.doc, "$GONE_") {
					var out struct {
						CreateShippingZone struct{ ZoneID string }
						CreateShippingRate struct{ ShippingMethodID string }
						CreateTaxRate      struct{ TaxRateID string }
						CreateDiscountCode struct{ DiscountCodeID string }
					}
					// Each doomed tax rate in a country of its own: a
					// country takes models.MaxRegionTaxRates whole-country
					// rates, and 16 cells make one each.
					country := doomedTaxCountries[goneTaxes%len(doomedTaxCountries)]
					goneTaxes++
					admin.MustData(t, `mutation($z: String!, $name: String!, $country: String!) { createShippingZone(name: $name, countries: ["CA"]) { zoneId }
						createShippingRate(zoneId: $z, input: {name: $name, kind: FLAT, price: 1}) { shippingMethodId }
						createTaxRate(country: $country, rate: 5, name: $name) { taxRateId }
						createDiscountCode(input: {code: $name, kind: FREE_SHIPPING}) { discountCodeId } }`,
						map[string]any{"z": ids["$ZONE"], "name": testenv.RandomName("doomed-"), "country": country}, &out)
					cell["$GONE_ZONE"], cell["$GONE_RATE"] = out.CreateShippingZone.ZoneID, out.CreateShippingRate.ShippingMethodID
					cell["$GONE_TAX"], cell["$GONE_CODE"] = out.CreateTaxRate.TaxRateID, out.CreateDiscountCode.DiscountCodeID
				}
				if strings.Contains(row.doc, "$WH_GONE") {
					var out struct {
						CreateWebhookEndpoint struct{ WebhookEndpointID string }
					}
					admin.MustData(t, `mutation { createWebhookEndpoint(url: "https://203.0.113.9/doomed", events: ["order.placed"]) { webhookEndpointId } }`, nil, &out)
					cell["$WH_GONE"] = out.CreateWebhookEndpoint.WebhookEndpointID
				}
				if strings.Contains(row.doc, "$NEW_EMAIL") {
					cell["$NEW_EMAIL"] = testenv.RandomName("new-") + "@shop.test"
				}
				if strings.Contains(row.doc, "$FRESH_REFRESH") {
					_, s := in.MustLogin(t, sessA.User.Email, testCustomerPassword)
					cell["$FRESH_REFRESH"] = s.RefreshToken
				}
				var f *fresh
				for _, placeholder := range []string{"$PENDING_A", "$PAID_A", "$PAYMENT_A"} {
					if strings.Contains(row.doc, placeholder) {
						f = &fresh{id: order(a, ids["$P4"]), before: "pending"}
						switch placeholder {
						case "$PAID_A":
							f.before = "paid"
							admin.MustData(t, `mutation($o: String!) { updateOrderStatus(orderId: $o, status: "paid") { status } }`, map[string]any{"o": f.id}, &struct{}{})
						case "$PAYMENT_A":
							cell["$PAYING_A"] = f.id
							cell[placeholder] = a.MustCreatePayment(t, f.id).PaymentID
						}
						f.after = f.before
						if placeholder != "$PAYMENT_A" {
							cell[placeholder] = f.id
						}
					}
				}
				r := caller.c.MustPost(t, substitute(row.doc, cell), nil)
				if f != nil {
					// The status this cell left the order in, when it moved it.
					var moved map[string]*struct{ Status string }
					_ = json.Unmarshal(r.Data, &moved)
					for _, o := range moved {
						if o != nil && o.Status != "" && r.Code() == "" && !strings.Contains(row.doc, "createPayment") {
							f.after = o.Status
						}
					}
					made = append(made, *f)
				}
				if want.code != "" {
					if r.Code() != want.code || r.Status != http.StatusOK {
						t.Fatalf("got %d %s (%+v), want %s", r.Status, r.Data, r.Errors, want.code)
					}
					if v, ok := valueAt(r.Data, r.Errors[0].Path); !ok || v != nil {
						t.Fatalf("refused, yet %v = %v in %s", r.Errors[0].Path, v, r.Data)
					}
					if want.data == "" {
						var fields map[string]any
						_ = json.Unmarshal(r.Data, &fields)
						for k, v := range fields {
							if v != nil {
								t.Fatalf("refused, yet %s = %v", k, v)
							}
						}
					} else if !isJSONEqual(r.Data, []byte(substitute(want.data, cell))) {
						t.Fatalf("got %s\nwant %s", r.Data, substitute(want.data, cell))
					}
					return
				}
				if len(r.Errors) > 0 || !isJSONEqual(r.Data, []byte(substitute(want.data, cell))) {
					t.Fatalf("got %s %+v\nwant %s", r.Data, r.Errors, substitute(want.data, cell))
				}
			})
		}
	}

	// The refused writes left no trace: 4 products + $V + the admin's new
	// one + the 3 doomed products the others could not delete + the 4
	// products of doomed variants ($HIDDEN is inactive); P3 as the admin
	// set it and then adjusted it by 1; the two orders set up + 3 + 2 + 1
	// + 3 made by allowed callers + the fresh ones cells made, each in the
	// status its cell left it, and P4's stock taken by those not
	// cancelled; $V as the admin's cells left it; each doomed variant
	// deleted by the admin's cell alone.
	var products struct{ GetProducts []struct{ ProductID string } }
	in.MustData(t, `{ getProducts { productId } }`, nil, &products)
	if n := len(products.GetProducts); n != 13 {
		t.Errorf("%d products, want 13", n)
	}
	var v struct {
		GetProductsById struct {
			StockCount int
			Variants   []struct {
				VariantID, Title string
				Price            float64
				StockCount       int
			}
		}
	}
	admin.MustData(t, `query($p: String!) { getProductsById(id: $p) { stockCount variants { variantId title price stockCount } } }`, map[string]any{"p": ids["$V"]}, &v)
	got, _ := json.Marshal(v.GetProductsById)
	want := substitute(`{"StockCount":1199,"Variants":[{"VariantID":"$VS","Title":"S","Price":4.5,"StockCount":599},{"VariantID":"$VM","Title":"M","Price":6,"StockCount":599},`, ids)
	if !strings.HasPrefix(string(got), want) || !strings.Contains(string(got), `"Title":"L","Price":7,"StockCount":0}`) ||
		!strings.HasSuffix(string(got), `"Title":"XL","Price":8,"StockCount":1}]}`) || len(v.GetProductsById.Variants) != 4 {
		t.Errorf("$V after the matrix: %s\nwant it to start %s, then L at 7 with 0 and XL at 8 with 1", got, want)
	}
	if len(doomedVariants) != 4 {
		t.Errorf("%d doomed variants, want 4", len(doomedVariants))
	}
	for id, deleted := range doomedVariants {
		var out struct{ GetVariantById *struct{ VariantID string } }
		admin.MustData(t, `query($v: String!) { getVariantById(variantId: $v) { variantId } }`, map[string]any{"v": id}, &out)
		if (out.GetVariantById == nil) != deleted {
			t.Errorf("variant %s: there %v, deleted by the admin's cell %v", id, out.GetVariantById != nil, deleted)
		}
	}
	// The pricing rows: the admin's cells made a zone, a rate, a tax rate
	// and a code, and deleted or deactivated one of each made for them;
	// the other 3 of each (4 per row of doomed ones, made for 4 rows) are
	// still there as they were.
	var priced struct {
		ShippingZones []struct {
			Name  string
			Rates []struct{ Name string }
		}
		TaxRates      []struct{ Name string }
		DiscountCodes []struct {
			Code       string
			Active     bool
			UsageLimit *int
		}
	}
	admin.MustData(t, `{ shippingZones { name rates { name } } taxRates { name } discountCodes(first: 100) { code active usageLimit } }`, nil, &priced)
	zones, rates := map[string]int{}, map[string]int{}
	for _, z := range priced.ShippingZones {
		zones[z.Name]++
		if z.Name == "Matrix zone" {
			for _, r := range z.Rates {
				rates[r.Name]++
			}
		}
	}
	active := 0
	for _, d := range priced.DiscountCodes {
		if d.Active {
			active++
		}
		if d.Code == "MATRIX" && (d.UsageLimit == nil || *d.UsageLimit != 5) {
			t.Errorf("MATRIX's usage limit is %v, want 5 (the admin's update)", d.UsageLimit)
		}
	}
	// Each of the 4 doomed rows made a zone, a rate, a tax rate and a code
	// for each of its 4 cells: 16 of each, of which the admin's cell of the
	// matching row removed one.
	if len(priced.ShippingZones) != 1+1+15 || zones["Matrix zone"] != 1 || zones["Matrix west"] != 1 ||
		len(rates) != 2+15 || rates["Matrix rate"] != 1 || rates["Matrix express"] != 1 {
		t.Errorf("zones %v (%d), rates of $ZONE %v", zones, len(priced.ShippingZones), rates)
	}
	if len(priced.TaxRates) != 1+1+15 || len(priced.DiscountCodes) != 1+1+16 || active != 1+1+15 {
		t.Errorf("%d tax rates, %d codes (%d active); want 17, 18 (17)", len(priced.TaxRates), len(priced.DiscountCodes), active)
	}
	if s := in.MustStock(t, ids["$P3"]); s != 8 {
		t.Errorf("P3's stock is %d, want 8", s)
	}
	var orders struct {
		GetOrders []struct{ OrderID, Status string }
	}
	admin.MustData(t, `{ getOrders { orderId status } }`, nil, &orders)
	if n := len(orders.GetOrders); n != 11+len(made) {
		t.Errorf("%d orders, want %d: %+v", n, 11+len(made), orders.GetOrders)
	}
	status := map[string]string{}
	for _, o := range orders.GetOrders {
		status[o.OrderID] = o.Status
	}
	held, refused := 0, 0
	for _, f := range made {
		if status[f.id] != f.after {
			t.Errorf("order %s is %q, want %q (it was %q)", f.id, status[f.id], f.after, f.before)
		}
		if f.after != "cancelled" {
			held++
		}
		if f.after == f.before {
			refused++
		}
	}
	// 16 for the lifecycle's rows (12 left as they were: a note leaves
	// the status); 12 for the payments' (all but the admin's
	// confirmLocalPayment left as they were: a payment started leaves its
	// order pending).
	if len(made) != 28 || refused != 23 {
		t.Errorf("%d fresh orders, %d left as they were; want 28 and 23", len(made), refused)
	}
	if s := in.MustStock(t, ids["$P4"]); s != 1000-held {
		t.Errorf("P4's stock is %d, want %d: 1000 less the %d fresh orders not cancelled", s, 1000-held, held)
	}
	// The webhook rows: $WH as the admin's update left it, the admin's new
	// endpoint, and 3 of the 4 made to be deleted (the admin's cell
	// deleted its own); $WH_DELIVERY and the admin's replay of it.
	var hooks struct {
		WebhookEndpoints []struct {
			WebhookEndpointID string
			Description       *string
		}
	}
	admin.MustData(t, `{ webhookEndpoints { webhookEndpointId description } }`, nil, &hooks)
	if n := len(hooks.WebhookEndpoints); n != 5 || hooks.WebhookEndpoints[0].WebhookEndpointID != ids["$WH"] ||
		hooks.WebhookEndpoints[0].Description == nil || *hooks.WebhookEndpoints[0].Description != "Matrix hook" {
		t.Errorf("webhook endpoints after the matrix: %d, first %+v; want 5, $WH described \"Matrix hook\"", n, hooks.WebhookEndpoints)
	}
	var replays struct {
		WebhookDeliveries struct {
			Edges []struct {
				Node struct{ DeliveryID, EventID string }
			}
		}
	}
	admin.MustData(t, `query($e: String!) { webhookDeliveries(endpointId: $e, first: 100) { edges { node { deliveryId eventId } } } }`, map[string]any{"e": ids["$WH"]}, &replays)
	event, copies := "", 0
	for _, e := range replays.WebhookDeliveries.Edges {
		if e.Node.DeliveryID == ids["$WH_DELIVERY"] {
			event = e.Node.EventID
		}
	}
	for _, e := range replays.WebhookDeliveries.Edges {
		if e.Node.EventID == event {
			copies++
		}
	}
	if event == "" || copies != 2 {
		t.Errorf("$WH_DELIVERY's event %q is in %d deliveries, want 2: the first and the admin's replay", event, copies)
	}
}

// TestAuthorizationMatrixCoversTheSchema: every query and mutation of the
// served schema (schema.graphql, which make test checks against the
// server) has a row in the matrix, so a new operation can't go untested
// for who may call it.
func TestAuthorizationMatrixCoversTheSchema(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "schema.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	root := ""
	// Descriptions first: their lines look like anything.
	text := regexp.MustCompile(`(?s)"""(.*?)"""`).ReplaceAllString(string(raw), "")
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "type Query {" || line == "type Mutation {":
			root = line
		case line == "}":
			root = ""
		case root != "" && len(line) > 2 && line[:2] == "  " && line[2] != ' ' && line[2] != '"':
			if name := regexp.MustCompile(`^  (\w+)[(:]`).FindStringSubmatch(line); name != nil {
				ops = append(ops, name[1])
			}
		}
	}
	if len(ops) < 30 {
		t.Fatalf("read %d operations from schema.graphql: %q", len(ops), ops)
	}
	for _, op := range ops {
		// An operation without arguments or a selection ends with its
		// selection set's "}".
		called := regexp.MustCompile(`[{\s]` + op + `\s*[({}]`)
		found := false
		for _, row := range matrix {
			found = found || called.MatchString(row.doc)
		}
		if !found {
			t.Errorf("no row of the matrix calls %s", op)
		}
	}
}

// valueAt is the value at path (an error's path) in a response's data, and
// whether the path leads anywhere; a null on the way is the value.
func valueAt(data json.RawMessage, path []any) (any, bool) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil, false
	}
	for _, step := range path {
		switch node := v.(type) {
		case nil:
			return nil, true
		case map[string]any:
			key, _ := step.(string)
			next, ok := node[key]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, ok := step.(float64)
			if !ok || int(i) < 0 || int(i) >= len(node) {
				return nil, false
			}
			v = node[int(i)]
		default:
			return nil, false
		}
	}
	return v, true
}

// TestBearerTokens: a missing token is anonymous; a bad one is a 401 with
// WWW-Authenticate and an UNAUTHENTICATED body, even on a catalog read,
// never a silent anonymous answer.
func TestBearerTokens(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	in := MustStart(t, env)
	customer, sess := in.MustCustomer(t)
	key := env["SECRET_KEY"]
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	good := customer.Token
	algNone, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": customer.ID, "role": "admin", "iss": "shop", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": customer.ID, "role": "admin", "iss": "shop", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString([]byte(key))

	query := `{ getProducts(limit: 1) { productId } }`
	for _, tc := range []struct {
		name, header string
	}{
		{"a byte of the signature flipped", "Bearer " + flip(good, len(good)-3)},
		{"a byte of the payload flipped", "Bearer " + flip(good, strings.Index(good, ".")+4)},
		{"expired", "Bearer " + MustSignAccessToken(t, key, customer.ID, "customer", -time.Minute)},
		{"signed with another key", "Bearer " + MustSignAccessToken(t, "another key that is at least 32 bytes long", customer.ID, "admin", time.Hour)},
		{"alg none", "Bearer " + algNone},
		{"HS512", "Bearer " + hs512},
		{"malformed", "Bearer not.a.token"},
		{"empty bearer", "Bearer "},
		{"Basic scheme", "Basic YWRtaW46cGFzc3dvcmQ="},
		{"token without a scheme", good},
		{"the refresh token as an access token", "Bearer " + sess.RefreshToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": query})
			req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tc.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			r := mustDecode(t, resp)
			if r.Status != http.StatusUnauthorized || r.Code() != unauthenticated || len(r.Data) != 0 && string(r.Data) != "null" {
				t.Fatalf("got %d %s %+v, want 401 UNAUTHENTICATED", r.Status, r.Data, r.Errors)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("an expired token says so", func(t *testing.T) {
		r := (&client{URL: in.URL, Token: MustSignAccessToken(t, key, customer.ID, "customer", -time.Minute)}).MustPost(t, query, nil)
		if !strings.Contains(r.Errors[0].Message, "expired") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
	})
	t.Run("no token is anonymous", func(t *testing.T) {
		if r := in.MustPost(t, query, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("got %d %+v", r.Status, r.Errors)
		}
	})
	t.Run("a good token works on every instance sharing SECRET_KEY", func(t *testing.T) {
		other := MustStart(t, env)
		var me struct{ Me struct{ ID string } }
		(&client{URL: other.URL, Token: good}).MustData(t, `{ me { id } }`, nil, &me)
		if me.Me.ID != customer.ID {
			t.Fatalf("me = %+v", me)
		}
	})
}

// TestRefreshThroughTheAPI: a mobile client's rotation, and what a stolen
// refresh token leads to.
func TestRefreshThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	_, first := in.MustCustomer(t)
	refresh := func(token string) gqlResponse {
		return in.MustPost(t, `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken expiresAt user { id } } }`, map[string]any{"t": token})
	}
	r := refresh(first.RefreshToken)
	var out struct {
		RefreshToken struct {
			AccessToken, RefreshToken, ExpiresAt string
			User                                 struct{ ID string }
		}
	}
	if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 {
		t.Fatalf("refresh: %s %+v", r.Data, r.Errors)
	}
	exp, err := time.Parse(time.RFC3339, out.RefreshToken.ExpiresAt)
	if err != nil || time.Until(exp) < 14*time.Minute || time.Until(exp) > 16*time.Minute || out.RefreshToken.User.ID != first.User.ID {
		t.Fatalf("new session %+v (%v)", out.RefreshToken, err)
	}
	second := out.RefreshToken.RefreshToken
	// The first token again (a thief's copy, or the victim after the thief
	// used it): refused, and the newest token of the family dies with it.
	if r := refresh(first.RefreshToken); r.Code() != unauthenticated {
		t.Fatalf("reuse: %+v", r.Errors)
	}
	if r := refresh(second); r.Code() != unauthenticated {
		t.Fatalf("the family's newest token survived reuse: %s %+v", r.Data, r.Errors)
	}
	if !strings.Contains(in.logs.String(), "presented again") {
		t.Fatal("the reuse was not logged")
	}
}

// TestPasswordsStayOutOfLogsAndErrors signs in wrongly and rightly, and
// registers badly, on an instance logging at debug, and looks for every
// password in its log and its answers.
func TestPasswordsStayOutOfLogsAndErrors(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["LOG_LEVEL"] = "debug"
	in := MustStart(t, env)
	_, sess := in.MustCustomer(t)
	const wrong, tooShort = "Wr0ng-guess-pa55", "sh0rt!"
	login := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`
	var answers []string
	for _, tc := range []struct{ email, password string }{
		{sess.User.Email, wrong},
		{"nobody@shop.test", wrong},
		{sess.User.Email, testCustomerPassword},
	} {
		r := in.MustPost(t, login, map[string]any{"e": tc.email, "p": tc.password})
		answers = append(answers, string(r.Data))
		for _, e := range r.Errors {
			answers = append(answers, e.Message)
			if e.Message != "Wrong email or password." || e.Extensions["code"] != unauthenticated {
				t.Fatalf("failed login: %+v", e)
			}
		}
	}
	r := in.MustPost(t, `mutation($in: RegisterInput!) { register(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": "x@shop.test", "password": tooShort, "name": "X"}})
	if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "password must be at least 8 bytes") {
		t.Fatalf("short password: %+v", r.Errors)
	}
	answers = append(answers, r.Errors[0].Message)
	logs := in.logs.String()
	if !strings.Contains(logs, `"msg":"login failed"`) || !strings.Contains(logs, `"level":"DEBUG"`) && !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("the log does not show the attempts:\n%s", logs)
	}
	for _, secret := range []string{wrong, tooShort, testCustomerPassword, testAdminPassword, env["SECRET_KEY"]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
		for _, a := range answers {
			if strings.Contains(a, secret) {
				t.Errorf("an answer holds %q: %s", secret, a)
			}
		}
	}
}

// TestFirstAdminOnTheEmbeddedDefault: `make run` on an empty directory
// creates admin@localhost with a random password shown once in the log;
// the key that signs tokens is kept beside the database, so a token
// outlives a restart, and the password is not shown again.
func TestFirstAdminOnTheEmbeddedDefault(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["ADMIN_EMAIL"], env["ADMIN_PASSWORD"] = "", ""
	in := MustStart(t, env)
	m := regexp.MustCompile(`created the admin account admin@localhost with password (\S+):`).FindStringSubmatch(in.logs.String())
	if m == nil {
		t.Fatalf("no password in the start-up log:\n%s", in.logs)
	}
	admin, s := in.MustLogin(t, "admin@localhost", m[1])
	if s.User.Role != "admin" {
		t.Fatalf("admin@localhost is a %s", s.User.Role)
	}
	admin.MustData(t, `mutation { createProduct(input: {price: 1, stockCount: 1}) { productId } }`, nil, &struct{}{})
	keyFile := filepath.Join(filepath.Dir(env["SQLITE_PATH"]), "secret.key")
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v, %v", st, err)
	}
	if err := in.Stop(); err != nil {
		t.Fatal(err)
	}

	again := MustStart(t, env)
	if strings.Contains(again.logs.String(), "created the admin account") {
		t.Fatal("a second admin password was made on restart")
	}
	var me struct{ Me struct{ Role string } }
	(&client{URL: again.URL, Token: admin.Token}).MustData(t, `{ me { role } }`, nil, &me)
	if me.Me.Role != "admin" {
		t.Fatalf("the token from before the restart: me = %+v", me)
	}
}

// TestAdminFromTheEnvironment: ADMIN_PASSWORD changes the admin's password
// at the next start, and is never logged.
func TestAdminFromTheEnvironment(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	first := MustStart(t, env)
	first.MustAdmin(t)
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	env["ADMIN_PASSWORD"] = "a changed admin password"
	in := MustStart(t, env)
	if r := in.MustPost(t, `mutation { login(email: "`+testAdminEmail+`", password: "`+testAdminPassword+`") { accessToken } }`, nil); r.Code() != unauthenticated {
		t.Fatalf("the old password still works: %+v", r.Errors)
	}
	in.MustAdmin(t)
	if strings.Contains(in.logs.String(), "a changed admin password") || strings.Contains(first.logs.String(), testAdminPassword) {
		t.Fatal("ADMIN_PASSWORD was logged")
	}
	if strings.Contains(in.logs.String(), "created the admin account") {
		t.Fatal("a random admin was made although ADMIN_EMAIL is set")
	}
}

// mustWebhookDelivery waits for a delivery queued for the endpoint and
// returns its id.
func mustWebhookDelivery(t *testing.T, admin *client, endpoint string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out struct {
			WebhookDeliveries struct {
				Edges []struct{ Node struct{ DeliveryID string } }
			}
		}
		admin.MustData(t, `query($e: String!) { webhookDeliveries(endpointId: $e) { edges { node { deliveryId } } } }`, map[string]any{"e": endpoint}, &out)
		if len(out.WebhookDeliveries.Edges) > 0 {
			return out.WebhookDeliveries.Edges[0].Node.DeliveryID
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery queued for endpoint %s in 10 s", endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
