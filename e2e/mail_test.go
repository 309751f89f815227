package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"shop/internal/testenv"
)

// emailNode is an EmailMessage as the outbox lists it.
type emailNode struct {
	EmailID, Kind, To, Subject, Status string
	Attempts                           int
	OrderID, File, TextBody, HTMLBody  *string
	LastError                          *string
	SentAt                             *time.Time
}

const outboxDoc = `query($kind: String, $status: String) { emailOutbox(kind: $kind, status: $status, first: 100) {
	edges { node { emailId kind to subject status attempts orderId file textBody htmlBody lastError sentAt } } } }`

// MustOutbox is the admin's view of the outbox, newest first.
func (c *client) MustOutbox(tb testing.TB, kind, status string) []emailNode {
	tb.Helper()
	vars := map[string]any{}
	if kind != "" {
		vars["kind"] = kind
	}
	if status != "" {
		vars["status"] = status
	}
	var out struct {
		EmailOutbox struct{ Edges []struct{ Node emailNode } }
	}
	c.MustData(tb, outboxDoc, vars, &out)
	nodes := make([]emailNode, len(out.EmailOutbox.Edges))
	for i, e := range out.EmailOutbox.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

// mustSentTo waits until n emails to addr are sent, and returns them in
// the order they were sent.
func mustSentTo(tb testing.TB, admin *client, addr string, n int) []emailNode {
	tb.Helper()
	var got []emailNode
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = got[:0]
		for _, m := range admin.MustOutbox(tb, "", "sent") {
			if m.To == addr {
				got = append(got, m)
			}
		}
		sort.Slice(got, func(i, j int) bool { return got[i].SentAt.Before(*got[j].SentAt) })
		if len(got) >= n {
			if len(got) > n {
				tb.Fatalf("%d emails sent to %s, want %d: %+v", len(got), addr, n, got)
			}
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d emails sent to %s in 20 s; outbox: %+v", len(got), n, addr, admin.MustOutbox(tb, "", ""))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// parsedEmail is an email as a mail program reads it: its headers and both
// parts of its multipart/alternative body, decoded.
type parsedEmail struct {
	From, To, Subject string
	Text, HTML        string
}

func mustParseEML(tb testing.TB, raw []byte) parsedEmail {
	tb.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		tb.Fatalf("not an email: %v\n%s", err, raw)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	out := parsedEmail{From: msg.Header.Get("From"), To: msg.Header.Get("To"), Subject: subject}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		tb.Fatalf("Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart() // quoted-printable is decoded here
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			tb.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.Text = strings.ReplaceAll(string(body), "\r\n", "\n") // the wire's line ends
		case "text/html":
			out.HTML = string(body)
		default:
			tb.Errorf("unexpected part %s", ct)
		}
	}
	if out.Text == "" || out.HTML == "" {
		tb.Fatalf("an email without both parts: %+v", out)
	}
	return out
}

func mustContain(tb testing.TB, what, s string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			tb.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

var resetLink = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]{43})`)

// mustOrderLifecycle places an order of 2 units at 12.50 as cust, pays it
// through the local provider and ships it with UPS (on the instances
// given, in turn), and returns its id.
func mustOrderLifecycle(tb testing.TB, cust *client, admins []*client, product string) string {
	tb.Helper()
	var placed struct{ CreateOrder struct{ OrderID string } }
	cust.MustData(tb, `mutation($p: String!) { createOrder(input: {items: [{productId: $p, quantity: 2}]}) { orderId } }`, map[string]any{"p": product}, &placed)
	id := placed.CreateOrder.OrderID
	pay := cust.MustCreatePayment(tb, id)
	admins[0].MustData(tb, confirmLocalDoc, map[string]any{"p": pay.PaymentID, "out": "succeeded"}, &struct{}{})
	admins[len(admins)-1].MustData(tb, `mutation($o: String!) { updateOrderStatus(orderId: $o, status: "shipped", carrier: "UPS", trackingNumber: "1Z999AA10123456784") { status } }`,
		map[string]any{"o": id}, &struct{}{})
	return id
}

// On the embedded default (SQLite, no SMTP_URL), a customer's order sends
// its receipt, its payment's and its shipment's emails as .eml files, in
// that order, listed in the outbox; a password reset's email carries a
// link whose token resets the password once, ends the account's sessions,
// and never shows through the API.
func TestEmailsAsFilesOnSQLite(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["MAIL_POLL_INTERVAL"], env["SHOP_NAME"], env["SHOP_URL"] = "50ms", "Test Shop", "https://shop.test"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	cust, sess := in.MustCustomer(t)
	product := in.MustCreateProduct(t, 12.5, 10)
	orderID := mustOrderLifecycle(t, cust, []*client{admin}, product)

	sent := mustSentTo(t, admin, sess.User.Email, 3)
	wantKinds := []string{"order_placed", "payment_received", "order_shipped"}
	var parts []parsedEmail
	for i, m := range sent {
		if m.Kind != wantKinds[i] || m.OrderID == nil || *m.OrderID != orderID || m.File == nil || m.Attempts != 1 || m.TextBody == nil || m.HTMLBody == nil {
			t.Fatalf("email %d: %+v, want %s of %s written to a file", i, m, wantKinds[i], orderID)
		}
		if !strings.HasPrefix(*m.File, env["SQLITE_PATH"][:len(env["SQLITE_PATH"])-len("shop.db")]+"mail/") || !strings.HasSuffix(*m.File, ".eml") {
			t.Errorf("file %s is not under data/mail beside the database", *m.File)
		}
		raw, err := os.ReadFile(*m.File)
		if err != nil {
			t.Fatal(err)
		}
		e := mustParseEML(t, raw)
		if e.Subject != m.Subject || !strings.Contains(e.To, sess.User.Email) || !strings.Contains(e.From, `"Test Shop" <shop@localhost>`) {
			t.Errorf("headers: %+v (outbox %+v)", e, m)
		}
		if e.Text != *m.TextBody {
			t.Errorf("the file's text part differs from the outbox's")
		}
		parts = append(parts, e)
	}
	// A line is named by its product (a product's one variant, "Default",
	// is not a name).
	var named struct{ GetProductsById struct{ Name string } }
	in.MustData(t, `query($id: String!) { getProductsById(id: $id) { name } }`, map[string]any{"id": product}, &named)
	mustContain(t, "the receipt's text", parts[0].Text, "2 × "+named.GetProductsById.Name+" @ 12.50 USD", "Total: 25.00 USD", orderID, "https://shop.test")
	mustContain(t, "the receipt's HTML", parts[0].HTML, "25.00 USD", `href="https://shop.test"`)
	mustContain(t, "the payment's text", parts[1].Text, "payment of 25.00 USD")
	track := "https://www.ups.com/track?tracknum=1Z999AA10123456784"
	mustContain(t, "the shipment's text", parts[2].Text, "with UPS", "Track your parcel: "+track)
	mustContain(t, "the shipment's HTML", parts[2].HTML, `href="`+track+`"`)

	// A reset asked for by anyone, for an account and for no account.
	for _, addr := range []string{sess.User.Email, "nobody-" + testenv.RandomName("") + "@shop.test"} {
		var ok struct{ RequestPasswordReset bool }
		in.Anonymous().MustData(t, `mutation($e: String!) { requestPasswordReset(email: $e) }`, map[string]any{"e": addr}, &ok)
		if !ok.RequestPasswordReset {
			t.Fatalf("requestPasswordReset(%s) = false", addr)
		}
	}
	resets := mustSentTo(t, admin, sess.User.Email, 4)[3:]
	m := resets[0]
	if m.Kind != "password_reset" || m.TextBody != nil || m.HTMLBody != nil || m.OrderID != nil || m.File == nil {
		t.Fatalf("reset email in the outbox: %+v (bodies must be null)", m)
	}
	if all := admin.MustOutbox(t, "password_reset", ""); len(all) != 1 {
		t.Errorf("%d reset emails, want 1 (none for an address without an account)", len(all))
	}
	raw, err := os.ReadFile(*m.File)
	if err != nil {
		t.Fatal(err)
	}
	e := mustParseEML(t, raw)
	link := resetLink.FindStringSubmatch(e.Text)
	if link == nil || !strings.Contains(e.Text, "https://shop.test/reset-password?token=") || !strings.Contains(e.HTML, `href="https://shop.test`+link[0]+`"`) {
		t.Fatalf("no reset link in both parts:\n%s\n%s", e.Text, e.HTML)
	}
	mustResetOnce(t, in, sess, link[1])

	// A paid order cancelled is refunded first, in the same write: one
	// email for both, the refund's.
	var second struct{ CreateOrder struct{ OrderID string } }
	cust.MustData(t, `mutation($p: String!) { createOrder(input: {items: [{productId: $p, quantity: 2}]}) { orderId } }`, map[string]any{"p": product}, &second)
	pay := cust.MustCreatePayment(t, second.CreateOrder.OrderID)
	admin.MustData(t, confirmLocalDoc, map[string]any{"p": pay.PaymentID, "out": "succeeded"}, &struct{}{})
	admin.MustData(t, cancelWithPayment, map[string]any{"o": second.CreateOrder.OrderID, "r": "out of stock"}, &struct{}{})
	all := mustSentTo(t, admin, sess.User.Email, 7)
	for i, kind := range []string{"order_placed", "payment_received", "order_refunded"} {
		if m := all[4+i]; m.Kind != kind || *m.OrderID != second.CreateOrder.OrderID {
			t.Errorf("the second order's email %d: %s of %v, want %s", i, m.Kind, *m.OrderID, kind)
		}
	}
	mustContain(t, "the refund's text", *all[6].TextBody, "cancelled", "payment of 25.00 USD refunded")
	for _, m := range admin.MustOutbox(t, "order_cancelled", "") {
		if *m.OrderID == second.CreateOrder.OrderID {
			t.Errorf("a refunded cancellation sent a cancellation email too")
		}
	}
}

// mustResetOnce resets sess's account with token: the old password and
// the old session stop working, the new password works, and the token is
// used up.
func mustResetOnce(tb testing.TB, in *instance, sess session, token string) {
	tb.Helper()
	const newPassword = "a brand new passw0rd"
	doc := `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`
	if r := in.Anonymous().MustPost(tb, doc, map[string]any{"t": token, "p": "short"}); r.Code() != "BAD_USER_INPUT" {
		tb.Errorf("a short new password: %s", r.Code())
	}
	var ok struct{ ResetPassword bool }
	in.Anonymous().MustData(tb, doc, map[string]any{"t": token, "p": newPassword}, &ok)
	if !ok.ResetPassword {
		tb.Fatal("resetPassword = false")
	}
	if r := in.Anonymous().MustPost(tb, doc, map[string]any{"t": token, "p": newPassword}); r.Code() != "RESET_TOKEN_USED" {
		tb.Errorf("the token used again: %s, want RESET_TOKEN_USED", r.Code())
	}
	if r := in.Anonymous().MustPost(tb, `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }`, map[string]any{"t": sess.RefreshToken}); r.Code() != "UNAUTHENTICATED" {
		tb.Errorf("the session from before the reset refreshed: %s", r.Code())
	}
	if r := in.Anonymous().MustPost(tb, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": sess.User.Email, "p": testCustomerPassword}); r.Code() != "UNAUTHENTICATED" {
		tb.Errorf("the old password still signs in: %s", r.Code())
	}
	c, _ := in.MustLogin(tb, sess.User.Email, newPassword)
	var me struct{ Me struct{ EmailVerified bool } }
	c.MustData(tb, `{ me { emailVerified } }`, nil, &me)
	if !me.Me.EmailVerified {
		tb.Error("a reset through the emailed link leaves the email unverified")
	}
}

// mailpitMessage is a message as mailpit's API returns it.
type mailpitMessage struct {
	ID      string
	From    struct{ Name, Address string }
	To      []struct{ Name, Address string }
	Subject string
	Text    string
	HTML    string
	// Username is the SMTP login the message came in with.
	Username string
}

// mailpitTo reads every message mailpit holds for addr, oldest first.
func mailpitTo(tb testing.TB, api, addr string) []mailpitMessage {
	tb.Helper()
	get := func(path string, out any) {
		resp, err := http.Get(api + path)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			tb.Fatalf("mailpit %s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatal(err)
		}
	}
	var list struct {
		Messages []struct{ ID string }
	}
	get("/api/v1/search?query="+url.QueryEscape(fmt.Sprintf("to:%q", addr)), &list)
	out := make([]mailpitMessage, len(list.Messages))
	for i, m := range list.Messages {
		get("/api/v1/message/"+url.PathEscape(m.ID), &out[len(out)-1-i]) // the list is newest first
	}
	return out
}

// Two server processes on one PostgreSQL database, both sending through
// a real SMTP server (mailpit): each email of an order goes
// out once, in the order's order, whichever process wrote the event and
// whichever sent it; mailpit's API shows the recipient, the subject, both
// parts and the links; the reset link works.
func TestEmailsThroughMailpitAcrossProcesses(t *testing.T) {
	t.Parallel()
	smtpAddr, api := testenv.MustMailpit(t)
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	// mailpit offers no STARTTLS here: opportunistic TLS stays plain, as
	// with a local relay, and so no user (no password in the clear).
	env["SMTP_URL"] = "smtp://" + smtpAddr
	env["MAIL_FROM"], env["SHOP_NAME"], env["SHOP_URL"] = "orders@shop.test", "Mailpit Shop", "https://mailpit.shop.test"
	env["MAIL_POLL_INTERVAL"] = "50ms"
	p1, p2 := mustStartProcess(t, bin, env), mustStartProcess(t, bin, env)
	a1, a2 := p1.MustAdmin(t), p2.MustAdmin(t)
	cust, sess := p1.MustCustomer(t)
	product := p1.MustCreateProduct(t, 12.5, 10)
	orderID := mustOrderLifecycle(t, cust, []*client{a2, a1}, product)
	mustSentTo(t, a1, sess.User.Email, 3)
	var ok struct{ RequestPasswordReset bool }
	p2.Anonymous().MustData(t, `mutation($e: String!) { requestPasswordReset(email: $e) }`, map[string]any{"e": sess.User.Email}, &ok)

	sent := mustSentTo(t, a2, sess.User.Email, 4)
	for i, kind := range []string{"order_placed", "payment_received", "order_shipped", "password_reset"} {
		if sent[i].Kind != kind || sent[i].File != nil || sent[i].Attempts != 1 {
			t.Errorf("email %d: %+v, want %s sent once over SMTP", i, sent[i], kind)
		}
	}
	var msgs []mailpitMessage
	testenv.WaitFor(t, func() bool { msgs = mailpitTo(t, api, sess.User.Email); return len(msgs) >= 4 })
	if len(msgs) != 4 {
		t.Fatalf("mailpit holds %d messages for %s, want 4 (each sent once)", len(msgs), sess.User.Email)
	}
	// In the order they were sent (mailpit's is the order received).
	sort.SliceStable(msgs, func(i, j int) bool {
		return msgs[i].ID != msgs[j].ID && indexOfSubject(sent, msgs[i].Subject) < indexOfSubject(sent, msgs[j].Subject)
	})
	for i, m := range msgs {
		if len(m.To) != 1 || m.To[0].Address != sess.User.Email || m.From.Address != "orders@shop.test" || m.From.Name != "Mailpit Shop" {
			t.Errorf("message %d: from %+v to %+v", i, m.From, m.To)
		}
		if m.Subject != sent[i].Subject || m.Text == "" || m.HTML == "" {
			t.Errorf("message %d: subject %q (outbox %q), text %d bytes, HTML %d bytes", i, m.Subject, sent[i].Subject, len(m.Text), len(m.HTML))
		}
	}
	mustContain(t, "the receipt's text", msgs[0].Text, orderID, "Total: 25.00 USD")
	mustContain(t, "the receipt's HTML", msgs[0].HTML, "25.00 USD", `href="https://mailpit.shop.test"`)
	track := "https://www.ups.com/track?tracknum=1Z999AA10123456784"
	mustContain(t, "the shipment's text", msgs[2].Text, "Track your parcel: "+track)
	mustContain(t, "the shipment's HTML", msgs[2].HTML, `href="`+track+`"`)
	link := resetLink.FindStringSubmatch(msgs[3].Text)
	if link == nil || !strings.HasPrefix(msgs[3].Subject, "Reset your Mailpit Shop password") ||
		!strings.Contains(msgs[3].HTML, `href="https://mailpit.shop.test`+link[0]+`"`) {
		t.Fatalf("reset message: %q\n%s\n%s", msgs[3].Subject, msgs[3].Text, msgs[3].HTML)
	}
	mustResetOnce(t, p1.instance, sess, link[1])
}

func indexOfSubject(sent []emailNode, subject string) int {
	for i, m := range sent {
		if m.Subject == subject {
			return i
		}
	}
	return len(sent)
}

// requestPasswordReset does the same work whether or not the address has
// an account: the same SQL statements (counted by the server, so nothing
// else running can blur it as wall time would), the same answer; and it
// is limited per email, account or not (RATE_LIMIT_PASSWORD_RESET), and
// per client address (RATE_LIMIT_AUTH).
func TestPasswordResetRequestsLookAlike(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["RATE_LIMIT_PASSWORD_RESET"] = "3"
	in := MustStart(t, env)
	_, sess := in.MustCustomer(t)
	missing := "nobody-" + testenv.RandomName("") + "@shop.test"
	doc := `mutation($e: String!) { requestPasswordReset(email: $e) }`
	cost := func(addr string) float64 {
		before := in.MustMetric(t, "shop_sql_statements_total", "")
		var out struct{ RequestPasswordReset bool }
		in.Anonymous().MustData(t, doc, map[string]any{"e": addr}, &out)
		if !out.RequestPasswordReset {
			t.Fatalf("requestPasswordReset(%s) = false", addr)
		}
		return in.MustMetric(t, "shop_sql_statements_total", "") - before
	}
	for range 3 {
		known, unknown := cost(sess.User.Email), cost(missing)
		if known != unknown || known == 0 {
			t.Errorf("statements: %v for an account, %v for none", known, unknown)
		}
	}
	for _, addr := range []string{sess.User.Email, missing, strings.ToUpper(missing)} {
		if r := in.Anonymous().MustSend(t, nil, doc, map[string]any{"e": addr}); r.Code() != "RATE_LIMITED" {
			t.Errorf("a fourth request for %s within the hour: %s, want RATE_LIMITED", addr, r.Code())
		}
	}
	// Another address still gets its own allowance.
	var out struct{ RequestPasswordReset bool }
	in.Anonymous().MustData(t, doc, map[string]any{"e": "other-" + missing}, &out)
	ip := EmbeddedEnv(t)
	ip["RATE_LIMIT_AUTH"] = "2"
	byIP := MustStart(t, ip)
	for i, addr := range []string{"a@shop.test", "b@shop.test", "c@shop.test"} {
		r := byIP.Anonymous().MustSend(t, nil, doc, map[string]any{"e": addr})
		if got, want := r.Code(), map[bool]string{true: "RATE_LIMITED", false: ""}[i == 2]; got != want {
			t.Errorf("request %d from one address: %q, want %q", i+1, got, want)
		}
	}
}

// A guest's order is confirmed to the email its cart named, with the
// address, the shipping method, the tax and the exact total; its
// cancellation follows. A signed-in customer verifies its email through
// the link it is sent, once; a verification token is no reset token.
func TestGuestReceiptAndEmailVerification(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["MAIL_POLL_INTERVAL"], env["SHOP_URL"] = "50ms", "https://guest.shop.test"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	product := in.MustCreateProduct(t, 12.5, 10)
	zone := mustZone(t, admin, "United States", []string{"US"}, nil)
	standard := mustRate(t, admin, zone, flatRate("Standard", "5"))
	mustTaxRate(t, admin, "US", "CA", "California", "7.25", false)
	guestEmail := testenv.RandomName("guest-") + "@shop.test"
	guest := in.Anonymous()
	cart := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": []any{cartLine(product, 2)}, "email": guestEmail}})
	guest.MustCart(t, "cartSetShippingAddress", map[string]any{"c": cart.CartID, "a": map[string]any{"name": "Ann Lee", "line1": "1 Main St",
		"city": "San Francisco", "region": "CA", "postalCode": "94107", "country": "US"}})
	guest.MustCart(t, "cartSelectShippingMethod", map[string]any{"c": cart.CartID, "m": standard})
	order := guest.MustCheckout(t, cart.CartID, "")
	admin.MustData(t, `mutation($o: String!) { updateOrderStatus(orderId: $o, status: "cancelled") { status } }`, map[string]any{"o": order.OrderID}, &struct{}{})

	sent := mustSentTo(t, admin, guestEmail, 2)
	if sent[0].Kind != "order_placed" || sent[1].Kind != "order_cancelled" {
		t.Fatalf("guest's emails: %s, %s", sent[0].Kind, sent[1].Kind)
	}
	raw, err := os.ReadFile(*sent[0].File)
	if err != nil {
		t.Fatal(err)
	}
	e := mustParseEML(t, raw)
	// 2 × 12.50 = 25.00; shipping 5.00; California's 7.25% of 25.00 =
	// 1.8125 → 1.81; total 31.81.
	mustContain(t, "the guest's receipt", e.Text, "Subtotal: 25.00 USD", "Shipping (Standard): 5.00 USD", "Tax: 1.81 USD", "Total: 31.81 USD",
		"Ann Lee", "1 Main St", "94107 San Francisco, CA", "US")
	mustContain(t, "the guest's receipt (HTML)", e.HTML, "31.81 USD", "94107 San Francisco, CA")

	cust, sess := in.MustCustomer(t)
	var ok struct{ RequestEmailVerification bool }
	cust.MustData(t, `mutation { requestEmailVerification }`, nil, &ok)
	verify := mustSentTo(t, admin, sess.User.Email, 1)[0]
	if verify.Kind != "verify_email" || verify.TextBody != nil || verify.HTMLBody != nil {
		t.Fatalf("verification email: %+v", verify)
	}
	raw, err = os.ReadFile(*verify.File)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`https://guest\.shop\.test/verify-email\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(mustParseEML(t, raw).Text)
	if link == nil {
		t.Fatalf("no verification link:\n%s", raw)
	}
	if r := guest.MustPost(t, `mutation($t: String!) { resetPassword(token: $t, newPassword: "a long new password") }`, map[string]any{"t": link[1]}); r.Code() != "RESET_TOKEN_INVALID" {
		t.Errorf("a verification token as a reset token: %s", r.Code())
	}
	var verified struct{ VerifyEmail bool }
	guest.MustData(t, `mutation($t: String!) { verifyEmail(token: $t) }`, map[string]any{"t": link[1]}, &verified)
	if r := guest.MustPost(t, `mutation($t: String!) { verifyEmail(token: $t) }`, map[string]any{"t": link[1]}); r.Code() != "RESET_TOKEN_USED" {
		t.Errorf("verifying twice: %s", r.Code())
	}
	var me struct{ Me struct{ EmailVerified bool } }
	cust.MustData(t, `{ me { emailVerified } }`, nil, &me)
	if !me.Me.EmailVerified {
		t.Error("verified, but emailVerified is false")
	}
	// Verified: asking again sends nothing more.
	cust.MustData(t, `mutation { requestEmailVerification }`, nil, &ok)
	if n := len(admin.MustOutbox(t, "verify_email", "")); n != 1 {
		t.Errorf("%d verification emails, want 1", n)
	}
}
