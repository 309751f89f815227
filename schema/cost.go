package schema

import (
	"shop/docguard"
	"shop/models"
)

// Costs are what the fields of the schema cost, for docguard: list
// sizes, text weights and the fields that reach the database.
func Costs(maxPage int) docguard.Costs {
	weights := TextWeights()
	for field, w := range ReadWeights() {
		weights[field] = w
	}
	return docguard.Costs{Lists: ListSizes(maxPage), Weights: weights, Database: DatabaseFields(), Cache: Cacheability()}
}

// ReadWeights are what fields that read more rows than they select cost
// instead of 1. getOrderById reads the order's lines, up to MaxOrderLines
// rows, whatever it selects, so it costs as if they were selected: 100
// aliases of getOrderById { __typename } read 10,000 rows. A page of
// orders (getOrders, orders) reads lines only when items is selected,
// which Order.items' size already counts.
//
// Subscriptions (issue 21) cost per payload what a query reading the same
// subject would: orderUpdated and myOrders read an order like
// getOrderById, orderEvents the order and its timeline, OrderEvent.order
// the order again; productUpdated is a point read of the catalog, like
// getProductsById.
func ReadWeights() map[string]int {
	return map[string]int{"Query.getOrderById": models.MaxOrderLines, "Cart.order": models.MaxOrderLines,
		"Subscription.orderUpdated": models.MaxOrderLines, "Subscription.myOrders": models.MaxOrderLines,
		"Subscription.orderEvents": models.MaxOrderLines + maxOrderEvents, "OrderEvent.order": models.MaxOrderLines}
}

// variantTitleSize is the longest variant title: three values joined.
const variantTitleSize = models.MaxOptions*models.MaxOptionValueSize + 2*3

// cursorSize is the longest cursor of a products page: sorted by name, it
// holds the name (up to 4 bytes a character) and an id, in base64.
const cursorSize = (models.MaxNameSize*4 + 64) * 4 / 3

// TextWeights are what text fields cost instead of 1, by the most
// characters they can return (docguard.TextWeight: 1 per 100): a page of
// descriptions costs like the megabyte it can be, not like a page of
// prices. Text fields not here hold at most 100 characters (ids, states,
// names of people and categories) and cost 1 like any field.
func TextWeights() map[string]int {
	w := docguard.TextWeight
	return map[string]int{
		"Product.description":     w(models.MaxDescriptionSize, 1),
		"Product.name":            w(models.MaxNameSize, 1),
		"Product.imageUrls":       w(models.MaxImageURLSize, models.MaxImageURLs),
		"ProductEdge.cursor":      w(cursorSize, 1),
		"PageInfo.endCursor":      w(cursorSize, 1),
		"Category.slug":           w(models.MaxSlug, 1),
		"Order.customerId":        w(models.MaxCustomerIDSize, 1),
		"OrderEvent.note":         w(models.MaxNoteSize, 1),
		"OrderEvent.message":      w(models.MaxNoteSize, 1),
		"StockMovement.reason":    w(models.MaxNoteSize, 1),
		"Payment.failureMessage":  w(models.MaxNoteSize, 1),
		"User.email":              w(models.MaxEmailBytes, 1),
		"ProductOption.name":      w(models.MaxOptionNameSize, 1),
		"ProductOption.values":    w(models.MaxOptionValueSize, models.MaxOptionValues),
		"SelectedOption.name":     w(models.MaxOptionNameSize, 1),
		"SelectedOption.value":    w(models.MaxOptionValueSize, 1),
		"ProductVariant.title":    w(variantTitleSize, 1),
		"OrderItem.title":         w(variantTitleSize, 1),
		"ProductVariant.imageUrl": w(models.MaxImageURLSize, 1),
		// Checkout's (issue 20): an address's free text, emails, and a
		// warning's message (which quotes prices and codes).
		"Address.name":        w(maxAddressText, 1),
		"Address.company":     w(maxAddressText, 1),
		"Address.line1":       w(maxAddressText, 1),
		"Address.line2":       w(maxAddressText, 1),
		"Address.city":        w(maxAddressText, 1),
		"Address.region":      w(maxAddressText, 1),
		"Cart.email":          w(models.MaxEmailBytes, 1),
		"Order.email":         w(models.MaxEmailBytes, 1),
		"CartWarning.message": w(maxWarningSize, 1),
		// The admin's pricing (issue 20): lists of codes and ids.
		"ShippingZone.countries":        w(2, models.MaxZoneCountries),
		"ShippingZone.regions":          w(6, models.MaxZoneRegions),
		"DiscountAppliesTo.productIds":  w(36, models.MaxDiscountTargets),
		"DiscountAppliesTo.categoryIds": w(36, models.MaxDiscountTargets),
	}
}

// DatabaseFields are the fields that reach the database whatever the
// cache holds: GRAPHQL_MAX_DB_FIELDS bounds how many one request may
// select (aliases and fragments counted each time). A products page or a
// getProducts page is served from the cache, unless it is a search, a
// filter or a sort (each different query is a different read: 100 price
// filters are 100 searches), or a page after a cursor or at an offset.
// Orders, customers and the dashboard's figures are read from the database
// each time. Point reads (getProductsById, getOrderById, me) and the
// category tree are not counted: they cost an index lookup, or nothing.
func DatabaseFields() map[string]docguard.Database {
	always := docguard.Database{Always: true}
	return map[string]docguard.Database{
		"Query.products":                {Args: []string{"filter", "sort", "after"}},
		"Query.getProducts":             {Args: []string{"offset"}},
		"Query.orders":                  always,
		"Query.getOrders":               always,
		"Query.customers":               always,
		"Query.salesReport":             always,
		"Query.adminOverview":           always,
		"Query.lowStock":                always,
		"Query.cart":                    always,
		"Product.stockMovements":        always,
		"Query.lowStockVariants":        always,
		"ProductVariant.stockMovements": always,
		// The admin's pricing lists (issue 20), never cached.
		"Query.shippingZones": always,
		"Query.taxRates":      always,
		"Query.discountCodes": always,
	}
}

// ListSizes says how many items each list field returns at most, for the
// cost of an operation (see docguard): a list field multiplies the cost of
// what is selected under it by its size. maxPage is the server's largest
// page (MAX_PAGE_SIZE). A list field that returns objects must be here, or
// be sized by the field above it (SizedByParent); a test checks it.
func ListSizes(maxPage int) map[string]docguard.List {
	sizes := map[string]docguard.List{
		// limit left out, or larger than the maximum, is the maximum.
		"Query.getProducts": {Arg: "limit", Default: maxPage, Max: maxPage},
		"Query.getOrders":   {Arg: "limit", Default: maxPage, Max: maxPage},
		// first left out is the default page; larger than the maximum is refused.
		"Query.products":         {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Query.orders":           {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Order.items":            {Default: models.MaxOrderLines, Max: models.MaxOrderLines},
		"Order.events":           {Default: maxOrderEvents, Max: maxOrderEvents},
		"Query.lowStock":         {Default: models.MaxLowStockResults, Max: models.MaxLowStockResults},
		"Product.stockMovements": {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Query.categories":       {Default: models.MaxCategories, Max: models.MaxCategories},
		// A product's variants and options, a variant's (or a line's) values.
		"Product.variants":              {Default: models.MaxVariants, Max: models.MaxVariants},
		"Product.options":               {Default: models.MaxOptions, Max: models.MaxOptions},
		"ProductVariant.options":        {Default: models.MaxOptions, Max: models.MaxOptions},
		"OrderItem.options":             {Default: models.MaxOptions, Max: models.MaxOptions},
		"Query.lowStockVariants":        {Default: models.MaxLowStockResults, Max: models.MaxLowStockResults},
		"ProductVariant.stockMovements": {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Category.children":             {Default: models.MaxSubcategory, Max: models.MaxSubcategory},
		// A cart's (issue 20): its lines, each line's code allocation (one
		// code per cart) and taxes, the methods offered (every rate of
		// every zone at most), the warnings (two a line at most, and the
		// cart's own). Taxes: the rates matching one address, its
		// country's and its region's, each at most MaxRegionTaxRates
		// (createTaxRate refuses more); an order's are its lines' and its
		// shipping's, all of the same rates.
		"Cart.lines":                    {Default: models.MaxCartLines, Max: models.MaxCartLines},
		"CartLine.discountAllocations":  {Default: 1, Max: 1},
		"CartLine.taxLines":             {Default: models.MaxLineTaxes, Max: models.MaxLineTaxes},
		"Cart.availableShippingMethods": {Default: maxMethods, Max: maxMethods},
		"Cart.warnings":                 {Default: 2*models.MaxCartLines + 3, Max: 2*models.MaxCartLines + 3},
		"Order.taxLines":                {Default: models.MaxOrderTaxes, Max: models.MaxOrderTaxes},
		"OrderItem.discountAllocations": {Default: 1, Max: 1},
		"OrderItem.taxLines":            {Default: models.MaxLineTaxes, Max: models.MaxLineTaxes},
		// The dashboard's: a day per row, and a page of customers.
		"Query.salesReport": {Arg: "days", Default: models.DefaultSalesDays, Max: models.MaxSalesDays},
		"Query.customers":   {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		// The admin's pricing (issue 20): every zone with every rate,
		// every tax rate, a page of codes.
		"Query.shippingZones": {Default: models.MaxShippingZones, Max: models.MaxShippingZones},
		"ShippingZone.rates":  {Default: models.MaxZoneRates, Max: models.MaxZoneRates},
		"Query.taxRates":      {Default: models.MaxTaxRates, Max: models.MaxTaxRates},
		"Query.discountCodes": {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
	}
	// Introspection's lists (__schema { types { fields … } }) need no
	// size: docguard walks them on the schema, as long as they are.
	return sizes
}

// maxAddressText is the longest free text of an address (ParseAddress).
const maxAddressText = 200

// maxWarningSize bounds a cart warning's message, which names a line, a
// variant and two prices, or a code's reason.
const maxWarningSize = 400

// maxMethods is the most shipping methods a cart is offered: every rate
// of every zone.
const maxMethods = models.MaxShippingZones * models.MaxZoneRates

// SizedByParent reports the list fields whose length the field above them
// sets (a connection's edges are as many as its first).
func SizedByParent(field string) bool {
	return field == "ProductConnection.edges" || field == "OrderConnection.edges" || field == "StockMovementConnection.edges" ||
		field == "CustomerConnection.edges"
}

// Cacheability says, for every root query field, whether the server may
// keep a whole answer that reads only such fields: for everyone (the
// catalog alone: a Product has no path to orders), for the customer who
// asked (that customer's orders and the catalog, every read of them
// through the cache's catalog, which records the versions they depend
// on), or never. `me` is never: the account it reads has no version, and
// an admin's promotion of the account would change its role unseen. The
// dashboard's fields read every customer's orders, which no one version
// covers. A test fails if a root field is missing here.
func Cacheability() map[string]docguard.Cache {
	public, own, never := docguard.CachePublic, docguard.CachePerCustomer, docguard.CacheNever
	return map[string]docguard.Cache{
		"Query.getProducts":     public,
		"Query.getProductsById": public,
		"Query.products":        public,
		"Query.categories":      public,
		"Query.orders":          own,
		"Query.getOrders":       own,
		"Query.getOrderById":    own,
		"Query.me":              never,
		"Query.customers":       never,
		"Query.salesReport":     never,
		"Query.adminOverview":   never,
		"Query.lowStock":        never,
		// A variant is the catalog's (its product's visibility decides,
		// as for getProductsById); the per-variant low-stock list is an
		// admin's.
		"Query.getVariantById":   public,
		"Query.lowStockVariants": never,
		// A cart has no version; it is read fresh, priced now, each time.
		"Query.cart": never,
		// The admin's pricing (issue 20): never cached, so a change shows
		// at once, and checkout reads the store itself.
		"Query.shippingZones": never,
		"Query.taxRates":      never,
		"Query.discountCodes": never,
		"Query.discountCode":  never,
	}
}
