package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"shop/errcode"
)

// The rules of carts (issue 20): who may reach a cart, what its lines may
// hold, and how a guest's cart merges into a customer's. Pricing is
// PriceCart's (pricing.go); completing a cart is PlaceCheckout's
// (cart_checkout.go).

// MaxCartLines bounds a cart's lines as MaxOrderLines bounds an order's:
// a cart becomes one order.
const MaxCartLines = MaxOrderLines

// cartIDBytes is a cart id's randomness: 128 bits, so holding the id is
// the permission to a guest's cart (nobody guesses one).
const cartIDBytes = 16

// NewCartID makes an unguessable cart id: 128 bits from crypto/rand, as 32
// lowercase hex digits.
func NewCartID() string {
	b := make([]byte, cartIDBytes)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on the systems Go supports.
		panic(fmt.Sprintf("cart id: %v", err))
	}
	return hex.EncodeToString(b)
}

// ParseCartID checks an id a client sent: anything that is not a cart id
// is CART_NOT_FOUND, like an id of no cart, so probing learns nothing.
func ParseCartID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if len(id) != 2*cartIDBytes {
		return "", CartNotFound()
	}
	for _, r := range id {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", CartNotFound()
		}
	}
	return id, nil
}

// CartNotFound is the error for a cart that does not exist or that the
// caller may not reach: the two are told apart nowhere.
func CartNotFound() error {
	return &Error{Code: errcode.CartNotFound, Message: "No cart has this id (a signed-in customer's cart is reached only with that customer's token)."}
}

// CartClosedError is the error for a write to a cart that became an order
// or was merged into another.
func CartClosedError() error {
	return &Error{Code: errcode.CartClosed, Message: "This cart is closed: it became an order, or was merged into the customer's cart. Start a new cart."}
}

// CanReadCart says whether c may read cart: a guest's cart (no customer)
// anyone holding its id; a customer's cart that customer, and admins. A
// cart c may not read is CART_NOT_FOUND, never FORBIDDEN: its existence is
// not revealed.
func CanReadCart(c Caller, cart Cart) error {
	if cart.CustomerID == nil || c.IsAdmin() || (!c.Anonymous() && *cart.CustomerID == c.UserID) {
		return nil
	}
	return CartNotFound()
}

// CanWriteCart says whether c may change cart: a guest's cart anyone
// holding its id, a customer's cart only that customer (admins, who may
// read it, are FORBIDDEN; others get CART_NOT_FOUND); a closed cart no one
// (CART_CLOSED, once the caller may know the cart exists).
func CanWriteCart(c Caller, cart Cart) error {
	if cart.CustomerID != nil && (c.Anonymous() || *cart.CustomerID != c.UserID) {
		if c.IsAdmin() {
			return errAdminCart
		}
		return CartNotFound()
	}
	if cart.Status != CartOpen {
		return CartClosedError()
	}
	return nil
}

var errAdminCart = &Error{Code: errcode.Forbidden, Message: "An admin may read a customer's cart, not change it."}

// CartOwner is the customer a new cart of c belongs to: a signed-in
// customer's (or admin's) cart is theirs, an anonymous caller's is a
// guest's (nil).
func CartOwner(c Caller) *string {
	if c.Anonymous() {
		return nil
	}
	id := c.UserID
	return &id
}

// GuestCheckout says whether c's checkout of cart is a guest's, held to
// RATE_LIMIT_GUEST_CHECKOUT per address: the cart is a guest's and open,
// so its order will be a guest's, which no account's MAX_PENDING_* caps
// count. That holds whoever completes it: holding a guest cart's id is
// the permission, so a signed-in customer may complete one too, and was
// held by neither bound (carts made without a token, completed with one,
// took a stock of 1,000 in nine requests past caps of 2 orders). Admins
// are exempt, as from every limit on the orders they place.
func GuestCheckout(c Caller, cart Cart) bool {
	return cart.CustomerID == nil && cart.Status == CartOpen && !ExemptFromOrderLimits(c)
}

// CartLineInput is a line to add to a cart: a variant and how many.
type CartLineInput struct {
	VariantID string
	Quantity  int
}

// CartLineUpdate sets a line's quantity; 0 removes the line.
type CartLineUpdate struct {
	LineID   string
	Quantity int
}

// maxQuantity is the most units of a variant a cart line may hold: the
// shop's limit on an order line (MAX_LINE_QUANTITY when set, else
// MaxLineQuantity).
func maxQuantity(l OrderLimits) int {
	if l.MaxLineQuantity > 0 && l.MaxLineQuantity < MaxLineQuantity {
		return l.MaxLineQuantity
	}
	return MaxLineQuantity
}

// ParseCartLines checks lines to add (field is the argument's name),
// every bad one at once, and merges those naming the same variant.
func ParseCartLines(field string, in []CartLineInput, l OrderLimits) ([]CartLineInput, error) {
	var fe fieldErrors
	switch {
	case len(in) == 0 && field != "input.lines":
		fe.add(field, "must contain at least one line")
	case len(in) > MaxCartLines:
		fe.add(field, "must contain at most %d lines, got %d", MaxCartLines, len(in))
	}
	most := maxQuantity(l)
	var out []CartLineInput
	at := map[string]int{}
	if len(in) <= MaxCartLines {
		for i, line := range in {
			f := fmt.Sprintf("%s[%d]", field, i)
			ok := checkID(&fe, f+".variantId", line.VariantID)
			if line.Quantity < 1 || line.Quantity > most {
				fe.add(f+".quantity", "must be from 1 to %d, got %d", most, line.Quantity)
				ok = false
			}
			if !ok {
				continue
			}
			if j, seen := at[line.VariantID]; seen {
				out[j].Quantity += line.Quantity
				continue
			}
			at[line.VariantID] = len(out)
			out = append(out, line)
		}
	}
	for _, line := range out {
		if line.Quantity > most {
			fe.add(field, "ask for at most %d units of variant %s in total, got %d", most, line.VariantID, line.Quantity)
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseLineUpdates checks cartLinesUpdate's lines: each a line id and a
// quantity from 0 (remove) to the line limit.
func ParseLineUpdates(in []CartLineUpdate, l OrderLimits) ([]CartLineUpdate, error) {
	var fe fieldErrors
	if len(in) == 0 {
		fe.add("lines", "must contain at least one line")
	}
	if len(in) > MaxCartLines {
		fe.add("lines", "must contain at most %d lines, got %d", MaxCartLines, len(in))
		return nil, fe.err()
	}
	most := maxQuantity(l)
	seen := map[string]bool{}
	for i, u := range in {
		f := fmt.Sprintf("lines[%d]", i)
		checkID(&fe, f+".lineId", u.LineID)
		if seen[u.LineID] {
			fe.add(f+".lineId", "names line %s again", u.LineID)
		}
		seen[u.LineID] = true
		if u.Quantity < 0 || u.Quantity > most {
			fe.add(f+".quantity", "must be from 0 (remove the line) to %d, got %d", most, u.Quantity)
		}
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return in, nil
}

// ParseLineIDs checks cartLinesRemove's line ids.
func ParseLineIDs(ids []string) ([]string, error) {
	var fe fieldErrors
	if len(ids) == 0 {
		fe.add("lineIds", "must contain at least one line id")
	}
	if len(ids) > MaxCartLines {
		fe.add("lineIds", "must contain at most %d line ids, got %d", MaxCartLines, len(ids))
		return nil, fe.err()
	}
	for i, id := range ids {
		checkID(&fe, fmt.Sprintf("lineIds[%d]", i), id)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return dedupeStrings(ids), nil
}

// ParseCartEmail checks the email a cart's order is confirmed to; ""
// clears it.
func ParseCartEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	var fe fieldErrors
	checkEmail(&fe, "email", email)
	if err := fe.err(); err != nil {
		return "", err
	}
	return email, nil
}

// Sellable is a variant as a cart line needs it when it is added: the
// variant with its product's active flag.
// Its product's category is what a discount code's categories match.
type Sellable struct {
	Variant       ProductVariant
	ProductActive bool
	CategoryID    *string
}

// CanAdd refuses a variant that can't be put in a cart: one that does not
// exist, or whose product is not for sale. (Stock is not checked: a line
// short of stock is a warning, and checkoutComplete refuses it.)
func CanAdd(variantID string, v *Sellable) error {
	if v == nil {
		return VariantNotFound(variantID, "")
	}
	if !v.ProductActive {
		return ProductInactive(v.Variant.ProductID)
	}
	return nil
}

// AddLines adds lines to the cart, each at its variant's price now
// (prices, by variant id): a variant already in the cart gets the
// quantity added and its price seen renewed. A line may hold at most the
// line limit, and a cart at most MaxCartLines lines.
func (c *Cart) AddLines(add []CartLineInput, prices map[string]Money, l OrderLimits, now time.Time, newID func() string) error {
	most := maxQuantity(l)
	for _, a := range add {
		found := false
		for i := range c.Lines {
			if c.Lines[i].VariantID != a.VariantID {
				continue
			}
			found = true
			q := c.Lines[i].Quantity + a.Quantity
			if q > most {
				return fieldError("lines", "would hold %d units of variant %s, at most %d may be in one line", q, a.VariantID, most)
			}
			c.Lines[i].Quantity, c.Lines[i].PriceSeen = q, prices[a.VariantID]
		}
		if found {
			continue
		}
		if len(c.Lines) >= MaxCartLines {
			return fieldError("lines", "a cart holds at most %d lines", MaxCartLines)
		}
		c.Lines = append(c.Lines, CartLine{
			ID: newID(), CartID: c.ID, VariantID: a.VariantID, Quantity: a.Quantity,
			PriceSeen: prices[a.VariantID], Position: c.nextPosition(), AddedAt: now,
		})
	}
	return nil
}

func (c *Cart) nextPosition() int {
	n := 0
	for _, l := range c.Lines {
		n = max(n, l.Position+1)
	}
	return n
}

// UpdateLines sets lines' quantities (0 removes the line), renewing the
// price seen of those kept (prices, by variant id). A line id of no line
// of this cart is refused, naming it.
func (c *Cart) UpdateLines(ups []CartLineUpdate, prices map[string]Money) error {
	var fe fieldErrors
	for i, u := range ups {
		if c.line(u.LineID) < 0 {
			fe.add(fmt.Sprintf("lines[%d].lineId", i), "names no line of this cart")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	for _, u := range ups {
		i := c.line(u.LineID)
		if u.Quantity == 0 {
			c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
			continue
		}
		c.Lines[i].Quantity = u.Quantity
		if p, ok := prices[c.Lines[i].VariantID]; ok {
			c.Lines[i].PriceSeen = p
		}
	}
	return nil
}

// RemoveLines removes lines; an id of no line of this cart is refused.
func (c *Cart) RemoveLines(ids []string) error {
	var fe fieldErrors
	for i, id := range ids {
		if c.line(id) < 0 {
			fe.add(fmt.Sprintf("lineIds[%d]", i), "names no line of this cart")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	for _, id := range ids {
		i := c.line(id)
		c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
	}
	return nil
}

func (c *Cart) line(id string) int {
	for i, l := range c.Lines {
		if l.ID == id {
			return i
		}
	}
	return -1
}

// VariantIDs are the variants of the cart's lines, in line order.
func (c Cart) VariantIDs() []string {
	out := make([]string, len(c.Lines))
	for i, l := range c.Lines {
		out[i] = l.VariantID
	}
	return out
}

// SortLines puts the lines in the order they were added.
func (c *Cart) SortLines() {
	sort.SliceStable(c.Lines, func(i, j int) bool { return c.Lines[i].Position < c.Lines[j].Position })
}

// MergeCart merges a guest's cart into a customer's open cart (own): the
// guest's quantities are added to own's lines of the same variant (up to
// the line limit), its other lines appended, and what own lacks of the
// guest's email, addresses, method and code taken. The guest's cart is
// closed. With no open cart of the customer's (own nil), the guest's cart
// becomes the customer's instead. It returns the cart the customer keeps.
func MergeCart(guest *Cart, own *Cart, customerID string, l OrderLimits, now time.Time, newID func() string) (*Cart, error) {
	if guest.CustomerID != nil {
		if *guest.CustomerID == customerID {
			return guest, nil // already the customer's: nothing to merge
		}
		return nil, CartNotFound()
	}
	if guest.Status != CartOpen {
		return nil, CartClosedError()
	}
	if own == nil {
		guest.CustomerID = &customerID
		guest.LastUpdated = now
		return guest, nil
	}
	most := maxQuantity(l)
	for _, g := range guest.Lines {
		if i := own.lineOf(g.VariantID); i >= 0 {
			own.Lines[i].Quantity = min(own.Lines[i].Quantity+g.Quantity, most)
			continue
		}
		if len(own.Lines) >= MaxCartLines {
			return nil, fieldError("cartId", "the merged cart would hold more than %d lines", MaxCartLines)
		}
		g.ID, g.CartID, g.Position = newID(), own.ID, own.nextPosition()
		own.Lines = append(own.Lines, g)
	}
	if own.Email == "" {
		own.Email = guest.Email
	}
	if own.ShippingAddress == nil {
		own.ShippingAddress = guest.ShippingAddress
	}
	if own.BillingAddress == nil {
		own.BillingAddress = guest.BillingAddress
	}
	if own.ShippingMethodID == "" {
		own.ShippingMethodID = guest.ShippingMethodID
	}
	if own.DiscountCode == "" {
		own.DiscountCode = guest.DiscountCode
	}
	own.LastUpdated = now
	guest.Status, guest.LastUpdated = CartClosed, now
	return own, nil
}

func (c Cart) lineOf(variantID string) int {
	for i, l := range c.Lines {
		if l.VariantID == variantID {
			return i
		}
	}
	return -1
}

// GuestCustomerID is the customerId of an order a guest's cart became: a
// one-way digest of the cart id, so the order names no account, the id
// never leaves the cart, and whoever holds the cart id proves the order is
// theirs (CanPay) without the order revealing the id.
func GuestCustomerID(cartID string) string {
	sum := sha256.Sum256([]byte("shop cart\x00" + cartID))
	return GuestCustomerPrefix + hex.EncodeToString(sum[:16])
}

// GuestCustomerPrefix starts the customerId of every guest's order.
const GuestCustomerPrefix = "guest:"

// CustomerKey is whom a code's uses per customer are counted for: the
// customer's id, or a guest's email, lowercased.
func CustomerKey(customerID *string, email string) string {
	if customerID != nil {
		return *customerID
	}
	return NormalizeEmail(email)
}

func dedupeStrings(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
