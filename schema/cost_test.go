package schema_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"shop/config"
	"shop/docguard"
	"shop/errcode"
	"shop/internal/hostile"
	"shop/models"
	"shop/schema"
)

// IntrospectionQuery is GraphiQL's (graphql-js getIntrospectionQuery with
// its defaults), which it sends when it opens.
const IntrospectionQuery = `
    query IntrospectionQuery {
      __schema {
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          locations
          args {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                    ofType {
                      kind
                      name
                      ofType {
                        kind
                        name
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  `

// TestEveryListHasASize: a list field of objects with no size would make
// the cost blind to what it multiplies. Introspection's lists are walked
// on the schema as long as they are (docguard).
func TestEveryListHasASize(t *testing.T) {
	t.Parallel()
	sch, _ := MustSchema(t, nil, nil)
	sizes := schema.ListSizes(1000)
	for name, typ := range sch.TypeMap() {
		obj, ok := typ.(*graphql.Object)
		if !ok || strings.HasPrefix(name, "__") {
			continue
		}
		for fname, f := range obj.Fields() {
			t2 := f.Type
			if nn, ok := t2.(*graphql.NonNull); ok {
				t2 = nn.OfType
			}
			list, ok := t2.(*graphql.List)
			if !ok {
				continue
			}
			if _, leaf := graphql.GetNamed(list).(graphql.Leaf); leaf {
				continue
			}
			key := name + "." + fname
			if _, sized := sizes[key]; !sized && !schema.SizedByParent(key) {
				t.Errorf("list field %s has no size in schema.ListSizes", key)
			}
		}
	}
}

// TestDefaultLimitsFitTheAPI: every operation of docs/api.md, GraphiQL's
// introspection query and the largest legal page of orders (issue 7, for
// admins) pass the default limits, the cost with at least half of its
// maximum to spare.
func TestDefaultLimitsFitTheAPI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lim := cfg.DocumentLimits()
	sch, _ := MustSchema(t, nil, nil)
	guard := docguard.NewSchema(&sch, schema.Costs(cfg.MaxPageSize))
	docs := map[string]string{
		"CreateProduct": `mutation CreateProduct { createProduct(input: {price: 39.99, stockCount: 10}) { productId price stockCount lastUpdated } }`,
		"Products":      `query Products { getProducts(limit: 50, offset: 0) { productId price stockCount lastUpdated } }`,
		"Product":       `query Product($id: String!) { getProductsById(id: $id) { productId price stockCount lastUpdated } }`,
		"UpdateProduct": `mutation UpdateProduct($id: String!) { updateProduct(input: {productId: $id, price: 34.99}) { productId price stockCount } }`,
		"DeleteProduct": `mutation DeleteProduct($id: String!) { deleteProduct(productId: $id) }`,
		"CreateOrder": `mutation CreateOrder($id: String!) {
  createOrder(input: {customerId: "customer-42", items: [{productId: $id, quantity: 2}]}) {
    orderId customerId totalAmount status createdAt
    items { id productId quantity priceAtPurchase product { productId stockCount } }
  }
}`,
		"Orders":                  `query Orders { getOrders(limit: 20) { orderId customerId totalAmount status createdAt items { productId quantity priceAtPurchase } } }`,
		"Order":                   `query Order($orderId: String!) { getOrderById(orderId: $orderId) { orderId totalAmount status items { productId quantity priceAtPurchase product { price } } } }`,
		"Catalog":                 `query Catalog($after: String) { products(first: 50, after: $after) { edges { cursor node { productId price stockCount } } pageInfo { hasNextPage endCursor } } }`,
		"MyOrders":                `query MyOrders($after: String) { orders(first: 20, after: $after, customerId: "customer-42", status: "pending") { edges { node { orderId totalAmount items { productId quantity } } } pageInfo { hasNextPage endCursor } } }`,
		"Every product, no limit": `{ getProducts { productId price stockCount lastUpdated } }`,
		// The admin dashboard's (issue 11): they fit everyone's limit, so
		// the dashboard never depends on GRAPHQL_MAX_COST_ADMIN.
		"Dashboard home (issue 11)": `query Home { adminOverview(lowStockThreshold: 5) { ordersToShip ordersAwaitingPayment lowStockProducts outOfStockProducts lowStockThreshold today { date orders revenue } }
  salesReport(days: 366) { date orders revenue } }`,
		"Dashboard customers (issue 11)": `query Customers($after: String, $q: String) { customers(first: 100, after: $after, query: $q) {
  edges { cursor node { user { id email name role createdAt } orderCount totalSpent lastOrderAt } } pageInfo { hasNextPage endCursor } } }`,
		"Dashboard orders (issue 11)": `query Orders($q: String, $status: String, $after: String) { orders(first: 100, after: $after, query: $q, status: $status) {
  edges { cursor node { orderId customerId totalAmount status createdAt items { productId quantity } payment { status } } } pageInfo { hasNextPage endCursor } } }`,
		"Dashboard low stock (issue 11)": `query Low { products(first: 100, filter: {maxStock: 5, inStock: true}) { edges { node { productId name sku stockCount price imageUrls category { id name } } } } }`,
		// The dashboard's other screens (web/admin/src/screens), at their
		// largest pages.
		"Dashboard products (issue 17)": `query($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort) { products(first: $first, after: $after, filter: $filter, sort: $sort) {
  edges { node { productId name sku price stockCount active imageUrls category { id name } } } pageInfo { hasNextPage endCursor } } }`,
		"Dashboard categories (issue 17)":   `query { categories { id name slug productCount parent { id } } }`,
		"A page of descriptions (issue 17)": `{ products(first: 100) { edges { cursor node { productId name description price imageUrls } } pageInfo { hasNextPage endCursor } } }`,
		// The pricing screens (issue 20), every zone, rate and tax rate,
		// and the largest page of codes.
		"Dashboard shipping and taxes (issue 20)": `query { shippingZones { zoneId name countries regions rates { shippingMethodId name kind price freeAbove minWeightGrams maxWeightGrams } }
  taxRates { taxRateId country region name rate appliesToShipping } }`,
		"Dashboard discount codes (issue 20)": `query($after: String) { discountCodes(first: 100, after: $after) { discountCodeId code kind value appliesTo { productIds categoryIds }
  minSubtotal startsAt endsAt usageLimit usageLimitPerCustomer usageCount active } }`,
		"Dashboard order (issue 20)": `query($id: String!) { getOrderById(orderId: $id) { orderId status totalAmount createdAt lastUpdated customerId carrier trackingNumber
  email subtotal discountTotal shippingTotal taxTotal taxesIncluded discountCode
  shippingAddress { name company line1 line2 city region postalCode country phone } billingAddress { name company line1 line2 city region postalCode country phone }
  shippingMethod { shippingMethodId name price } taxLines { title rate amount }
  items { id productId variantId sku title options { name value } quantity priceAtPurchase product { productId name sku imageUrls }
    discountAllocations { code amount } taxLines { title rate amount } }
  payment { paymentId provider providerPaymentId status amount currency paidAt refundedAt failureMessage }
  events { status at actor message note } } }`,
		"Dashboard a code's products (issue 20)": `query($p0: String!, $p1: String!, $p2: String!, $p3: String!, $p4: String!, $p5: String!, $p6: String!, $p7: String!, $p8: String!, $p9: String!,
  $p10: String!, $p11: String!, $p12: String!, $p13: String!, $p14: String!, $p15: String!, $p16: String!, $p17: String!, $p18: String!, $p19: String!,
  $p20: String!, $p21: String!, $p22: String!, $p23: String!, $p24: String!) { ` + func() string {
			var b strings.Builder
			for j := range 25 {
				fmt.Fprintf(&b, "p%d: getProductsById(id: $p%d) { productId name } ", j, j)
			}
			return b.String()
		}() + "}",
		"IntrospectionQuery": IntrospectionQuery,
		"Largest page of orders (issue 7)": `{ getOrders(limit: 1000) { orderId customerId totalAmount status createdAt lastUpdated
  items { id productId quantity priceAtPurchase product { productId price stockCount lastUpdated } } } }`,
	}
	for name, text := range docs {
		src, err := docguard.Scan(text, lim)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc, err := docguard.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ops, err := docguard.Analyze(doc, lim, guard)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v := graphql.ValidateDocument(&sch, doc, nil); !v.IsValid {
			t.Fatalf("%s is not valid: %v", name, v.Errors)
		}
		for _, op := range ops {
			cost := op.Cost(nil, 0)
			t.Logf("%-34s %6d bytes %5d tokens, nesting %2d, cost %9d, %d database fields", name, len(text), src.Tokens, src.Depth, cost, op.DatabaseFields)
			max := lim.MaxCost
			if strings.Contains(name, "(issue 7)") {
				max = cfg.GraphQLMaxCostAdmin // an admin's page
			}
			if cost > max/2 {
				t.Errorf("%s costs %d, more than half of the maximum %d", name, cost, max)
			}
			if err := op.CheckDatabaseFields(lim.MaxDatabaseFields); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if strings.HasPrefix(name, "Introspection") != op.Introspection {
				t.Errorf("%s: Introspection = %v", name, op.Introspection)
			}
		}
	}
}

// Issue 17's attacks, with the default settings and shop's schema: 100
// aliases of a page of 100 descriptions (100 MB when they are 10,000
// characters) cost what they can return, and 100 aliased searches are
// 100 reads of the database. 100 aliases of the largest catalog page are
// refused too.
func TestDefaultLimitsRefuseIssue17(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lim := cfg.DocumentLimits()
	sch, _ := MustSchema(t, nil, nil)
	guard := docguard.NewSchema(&sch, schema.Costs(cfg.MaxPageSize))
	aliases := func(format string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&b, format, i, i)
		}
		return b.String() + " }"
	}
	analyze := func(text string) *docguard.Operation {
		t.Helper()
		src, err := docguard.Scan(text, lim)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := docguard.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := docguard.Analyze(doc, lim, guard)
		if err != nil {
			t.Fatal(err)
		}
		return ops[""]
	}
	// And the attack the cost limit was first set against: 100 aliases of
	// the largest catalog page, about 2 s of CPU.
	pages := analyze(aliases(" a%d: getProducts(limit: 1000) { productId price stockCount lastUpdated } # %d\n"))
	if err := pages.CheckCost(nil, lim.MaxCost); err == nil || err.Code != errcode.QueryTooComplex {
		t.Errorf("100 catalog pages cost %d: %v", pages.Cost(nil, 0), err)
	}
	descriptions := analyze(aliases(" a%d: products(first: 100) { edges { node { description } } } # %d\n"))
	if err := descriptions.CheckCost(nil, lim.MaxCost); err == nil || err.Code != errcode.QueryTooComplex {
		t.Errorf("100 pages of descriptions cost %d: %v", descriptions.Cost(nil, 0), err)
	}
	searches := analyze(aliases(` s%d: products(first: 1, sort: RELEVANCE, filter: {query: "mug", minPrice: %d}) { edges { node { productId } } }`))
	if err := searches.CheckDatabaseFields(lim.MaxDatabaseFields); err == nil || err.Code != errcode.TooManyDatabaseFields || searches.DatabaseFields != 100 {
		t.Errorf("100 searches: %d database fields, %v", searches.DatabaseFields, err)
	}
}

// Hostile finding 17.2: getOrderById reads the order's lines whatever it
// selects, so an alias of it costs at least as many as an order may have.
func TestOrderByIDCostsItsLines(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lim := cfg.DocumentLimits()
	sch, _ := MustSchema(t, nil, nil)
	guard := docguard.NewSchema(&sch, schema.Costs(cfg.MaxPageSize))
	text := `{ a: getOrderById(orderId: "o-1") { __typename } b: getOrderById(orderId: "o-2") { __typename } }`
	src, serr := docguard.Scan(text, lim)
	if serr != nil {
		t.Fatal(serr)
	}
	doc, perr := docguard.Parse(src)
	if perr != nil {
		t.Fatal(perr)
	}
	ops, aerr := docguard.Analyze(doc, lim, guard)
	if aerr != nil {
		t.Fatal(aerr)
	}
	if c := ops[""].Cost(nil, 0); c < 2*models.MaxOrderLines {
		t.Errorf("two getOrderById { __typename } cost %d, less than the %d lines they may read", c, 2*models.MaxOrderLines)
	}
}

// Every field named in the costs is one of the schema's.
func TestCostsNameFields(t *testing.T) {
	t.Parallel()
	sch, _ := MustSchema(t, nil, nil)
	exists := func(name string) bool {
		typ, field, _ := strings.Cut(name, ".")
		obj, ok := sch.Type(typ).(*graphql.Object)
		return ok && obj.Fields()[field] != nil
	}
	for name := range schema.ReadWeights() {
		if !exists(name) {
			t.Errorf("read weight of %s, which is not a field", name)
		}
	}
	for name := range schema.TextWeights() {
		if !exists(name) {
			t.Errorf("weight of %s, which is not a field", name)
		}
	}
	for name := range schema.DatabaseFields() {
		if !exists(name) {
			t.Errorf("%s reaches the database, but is not a field", name)
		}
	}
}

// TestEveryRootFieldDeclaresItsCache: whether a root query field's answer
// may be kept, and for whom, is declared once, in schema.Cacheability; a
// new root field must say so there, and the declaration names only fields
// that exist.
func TestEveryRootFieldDeclaresItsCache(t *testing.T) {
	t.Parallel()
	sch, _ := MustSchema(t, nil, nil)
	declared := schema.Cacheability()
	for name := range sch.QueryType().Fields() {
		if _, ok := declared["Query."+name]; !ok {
			t.Errorf("Query.%s has no entry in schema.Cacheability", name)
		}
	}
	for name := range declared {
		typ, field, _ := strings.Cut(name, ".")
		if typ != "Query" || sch.QueryType().Fields()[field] == nil {
			t.Errorf("schema.Cacheability declares %s, which is not a root query field", name)
		}
	}
	if declared["Query.me"] != docguard.CacheNever || declared["Query.customers"] != docguard.CacheNever {
		t.Errorf("me and customers must never be kept: %v %v", declared["Query.me"], declared["Query.customers"])
	}
}

// TestEveryTextFieldIsWeighed: a text field that can hold more than 100
// characters must weigh what it can return (schema.TextWeights), or a
// page of it costs as little as a page of numbers. The fields below hold
// at most 100 (ids, states, codes, short names, order cursors); a new
// text field must join them or the weights.
func TestEveryTextFieldIsWeighed(t *testing.T) {
	t.Parallel()
	short := map[string]bool{
		"AuthPayload.accessToken": true, "AuthPayload.deviceToken": true, "AuthPayload.refreshToken": true, // mutations' answers, one each
		"Category.id": true, "Category.name": true, "CustomerEdge.cursor": true,
		"Order.carrier": true, "Order.orderId": true, "Order.status": true, "Order.trackingNumber": true, "OrderEdge.cursor": true,
		"OrderEvent.actor": true, "OrderEvent.status": true, "OrderEvent.orderId": true, "OrderItem.id": true, "OrderItem.productId": true,
		"Payment.currency": true, "Payment.paymentId": true, "Payment.provider": true, "Payment.providerPaymentId": true, "Payment.status": true,
		"PaymentSession.clientSecret": true, "PaymentSession.currency": true, "PaymentSession.paymentId": true, "PaymentSession.provider": true,
		"PaymentSession.status": true, "Product.productId": true, "Product.sku": true, "SalesDay.date": true,
		"StockMovement.actor": true, "StockMovement.kind": true, "StockMovement.orderId": true, "StockMovementEdge.cursor": true,
		"User.id": true, "User.name": true, "User.role": true,
		"ProductVariant.variantId": true, "ProductVariant.sku": true, "OrderItem.variantId": true, "OrderItem.sku": true, "StockMovement.variantId": true,
		// Checkout's: ids, codes (64), currencies, rate and method names
		// (100), postal codes (20), countries, phones (40).
		"Address.country": true, "Address.phone": true, "Address.postalCode": true, "Cart.cartId": true, "Cart.currency": true,
		"Cart.discountCode": true, "Cart.orderId": true, "CartLine.lineId": true, "CartWarning.code": true, "CartWarning.lineId": true,
		"DiscountAllocation.code": true, "Order.discountCode": true, "ShippingMethod.name": true, "ShippingMethod.shippingMethodId": true,
		"TaxLine.title": true,
		// Issue 20's pricing: ids, codes (at most 64) and names (at most 100).
		"ShippingZone.zoneId": true, "ShippingZone.name": true, "ShippingRate.shippingMethodId": true, "ShippingRate.name": true,
		"TaxRate.taxRateId": true, "TaxRate.country": true, "TaxRate.region": true, "TaxRate.name": true,
		"DiscountCode.discountCodeId": true, "DiscountCode.code": true,
	}
	sch, _ := MustSchema(t, nil, nil)
	weights := schema.TextWeights()
	for name, typ := range sch.TypeMap() {
		obj, ok := typ.(*graphql.Object)
		if !ok || strings.HasPrefix(name, "__") {
			continue
		}
		for fname, f := range obj.Fields() {
			if graphql.GetNamed(f.Type) != graphql.String {
				continue
			}
			key := name + "." + fname
			if _, ok := weights[key]; !ok && !short[key] {
				t.Errorf("text field %s has no weight in schema.TextWeights, and is not known to be short", key)
			}
		}
	}
}

// TestIntrospectionCostIsItsAnswer: GraphiQL's introspection query costs
// what its answer holds on shop's schema, every field of every object
// (docguard walks the schema), so it grows with the schema, not with the
// product of its largest type, field and argument lists.
func TestIntrospectionCostIsItsAnswer(t *testing.T) {
	t.Parallel()
	sch, r := MustSchema(t, nil, nil)
	guard := docguard.NewSchema(&sch, schema.Costs(1000))
	src, serr := docguard.Scan(IntrospectionQuery, docguard.Limits{})
	if serr != nil {
		t.Fatal(serr)
	}
	doc, perr := docguard.Parse(src)
	if perr != nil {
		t.Fatal(perr)
	}
	ops, err := docguard.Analyze(doc, docguard.Limits{}, guard)
	if err != nil {
		t.Fatal(err)
	}
	res := do(sch, r, IntrospectionQuery)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	raw, merr := json.Marshal(res.Data)
	if merr != nil {
		t.Fatal(merr)
	}
	var answer any
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatal(err)
	}
	if got, want := ops[""].Cost(nil, 0), answerFields(answer); got != want {
		t.Errorf("GraphiQL's introspection costs %d; its answer has %d fields", got, want)
	}
}

// answerFields counts an answer's fields as the cost does: each key of
// each object, a list of leaves as one.
func answerFields(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n += 1 + answerFields(x)
		}
	case []any:
		for _, x := range v {
			n += answerFields(x)
		}
	}
	return n
}

// TestHostileIntrospectionIsRefusedQuickly: with the default limits, the
// costliest introspection a document may hold on shop's schema (as many
// aliases of every type's fields, arguments and types, two levels deep,
// as the field limit allows) is refused for its cost in milliseconds:
// docguard stops walking the schema once the cost passes the maximum.
// Not parallel: it times.
func TestHostileIntrospectionIsRefusedQuickly(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lim := cfg.DocumentLimits()
	sch, _ := MustSchema(t, nil, nil)
	guard := docguard.NewSchema(&sch, schema.Costs(cfg.MaxPageSize))
	const levels = 2
	text := hostile.WideIntrospection(min(lim.MaxAliases, lim.MaxFields/(4+10*levels)), levels)
	src, serr := docguard.Scan(text, lim)
	if serr != nil {
		t.Fatal(serr)
	}
	doc, perr := docguard.Parse(src)
	if perr != nil {
		t.Fatal(perr)
	}
	ops, aerr := docguard.Analyze(doc, lim, guard)
	if aerr != nil {
		t.Fatal(aerr)
	}
	if v := graphql.ValidateDocument(&sch, doc, nil); !v.IsValid {
		t.Fatalf("not valid: %v", v.Errors)
	}
	for _, max := range []int{lim.MaxCost, cfg.GraphQLMaxCostAdmin} {
		took := time.Duration(math.MaxInt64)
		for range 3 { // the quickest of three: the machine is shared
			start := time.Now()
			err := ops[""].CheckCost(nil, max)
			took = min(took, time.Since(start))
			if max == lim.MaxCost && (err == nil || err.Code != errcode.QueryTooComplex) {
				t.Fatalf("CheckCost(%d) = %v", max, err)
			}
		}
		t.Logf("%d bytes, %d tokens, nesting %d: checked against %s in %v", len(text), src.Tokens, src.Depth, docguard.Count(max), took)
		if limit := 25 * time.Millisecond * time.Duration(max/lim.MaxCost) * raceSlowdown; took > limit {
			t.Errorf("checking the cost took %v under a maximum of %d (at most %v)", took, max, limit)
		}
	}
	if c := ops[""].Cost(nil, 0); c <= lim.MaxCost {
		t.Errorf("it costs %d, not more than the maximum", c)
	} else {
		t.Logf("it costs %d", c)
	}
}
