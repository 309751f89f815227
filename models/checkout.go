package models

import "time"

// The types of carts and checkout (issue 20), shared by the rules
// (pricing.go, address.go, discount.go), the store, and the checkout and
// pricing services. Money is in minor units throughout; percentages are
// Percent (thousandths of a percent), so no rule ever rounds a float.

// Percent is a percentage in thousandths of a percent: 8.25% is 8250,
// 33.333% is 33333, 100% is 100000. The API's Float is read through its
// shortest decimal form (at most 3 decimals), as MoneyFromFloat does.
type Percent int64

// PercentScale is 100% as a Percent.
const PercentScale Percent = 100_000

// Address is where an order ships or is billed, as checked by
// ParseAddress: Country is an ISO 3166-1 alpha-2 code (uppercase), Region
// a subdivision code (uppercase, "CA" for California) where the country
// has them.
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode,omitempty"`
	Region     string `json:"region,omitempty"`
	Country    string `json:"country"`
	Phone      string `json:"phone,omitempty"`
}

// ShippingRateKind is how a rate prices shipping.
type ShippingRateKind string

const (
	// RateFlat charges Price.
	RateFlat ShippingRateKind = "FLAT"
	// RateFreeAbove charges Price, or nothing when the subtotal after
	// discounts is at least FreeAbove.
	RateFreeAbove ShippingRateKind = "FREE_ABOVE"
	// RateByWeight charges Price when the lines' weight is within
	// [MinWeightGrams, MaxWeightGrams].
	RateByWeight ShippingRateKind = "BY_WEIGHT"
)

// ShippingZone is a set of countries (and, optionally, regions of them)
// with the rates that ship there.
type ShippingZone struct {
	ID        string
	Name      string
	Countries []string // ISO 3166-1 alpha-2, uppercase
	Regions   []string // "US-CA"; empty: the whole of each country
	Rates     []ShippingRate
	CreatedAt time.Time
}

// ShippingRate is one way of shipping within a zone; its ID is the
// shipping method's id a cart selects.
type ShippingRate struct {
	ID             string
	ZoneID         string
	Name           string
	Kind           ShippingRateKind
	Price          Money
	FreeAbove      *Money
	MinWeightGrams *int
	MaxWeightGrams *int
}

// ShippingMethod is a rate offered for a cart, priced for it.
type ShippingMethod struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Price Money  `json:"price"`
}

// TaxRate is a tax of a country, or of one region of it (Region "": the
// whole country). Every rate matching an address applies (Canada's GST
// and a province's PST).
type TaxRate struct {
	ID                string
	Country           string
	Region            string
	Name              string
	Rate              Percent
	AppliesToShipping bool
	CreatedAt         time.Time
}

// DiscountKind is what a code takes off.
type DiscountKind string

const (
	DiscountPercentage   DiscountKind = "PERCENTAGE"
	DiscountFixedAmount  DiscountKind = "FIXED_AMOUNT"
	DiscountFreeShipping DiscountKind = "FREE_SHIPPING"
)

// DiscountCode is a code a cart may apply. Code is kept as the admin wrote
// it; CodeKey (its case-folded form) is unique and what lookups use.
// Value is a Percent for PERCENTAGE, Money for FIXED_AMOUNT, unused for
// FREE_SHIPPING. Empty ProductIDs and CategoryIDs: the whole order.
type DiscountCode struct {
	ID                    string
	Code                  string
	CodeKey               string
	Kind                  DiscountKind
	Percent               Percent
	Amount                Money
	ProductIDs            []string
	CategoryIDs           []string
	MinSubtotal           Money
	StartsAt              *time.Time
	EndsAt                *time.Time
	UsageLimit            *int
	UsageLimitPerCustomer *int
	UsageCount            int
	Active                bool
	CreatedAt             time.Time
	LastUpdated           time.Time
}

// CartStatus is whether a cart can still change.
type CartStatus string

const (
	CartOpen   CartStatus = "open"
	CartClosed CartStatus = "closed"
)

// Cart is a shopper's cart. A guest's is reached by its ID alone (128
// random bits); a customer's (CustomerID set) only by that customer.
type Cart struct {
	ID               string
	CustomerID       *string
	Email            string
	ShippingAddress  *Address
	BillingAddress   *Address
	ShippingMethodID string
	DiscountCode     string // as the shopper typed it, "" for none
	Status           CartStatus
	OrderID          *string
	Lines            []CartLine
	CreatedAt        time.Time
	LastUpdated      time.Time
	// CheckoutKey is the idempotency key of the checkoutComplete that
	// closed the cart ("" for none): the same key again returns the order.
	CheckoutKey string
}

// CartLine is a variant in a cart. PriceSeen is the variant's price when
// the line was added or last changed: a different price now is a warning,
// never charged.
type CartLine struct {
	ID        string
	CartID    string
	VariantID string
	Quantity  int
	PriceSeen Money
	Position  int
	AddedAt   time.Time
}

// PricingLine is a cart line as the rules price it: the variant's current
// price and weight, and what a code's appliesTo matches (the product and
// the categories it is in, ancestors included).
type PricingLine struct {
	LineID      string
	VariantID   string
	ProductID   string
	CategoryIDs []string
	UnitPrice   Money
	Quantity    int
	WeightGrams int
	// What warnings are made of: the price the shopper saw, the variant's
	// stock now, and whether it is still sold (it exists, and its product
	// is active). A line no longer sold is left out of every amount.
	PriceSeen  Money
	StockCount int
	Sold       bool
}

// Allocation is the part of a discount one line carries.
type Allocation struct {
	Code   string `json:"code"`
	Amount Money  `json:"amount"`
}

// TaxLine is one tax on a line or on shipping.
type TaxLine struct {
	Title  string  `json:"title"`
	Rate   Percent `json:"rate"`
	Amount Money   `json:"amount"`
}

// PricedLine is a line with its money worked out: Subtotal is unit price
// times quantity, Total is Subtotal less its discounts, plus its taxes
// when prices exclude tax.
type PricedLine struct {
	LineID    string       `json:"lineId"`
	VariantID string       `json:"variantId"`
	Subtotal  Money        `json:"subtotal"`
	Discounts []Allocation `json:"discounts,omitempty"`
	Taxes     []TaxLine    `json:"taxes,omitempty"`
	Total     Money        `json:"total"`
}

// CartWarning is something the shopper should see before completing:
// codes are errcode-like strings of their own (docs/api.md), LineID "" for
// the whole cart.
type CartWarning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	LineID  string `json:"lineId,omitempty"`
}

// Priced is a cart's money: what checkoutComplete charges and what the
// order keeps. Total = Subtotal - DiscountTotal + ShippingTotal +
// TaxTotal when prices exclude tax, Subtotal - DiscountTotal +
// ShippingTotal when they include it (TaxTotal is then the tax inside).
type Priced struct {
	Lines            []PricedLine     `json:"lines"`
	Subtotal         Money            `json:"subtotal"`
	DiscountTotal    Money            `json:"discountTotal"`
	ShippingTotal    Money            `json:"shippingTotal"`
	ShippingTaxes    []TaxLine        `json:"shippingTaxes,omitempty"`
	TaxTotal         Money            `json:"taxTotal"`
	Total            Money            `json:"total"`
	Methods          []ShippingMethod `json:"-"`
	Selected         *ShippingMethod  `json:"shippingMethod,omitempty"`
	DiscountCode     string           `json:"discountCode,omitempty"`
	PricesIncludeTax bool             `json:"pricesIncludeTax,omitempty"`
	Warnings         []CartWarning    `json:"-"`
}

// CheckoutSnapshot is what an order placed through checkout keeps of its
// cart, as it was: later edits to zones, rates, codes or taxes never
// change it. Orders from createOrder have none.
type CheckoutSnapshot struct {
	CartID          string   `json:"cartId"`
	Email           string   `json:"email,omitempty"`
	ShippingAddress *Address `json:"shippingAddress,omitempty"`
	BillingAddress  *Address `json:"billingAddress,omitempty"`
	DiscountCodeID  string   `json:"discountCodeId,omitempty"`
	Priced          Priced   `json:"priced"`
}
