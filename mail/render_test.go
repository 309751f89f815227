package mail

import (
	"strings"
	"testing"
	"time"

	"shop/models"
)

func mustRenderer(t *testing.T, b Brand) *Renderer {
	t.Helper()
	r, err := NewRenderer(b, "usd")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var brand = Brand{Name: "Mug & Co", URL: "https://mugs.example/", LogoURL: "https://cdn.example/logo.png"}

func sampleOrder() models.Order {
	sku := "MUG-BLUE"
	return models.Order{
		ID: "0b7c7a53-4a3b-4cf0-9d5e-2f1a0c9e8d11", CustomerID: "u1", TotalAmount: 3669, Status: "pending",
		CreatedAt: time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC),
		Items: []models.OrderItem{
			{ProductID: "p1", Title: "Blue mug <large>", SKU: &sku, Quantity: 2, PriceAtPurchase: 1250},
			{ProductID: "p2", Title: "", Quantity: 3, PriceAtPurchase: 33},
		},
		Checkout: &models.CheckoutSnapshot{Email: "ann@example.com",
			ShippingAddress: &models.Address{Name: "Ann Lee", Line1: "1 Main St", City: "Springfield", PostalCode: "12345", Region: "IL", Country: "US"},
			Priced: models.Priced{Subtotal: 2599, DiscountTotal: 260, DiscountCode: "TENOFF", ShippingTotal: 500, TaxTotal: 830, Total: 3669,
				Selected: &models.ShippingMethod{Name: "Standard"}}},
	}
}

func TestOrderPlacedRendersTheReceipt(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t, brand)
	out, err := r.Order(models.EmailOrderPlaced, sampleOrder(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "Your Mug & Co order 0b7c7a53" {
		t.Errorf("subject %q", out.Subject)
	}
	for _, part := range []struct{ name, body string }{{"text", out.Text}, {"html", out.HTML}} {
		// Exact money, in both parts: 2 × 12.50 = 25.00; 3 × 0.33 = 0.99.
		for _, want := range []string{"12.50 USD", "25.00 USD", "0.33 USD", "0.99 USD", "25.99 USD", "2.60 USD", "TENOFF", "5.00 USD", "Standard",
			"8.30 USD", "36.69 USD", "Ann Lee", "1 Main St", "12345 Springfield, IL", "MUG-BLUE", "Product p2", "https://mugs.example", "0b7c7a53-4a3b-4cf0-9d5e-2f1a0c9e8d11"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part lacks %q:\n%s", part.name, want, part.body)
			}
		}
		if strings.Contains(part.body, "https://mugs.example/\"") || strings.Contains(part.body, "mugs.example//") {
			t.Errorf("%s part keeps SHOP_URL's trailing slash", part.name)
		}
	}
	// The HTML escapes what shoppers and admins typed; the text keeps it.
	if !strings.Contains(out.HTML, "Blue mug &lt;large&gt;") || strings.Contains(out.HTML, "<large>") {
		t.Errorf("HTML does not escape the title")
	}
	if !strings.Contains(out.Text, "2 × Blue mug <large> (MUG-BLUE) @ 12.50 USD = 25.00 USD") {
		t.Errorf("text line:\n%s", out.Text)
	}
	if !strings.Contains(out.HTML, `<img src="https://cdn.example/logo.png" alt="Mug &amp; Co"`) {
		t.Errorf("HTML lacks the logo:\n%s", out.HTML)
	}
	if strings.Contains(out.Text, "\n\n\n") {
		t.Errorf("text keeps runs of blank lines:\n%q", out.Text)
	}
}

func TestOrderWithoutCheckoutShowsItsLinesSum(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t, Brand{Name: "shop", URL: "http://localhost:8080"})
	o := sampleOrder()
	o.Checkout, o.TotalAmount = nil, 2599
	out, err := r.Order(models.EmailOrderPlaced, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "Subtotal: 25.99 USD") || !strings.Contains(out.Text, "Total: 25.99 USD") {
		t.Errorf("text:\n%s", out.Text)
	}
	for _, absent := range []string{"Shipping to", "Discount", "Tax"} {
		if strings.Contains(out.Text, absent) || strings.Contains(out.HTML, absent) {
			t.Errorf("an order without checkout shows %q", absent)
		}
	}
	// No logo: the name instead.
	if strings.Contains(out.HTML, "<img") || !strings.Contains(out.HTML, "<strong style=\"font-size:20px;\">shop</strong>") {
		t.Errorf("HTML header without a logo:\n%s", out.HTML)
	}
}

func TestShippedEmailLinksToTracking(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t, brand)
	o := sampleOrder()
	o.Carrier, o.TrackingNumber = "UPS", "1Z999AA1 0123456784"
	out, err := r.Order(models.EmailOrderShipped, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://www.ups.com/track?tracknum=1Z999AA1%200123456784"
	if !strings.Contains(out.Text, "Track your parcel: "+link) {
		t.Errorf("text lacks the tracking link:\n%s", out.Text)
	}
	if !strings.Contains(out.HTML, `href="`+link+`"`) || !strings.Contains(out.HTML, "with UPS") {
		t.Errorf("HTML lacks the tracking link:\n%s", out.HTML)
	}
	if out.Subject != "Your Mug & Co order 0b7c7a53 has shipped" {
		t.Errorf("subject %q", out.Subject)
	}
}

func TestPaymentAndRefundEmailsShowTheAmount(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t, brand)
	for _, kind := range []string{models.EmailPaymentReceived, models.EmailOrderRefunded} {
		out, err := r.Order(kind, sampleOrder(), 3669)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Text, "payment of 36.69 USD") || !strings.Contains(out.HTML, "<strong>36.69 USD</strong>") {
			t.Errorf("%s lacks the amount:\n%s", kind, out.Text)
		}
	}
	out, err := r.Order(models.EmailOrderCancelled, sampleOrder(), 0)
	if err != nil || !strings.Contains(out.Text, "has been cancelled") {
		t.Errorf("cancelled: %v\n%s", err, out.Text)
	}
	if _, err := r.Order(models.EmailPasswordReset, sampleOrder(), 0); err == nil {
		t.Error("a password reset rendered as an order email")
	}
}

func TestAccountEmailsCarryTheLink(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t, brand)
	token := "AbC-123_xyz"
	for _, c := range []struct {
		kind, link, valid string
		ttl               time.Duration
	}{
		{models.EmailPasswordReset, "https://mugs.example/reset-password?token=AbC-123_xyz", "1 hour", models.ResetTokenTTL},
		{models.EmailVerifyEmail, "https://mugs.example/verify-email?token=AbC-123_xyz", "24 hours", models.VerifyTokenTTL},
	} {
		subject, text, html, err := r.AccountEmail(c.kind, token, c.ttl)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, c.link) || !strings.Contains(html, `href="`+c.link+`"`) {
			t.Errorf("%s lacks its link %s:\n%s\n%s", c.kind, c.link, text, html)
		}
		if !strings.Contains(text, c.valid) || !strings.Contains(subject, "Mug & Co") {
			t.Errorf("%s: subject %q, text:\n%s", c.kind, subject, text)
		}
	}
}

func TestPlanAsksForOneEmailPerOrderEnding(t *testing.T) {
	t.Parallel()
	at := time.Now()
	evs := []models.Event{
		models.NewEvent(models.EventOrderPlaced, "o1", models.OrderPlaced{OrderID: "o1"}, at),
		models.NewEvent(models.EventStockChanged, "p1", models.StockChanged{ProductID: "p1"}, at),
		models.NewEvent(models.EventPaymentSuccess, "o1", models.PaymentChanged{PaymentID: "pay1", OrderID: "o1", Amount: 500}, at),
		models.NewEvent(models.EventOrderStatusChanged, "o1", models.OrderStatusChanged{OrderID: "o1", From: "pending", To: "paid"}, at),
		models.NewEvent(models.EventOrderStatusChanged, "o1", models.OrderStatusChanged{OrderID: "o1", From: "paid", To: "shipped"}, at),
		// A refunded cancellation: the refund first, in the same write.
		models.NewEvent(models.EventPaymentRefunded, "o2", models.PaymentChanged{PaymentID: "pay2", OrderID: "o2", Amount: 700}, at),
		models.NewEvent(models.EventOrderStatusChanged, "o2", models.OrderStatusChanged{OrderID: "o2", From: "paid", To: "cancelled"}, at),
		models.NewEvent(models.EventOrderStatusChanged, "o3", models.OrderStatusChanged{OrderID: "o3", From: "pending", To: "cancelled"}, at),
	}
	for i := range evs {
		evs[i].ID = int64(i + 1)
	}
	got, err := planEmails(evs)
	if err != nil {
		t.Fatal(err)
	}
	want := []wanted{
		{kind: models.EmailOrderPlaced, orderID: "o1", dedupe: "placed:o1", seq: 1},
		{kind: models.EmailPaymentReceived, orderID: "o1", dedupe: "paid:pay1", amount: 500, seq: 3},
		{kind: models.EmailOrderShipped, orderID: "o1", dedupe: "shipped:o1", seq: 5},
		{kind: models.EmailOrderRefunded, orderID: "o2", dedupe: "ended:o2", amount: 700, seq: 6},
		{kind: models.EmailOrderCancelled, orderID: "o3", dedupe: "ended:o3", seq: 8},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("email %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLineTitleNamesTheProductAndItsVariant(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		it   models.OrderItem
		want string
	}{
		{models.OrderItem{ProductID: "p", ProductName: "Blue mug", Title: models.DefaultVariantTitle}, "Blue mug"},
		{models.OrderItem{ProductID: "p", ProductName: "T-shirt", Title: "M / Red"}, "T-shirt — M / Red"},
		{models.OrderItem{ProductID: "p", Title: "M / Red"}, "M / Red"}, // the product deleted since
		{models.OrderItem{ProductID: "p", Title: models.DefaultVariantTitle}, "Product p"},
		{models.OrderItem{ProductID: "p", ProductName: "Blue mug"}, "Blue mug"}, // a line from before variants
	} {
		if got := lineTitle(c.it); got != c.want {
			t.Errorf("lineTitle(%+v) = %q, want %q", c.it, got, c.want)
		}
	}
}
