package schema_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/catalog"
	"shop/internal/storetest"
	"shop/models"
	"shop/pricing"
	"shop/resolvers"
	"shop/schema"
	"shop/store"
)

// pricingAPI runs documents on the schema over a store, as the caller it
// is given, the way app wires the pricing service.
type pricingAPI struct {
	t   *testing.T
	sch graphql.Schema
	r   *resolvers.Resolver
}

func newPricingAPI(t *testing.T, st *store.Store) pricingAPI {
	t.Helper()
	r := resolvers.New(resolvers.Services{Catalog: catalog.New(st, st, 100), Pricing: pricing.New(st, st)}, nil)
	sch, err := schema.New(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pricingAPI{t: t, sch: sch, r: r}
}

var (
	anonymous = models.Caller{}
	customer  = models.Caller{UserID: "00000000-0000-4000-8000-0000000000c1", Role: models.RoleCustomer}
	admin     = models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin}
)

// run returns the data as JSON and the errors' codes and fields.
func (a pricingAPI) run(c models.Caller, doc string, vars map[string]any) (string, []string) {
	a.t.Helper()
	ctx := a.r.WithLoaders(auth.WithCaller(context.Background(), c))
	res := graphql.Do(graphql.Params{Schema: a.sch, RequestString: doc, VariableValues: vars, Context: ctx})
	data, _ := json.Marshal(res.Data)
	var codes []string
	for _, e := range res.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "no code: " + e.Message
		}
		if fields, ok := e.Extensions["fields"].([]models.FieldError); ok {
			for _, f := range fields {
				code += " " + f.Field
			}
		}
		codes = append(codes, code)
	}
	return string(data), codes
}

// must runs doc as the admin, fails on any error, and decodes the data
// into out (when not nil).
func (a pricingAPI) must(doc string, vars map[string]any, out any) string {
	a.t.Helper()
	data, codes := a.run(admin, doc, vars)
	if len(codes) > 0 {
		a.t.Fatalf("%s: %v", doc, codes)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(data), out); err != nil {
			a.t.Fatal(err)
		}
	}
	return data
}

// refused runs doc as the admin and checks it is refused with want (a code
// and the fields it names).
func (a pricingAPI) refused(doc string, vars map[string]any, want string) {
	a.t.Helper()
	_, codes := a.run(admin, doc, vars)
	if len(codes) != 1 || codes[0] != want {
		a.t.Errorf("%s: errors %q, want %q", doc, codes, want)
	}
}

// TestShippingThroughTheAPI: zones and rates created, read, changed and
// deleted as the dashboard will, with every refusal naming its field.
func TestShippingThroughTheAPI(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, st *store.Store) {
		api := newPricingAPI(t, st)
		var zone struct {
			CreateShippingZone struct{ ZoneID string }
		}
		got := api.must(`mutation { createShippingZone(name: " West ", countries: ["us", "CA", "US"], regions: ["us-ca", "CA-BC"]) { zoneId name countries regions rates { name } } }`, nil, &zone)
		id := zone.CreateShippingZone.ZoneID
		if want := `{"createShippingZone":{"countries":["US","CA"],"name":"West","rates":[],"regions":["US-CA","CA-BC"],"zoneId":"` + id + `"}}`; got != want {
			t.Fatalf("created %s\nwant %s", got, want)
		}
		vars := map[string]any{"z": id}
		api.must(`mutation($z: String!) {
			a: createShippingRate(zoneId: $z, input: {name: "Express", kind: FLAT, price: 25}) { shippingMethodId }
			b: createShippingRate(zoneId: $z, input: {name: "Standard", kind: FREE_ABOVE, price: 4.99, freeAbove: 50}) { shippingMethodId }
			c: createShippingRate(zoneId: $z, input: {name: "Letter", kind: BY_WEIGHT, price: 1.2, maxWeightGrams: 100}) { shippingMethodId }
		}`, vars, nil)
		got = api.must(`{ shippingZones { name rates { name kind price freeAbove minWeightGrams maxWeightGrams } } }`, nil, nil)
		want := `{"shippingZones":[{"name":"West","rates":[` +
			`{"freeAbove":null,"kind":"BY_WEIGHT","maxWeightGrams":100,"minWeightGrams":null,"name":"Letter","price":1.2},` +
			`{"freeAbove":50,"kind":"FREE_ABOVE","maxWeightGrams":null,"minWeightGrams":null,"name":"Standard","price":4.99},` +
			`{"freeAbove":null,"kind":"FLAT","maxWeightGrams":null,"minWeightGrams":null,"name":"Express","price":25}]}]}`
		if got != want {
			t.Fatalf("zones %s\nwant %s", got, want)
		}

		api.refused(`mutation($z: String!) { createShippingRate(zoneId: $z, input: {name: "x", kind: FREE_ABOVE, price: 1}) { name } }`, vars, "BAD_USER_INPUT input.freeAbove")
		api.refused(`mutation($z: String!) { createShippingRate(zoneId: $z, input: {name: "x", kind: BY_WEIGHT, price: 1, minWeightGrams: 9, maxWeightGrams: 1}) { name } }`, vars, "BAD_USER_INPUT input.maxWeightGrams")
		api.refused(`mutation { createShippingRate(zoneId: "00000000-0000-4000-8000-000000000000", input: {name: "x", kind: FLAT, price: 1}) { name } }`, nil, "BAD_USER_INPUT zoneId")
		api.refused(`mutation { createShippingZone(name: "x", countries: ["US"], regions: ["CA-QC"]) { name } }`, nil, "BAD_USER_INPUT regions[0]")
		api.refused(`mutation { createShippingZone(name: "x", countries: []) { name } }`, nil, "BAD_USER_INPUT countries")
		// Dropping Canada leaves CA-BC without its country.
		api.refused(`mutation($z: String!) { updateShippingZone(zoneId: $z, countries: ["US"]) { name } }`, vars, "BAD_USER_INPUT regions[1]")

		got = api.must(`mutation($z: String!) { updateShippingZone(zoneId: $z, name: "USA", countries: ["US"], regions: []) { name countries regions rates { name } } }`, vars, nil)
		if want := `{"updateShippingZone":{"countries":["US"],"name":"USA","rates":[{"name":"Letter"},{"name":"Standard"},{"name":"Express"}],"regions":[]}}`; got != want {
			t.Fatalf("updated %s\nwant %s", got, want)
		}
		if got := api.must(`mutation { updateShippingZone(zoneId: "00000000-0000-4000-8000-000000000000", name: "x") { name } }`, nil, nil); got != `{"updateShippingZone":null}` {
			t.Fatalf("update of no zone: %s", got)
		}

		var zones struct {
			ShippingZones []struct {
				Rates []struct{ ShippingMethodID string }
			}
		}
		api.must(`{ shippingZones { rates { shippingMethodId } } }`, nil, &zones)
		rateVars := map[string]any{"r": zones.ShippingZones[0].Rates[0].ShippingMethodID}
		for i, want := range []string{`{"deleteShippingRate":true}`, `{"deleteShippingRate":false}`} {
			if got := api.must(`mutation($r: String!) { deleteShippingRate(shippingMethodId: $r) }`, rateVars, nil); got != want {
				t.Fatalf("delete rate, time %d: %s", i+1, got)
			}
		}
		for i, want := range []string{`{"deleteShippingZone":true}`, `{"deleteShippingZone":false}`} {
			if got := api.must(`mutation($z: String!) { deleteShippingZone(zoneId: $z) }`, vars, nil); got != want {
				t.Fatalf("delete zone, time %d: %s", i+1, got)
			}
		}
		if got := api.must(`{ shippingZones { name } }`, nil, nil); got != `{"shippingZones":[]}` {
			t.Fatalf("after the delete: %s", got)
		}
		api.refused(`mutation { deleteShippingZone(zoneId: "nope") }`, nil, "BAD_USER_INPUT zoneId")
	})
}

// TestTaxRatesThroughTheAPI: rates as percentages with 3 decimals at
// most, regions as addresses write them, a name taken refused, a region's
// fifth rate refused.
func TestTaxRatesThroughTheAPI(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, st *store.Store) {
		api := newPricingAPI(t, st)
		api.must(`mutation {
			a: createTaxRate(country: "us", region: "US-CA", rate: 7.25, name: "California") { taxRateId }
			b: createTaxRate(country: "CA", rate: 5, name: "GST", appliesToShipping: true) { taxRateId }
			c: createTaxRate(country: "CA", region: "qc", rate: 9.975, name: "QST") { taxRateId }
		}`, nil, nil)
		got := api.must(`{ taxRates { country region name rate appliesToShipping } }`, nil, nil)
		want := `{"taxRates":[{"appliesToShipping":true,"country":"CA","name":"GST","rate":5,"region":null},` +
			`{"appliesToShipping":false,"country":"CA","name":"QST","rate":9.975,"region":"QC"},` +
			`{"appliesToShipping":false,"country":"US","name":"California","rate":7.25,"region":"CA"}]}`
		if got != want {
			t.Fatalf("rates %s\nwant %s", got, want)
		}
		api.refused(`mutation { createTaxRate(country: "CA", region: "QC", rate: 1, name: "QST") { taxRateId } }`, nil, "CONFLICT name")
		api.refused(`mutation { createTaxRate(country: "US", rate: 8.2525, name: "x") { taxRateId } }`, nil, "BAD_USER_INPUT rate")
		api.refused(`mutation { createTaxRate(country: "US", region: "QC", rate: 101, name: "x") { taxRateId } }`, nil, "BAD_USER_INPUT region rate")
		// Quebec has QST; three more fill it (models.MaxRegionTaxRates),
		// and a fifth is refused, on region.
		api.must(`mutation {
			a: createTaxRate(country: "CA", region: "QC", rate: 1, name: "Q1") { taxRateId }
			b: createTaxRate(country: "CA", region: "QC", rate: 1, name: "Q2") { taxRateId }
			c: createTaxRate(country: "CA", region: "QC", rate: 1, name: "Q3") { taxRateId }
		}`, nil, nil)
		api.refused(`mutation { createTaxRate(country: "CA", region: "CA-QC", rate: 1, name: "Q4") { taxRateId } }`, nil, "BAD_USER_INPUT region")

		var rates struct{ TaxRates []struct{ TaxRateID string } }
		api.must(`{ taxRates { taxRateId } }`, nil, &rates)
		vars := map[string]any{"t": rates.TaxRates[0].TaxRateID}
		for i, want := range []string{`{"deleteTaxRate":true}`, `{"deleteTaxRate":false}`} {
			if got := api.must(`mutation($t: String!) { deleteTaxRate(taxRateId: $t) }`, vars, nil); got != want {
				t.Fatalf("delete, time %d: %s", i+1, got)
			}
		}
	})
}

// TestDiscountCodesThroughTheAPI: a code created with every field, read
// back, found whatever its case, changed, deactivated and paged.
func TestDiscountCodesThroughTheAPI(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, st *store.Store) {
		api := newPricingAPI(t, st)
		var made struct {
			CreateCategory struct{ ID string }
			CreateProduct  struct{ ProductID string }
		}
		api.must(`mutation { createCategory(name: "Sale") { id } createProduct(input: {price: 10, stockCount: 1}) { productId } }`, nil, &made)
		vars := map[string]any{"in": map[string]any{
			"code": "Black-Friday", "kind": "PERCENTAGE", "value": 33.333, "minSubtotal": 20,
			"appliesTo": map[string]any{"productIds": []any{made.CreateProduct.ProductID}, "categoryIds": []any{made.CreateCategory.ID}},
			"startsAt":  "2026-11-27T00:00:00-05:00", "endsAt": "2026-11-30T23:59:59Z", "usageLimit": 100, "usageLimitPerCustomer": 1,
		}}
		const fields = `code kind value appliesTo { productIds categoryIds } minSubtotal startsAt endsAt usageLimit usageLimitPerCustomer usageCount active`
		var code struct {
			CreateDiscountCode struct{ DiscountCodeID string }
		}
		got := api.must(`mutation($in: DiscountCodeInput!) { createDiscountCode(input: $in) { discountCodeId `+fields+` } }`, vars, &code)
		id := code.CreateDiscountCode.DiscountCodeID
		want := `{"createDiscountCode":{"active":true,"appliesTo":{"categoryIds":["` + made.CreateCategory.ID + `"],"productIds":["` + made.CreateProduct.ProductID + `"]},` +
			`"code":"Black-Friday","discountCodeId":"` + id + `","endsAt":"2026-11-30T23:59:59.000Z","kind":"PERCENTAGE","minSubtotal":20,` +
			`"startsAt":"2026-11-27T05:00:00.000Z","usageCount":0,"usageLimit":100,"usageLimitPerCustomer":1,"value":33.333}}`
		if got != want {
			t.Fatalf("created %s\nwant %s", got, want)
		}
		if got := api.must(`query($id: String!) { discountCode(discountCodeId: $id) { `+fields+` } }`, map[string]any{"id": id}, nil); !strings.Contains(got, `"code":"Black-Friday"`) {
			t.Fatalf("read back %s", got)
		}
		if got := api.must(`{ discountCode(discountCodeId: "00000000-0000-4000-8000-000000000000") { code } }`, nil, nil); got != `{"discountCode":null}` {
			t.Fatalf("no such code: %s", got)
		}
		// Codes are unique whatever their case.
		api.refused(`mutation { createDiscountCode(input: {code: "BLACK-friday", kind: FREE_SHIPPING}) { code } }`, nil, "CONFLICT input.code")
		api.refused(`mutation { createDiscountCode(input: {code: "two words", kind: FIXED_AMOUNT}) { code } }`, nil, "BAD_USER_INPUT input.code input.value")
		api.refused(`mutation { createDiscountCode(input: {code: "X", kind: FREE_SHIPPING, appliesTo: {productIds: ["00000000-0000-4000-8000-000000000000"]}}) { code } }`, nil,
			"BAD_USER_INPUT input.appliesTo.productIds")

		idVars := map[string]any{"id": id}
		got = api.must(`mutation($id: String!) { updateDiscountCode(discountCodeId: $id, input: {kind: FIXED_AMOUNT, value: 5, appliesTo: {}, startsAt: "", usageLimit: -1}) { `+fields+` } }`, idVars, nil)
		want = `{"updateDiscountCode":{"active":true,"appliesTo":{"categoryIds":[],"productIds":[]},"code":"Black-Friday","endsAt":"2026-11-30T23:59:59.000Z",` +
			`"kind":"FIXED_AMOUNT","minSubtotal":20,"startsAt":null,"usageCount":0,"usageLimit":null,"usageLimitPerCustomer":1,"value":5}}`
		if got != want {
			t.Fatalf("updated %s\nwant %s", got, want)
		}
		api.refused(`mutation($id: String!) { updateDiscountCode(discountCodeId: $id, input: {kind: PERCENTAGE}) { code } }`, idVars, "BAD_USER_INPUT input.value")
		api.refused(`mutation { updateDiscountCode(discountCodeId: "00000000-0000-4000-8000-000000000000", input: {active: true}) { code } }`, nil, "NOT_FOUND")
		if got := api.must(`mutation($id: String!) { deactivateDiscountCode(discountCodeId: $id) { active value } }`, idVars, nil); got != `{"deactivateDiscountCode":{"active":false,"value":5}}` {
			t.Fatalf("deactivated: %s", got)
		}
		if got := api.must(`mutation($id: String!) { updateDiscountCode(discountCodeId: $id, input: {active: true, kind: FREE_SHIPPING}) { active kind value } }`, idVars, nil); got != `{"updateDiscountCode":{"active":true,"kind":"FREE_SHIPPING","value":null}}` {
			t.Fatalf("back on, as free shipping: %s", got)
		}

		api.must(`mutation { a: createDiscountCode(input: {code: "ALPHA", kind: FREE_SHIPPING}) { code } z: createDiscountCode(input: {code: "zulu", kind: FREE_SHIPPING}) { code } }`, nil, nil)
		if got := api.must(`{ discountCodes(first: 2) { code } }`, nil, nil); got != `{"discountCodes":[{"code":"ALPHA"},{"code":"Black-Friday"}]}` {
			t.Fatalf("first page %s", got)
		}
		if got := api.must(`{ discountCodes(first: 2, after: "black-friday") { code } }`, nil, nil); got != `{"discountCodes":[{"code":"zulu"}]}` {
			t.Fatalf("second page %s", got)
		}
		api.refused(`{ discountCodes(first: 101) { code } }`, nil, "BAD_USER_INPUT first")
	})
}

// TestPricingIsForAdmins: every pricing field refuses anonymous callers
// and customers before it reads or writes anything.
func TestPricingIsForAdmins(t *testing.T) {
	t.Parallel()
	api := newPricingAPI(t, storetest.MustSQLite(t))
	id := `"00000000-0000-4000-8000-000000000000"`
	for _, doc := range []string{
		`{ shippingZones { zoneId } }`,
		`{ taxRates { taxRateId } }`,
		`{ discountCodes { code } }`,
		`{ discountCode(discountCodeId: ` + id + `) { code } }`,
		`mutation { createShippingZone(name: "x", countries: ["US"]) { zoneId } }`,
		`mutation { updateShippingZone(zoneId: ` + id + `, name: "x") { zoneId } }`,
		`mutation { deleteShippingZone(zoneId: ` + id + `) }`,
		`mutation { createShippingRate(zoneId: ` + id + `, input: {name: "x", kind: FLAT, price: 1}) { name } }`,
		`mutation { deleteShippingRate(shippingMethodId: ` + id + `) }`,
		`mutation { createTaxRate(country: "US", rate: 1, name: "x") { taxRateId } }`,
		`mutation { deleteTaxRate(taxRateId: ` + id + `) }`,
		`mutation { createDiscountCode(input: {code: "x", kind: FREE_SHIPPING}) { code } }`,
		`mutation { updateDiscountCode(discountCodeId: ` + id + `, input: {active: true}) { code } }`,
		`mutation { deactivateDiscountCode(discountCodeId: ` + id + `) { code } }`,
	} {
		for _, tc := range []struct {
			c    models.Caller
			want string
		}{{anonymous, "UNAUTHENTICATED"}, {customer, "FORBIDDEN"}} {
			if _, codes := api.run(tc.c, doc, nil); len(codes) != 1 || codes[0] != tc.want {
				t.Errorf("%s as %q: %v, want %s", doc, tc.c.Role, codes, tc.want)
			}
		}
	}
	if got := api.must(`{ shippingZones { zoneId } taxRates { taxRateId } discountCodes { code } }`, nil, nil); got != `{"discountCodes":[],"shippingZones":[],"taxRates":[]}` {
		t.Fatalf("nothing was written, yet: %s", got)
	}
}
