// Package mail turns the shop's events into emails and sends them: the
// templates (embedded from templates/, HTML and plain text), the outbox
// consumer that renders each email into email_messages inside the outbox's
// delivery, the senders that claim due rows on every instance, and the
// two ways out: SMTP through github.com/wneessen/go-mail, or .eml files
// when no SMTP server is configured.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"shop/models"
)

//go:embed templates
var templates embed.FS

// Brand is what every email is signed with (SHOP_NAME, SHOP_URL,
// SHOP_LOGO_URL).
type Brand struct {
	Name    string
	URL     string // no trailing slash
	LogoURL string // "" for none: the name is shown instead
}

// Renderer renders the emails of each kind, both parts.
type Renderer struct {
	brand    Brand
	currency string
	html     map[string]*htmltemplate.Template
	text     map[string]*texttemplate.Template
}

// NewRenderer parses every kind's templates once; currency is the shop's
// (lowercase ISO 4217), shown uppercased after each amount.
func NewRenderer(brand Brand, currency string) (*Renderer, error) {
	brand.URL = strings.TrimRight(brand.URL, "/")
	r := &Renderer{brand: brand, currency: strings.ToUpper(currency),
		html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{}}
	for _, kind := range models.EmailKinds {
		h, err := htmltemplate.ParseFS(templates, "templates/layout.html", "templates/"+kind+".html")
		if err != nil {
			return nil, fmt.Errorf("mail: template %s.html: %w", kind, err)
		}
		t, err := texttemplate.ParseFS(templates, "templates/layout.txt", "templates/"+kind+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail: template %s.txt: %w", kind, err)
		}
		r.html[kind], r.text[kind] = h.Option("missingkey=error"), t.Option("missingkey=error")
	}
	return r, nil
}

// Brand is the renderer's branding.
func (r *Renderer) Brand() Brand { return r.brand }

// Line is an order line as an email shows it.
type Line struct {
	Title    string
	SKU      string
	Quantity int
	Unit     string
	Total    string
}

// OrderView is an order as an email shows it: amounts formatted exactly
// ("12.50 USD"), "" for those that are zero and optional.
type OrderView struct {
	ID             string
	PlacedAt       string
	Lines          []Line
	Subtotal       string
	Discount       string
	DiscountCode   string
	Shipping       string
	ShippingMethod string
	Tax            string
	TaxIncluded    bool
	Total          string
	Address        *models.Address
}

// data is what every template is given.
type data struct {
	Subject string
	Shop    Brand
	Order   OrderView
	// Amount is the payment's (payment received, refunded).
	Amount string
	// The shipment's.
	Carrier, TrackingNumber, TrackingURL string
	// Link and Valid are an account email's (reset, verification).
	Link  string
	Valid string
}

// Money formats an amount exactly, with the shop's currency.
func (r *Renderer) Money(m models.Money) string { return m.String() + " " + r.currency }

func (r *Renderer) optMoney(m models.Money) string {
	if m == 0 {
		return ""
	}
	return r.Money(m)
}

// View is o as its emails show it. An order placed through checkout shows
// its snapshot's totals and address; one from createOrder its lines' sum.
func (r *Renderer) View(o models.Order) OrderView {
	v := OrderView{ID: o.ID, PlacedAt: o.CreatedAt.UTC().Format("2 January 2006, 15:04 UTC"), Total: r.Money(o.TotalAmount)}
	var sub models.Money
	for _, it := range o.Items {
		total, err := it.PriceAtPurchase.Times(it.Quantity)
		if err != nil {
			total = 0 // beyond any order the shop accepts
		}
		sub += total
		title := it.Title
		if title == "" {
			title = "Product " + it.ProductID
		}
		sku := ""
		if it.SKU != nil {
			sku = *it.SKU
		}
		v.Lines = append(v.Lines, Line{Title: title, SKU: sku, Quantity: it.Quantity, Unit: r.Money(it.PriceAtPurchase), Total: r.Money(total)})
	}
	v.Subtotal = r.Money(sub)
	if c := o.Checkout; c != nil {
		p := c.Priced
		v.Subtotal = r.Money(p.Subtotal)
		v.Discount, v.DiscountCode = r.optMoney(p.DiscountTotal), p.DiscountCode
		v.Shipping = r.optMoney(p.ShippingTotal)
		if p.Selected != nil {
			v.ShippingMethod = p.Selected.Name
			if v.Shipping == "" {
				v.Shipping = r.Money(0)
			}
		}
		v.Tax, v.TaxIncluded = r.optMoney(p.TaxTotal), p.PricesIncludeTax
		v.Address = c.ShippingAddress
	}
	return v
}

// Rendered is one email's subject and parts.
type Rendered struct {
	Subject, Text, HTML string
}

// Order renders an order email of kind: amount is the payment's (payment
// received, refunded), and the carrier and tracking number a shipment's.
func (r *Renderer) Order(kind string, o models.Order, amount models.Money) (Rendered, error) {
	d := data{Shop: r.brand, Order: r.View(o), Amount: r.Money(amount)}
	short := o.ID
	if len(short) > 8 {
		short = short[:8]
	}
	switch kind {
	case models.EmailOrderPlaced:
		d.Subject = fmt.Sprintf("Your %s order %s", r.brand.Name, short)
	case models.EmailPaymentReceived:
		d.Subject = fmt.Sprintf("Payment received for your %s order %s", r.brand.Name, short)
	case models.EmailOrderShipped:
		d.Subject = fmt.Sprintf("Your %s order %s has shipped", r.brand.Name, short)
		d.Carrier, d.TrackingNumber = o.Carrier, o.TrackingNumber
		d.TrackingURL = models.TrackingURL(o.Carrier, o.TrackingNumber)
	case models.EmailOrderCancelled:
		d.Subject = fmt.Sprintf("Your %s order %s was cancelled", r.brand.Name, short)
	case models.EmailOrderRefunded:
		d.Subject = fmt.Sprintf("Your %s order %s was cancelled and refunded", r.brand.Name, short)
	default:
		return Rendered{}, fmt.Errorf("mail: %q is not an order email", kind)
	}
	return r.render(kind, d)
}

// Account renders a password reset or an email verification whose link
// carries token: SHOP_URL/reset-password?token=… or /verify-email?token=….
func (r *Renderer) Account(kind, token string, valid time.Duration) (Rendered, error) {
	d := data{Shop: r.brand, Valid: humanDuration(valid)}
	switch kind {
	case models.EmailPasswordReset:
		d.Subject = fmt.Sprintf("Reset your %s password", r.brand.Name)
		d.Link = r.brand.URL + "/reset-password?token=" + token
	case models.EmailVerifyEmail:
		d.Subject = fmt.Sprintf("Confirm your email for %s", r.brand.Name)
		d.Link = r.brand.URL + "/verify-email?token=" + token
	default:
		return Rendered{}, fmt.Errorf("mail: %q is not an account email", kind)
	}
	return r.render(kind, d)
}

func (r *Renderer) render(kind string, d data) (Rendered, error) {
	var h, t bytes.Buffer
	if err := r.html[kind].Execute(&h, d); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s.html: %w", kind, err)
	}
	if err := r.text[kind].Execute(&t, d); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s.txt: %w", kind, err)
	}
	return Rendered{Subject: d.Subject, Text: tidy(t.String()), HTML: h.String()}, nil
}

// tidy drops the blank lines templates leave in a row, and trailing
// spaces, but the signature separator's ("-- ").
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		if l != "-- " {
			l = strings.TrimRight(l, " \t")
		}
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// humanDuration says how long a link lasts: "1 hour", "24 hours", "30 minutes".
func humanDuration(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
}

// AccountEmail renders an account email (auth.AccountMail).
func (r *Renderer) AccountEmail(kind, token string, valid time.Duration) (subject, text, html string, err error) {
	out, err := r.Account(kind, token, valid)
	return out.Subject, out.Text, out.HTML, err
}
