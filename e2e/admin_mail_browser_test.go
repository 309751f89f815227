package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminDashboardOutboxInBrowser reads the emails' Outbox in the
// dashboard (issue 21), in headless Chromium against the real server on
// its embedded default (emails written as .eml files): a customer's order
// puts its receipt in the Outbox; filtered by kind, its details show the
// recipient, the order, the file and the text body, and the HTML body in a
// frame sandboxed without scripts (never in the page), styled as sent,
// its source on request; a password
// reset's email is listed without its body. Passes axe-core at 375 and
// 1280 px.
func TestAdminDashboardOutboxInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	lamp := mustProduct(t, admin, map[string]any{"name": "Mail Lamp", "price": 30.0, "stockCount": 5, "sku": "LAMP-M"})
	cust, custSession := in.MustCustomer(t)
	order := mustOrder(t, cust, lamp, 2)
	receipt := waitEmail(t, admin, "order_placed", custSession.User.Email)
	if receipt.OrderID == nil || *receipt.OrderID != order.OrderID {
		t.Fatalf("the receipt's order: %+v, want %s", receipt, order.OrderID)
	}
	in.Anonymous().MustData(t, `mutation($e: String!) { requestPasswordReset(email: $e) }`, map[string]any{"e": custSession.User.Email}, &struct{}{})
	reset := waitEmail(t, admin, "password_reset", custSession.User.Email)

	ctx, console := startBrowser(t, 2*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()
	p.signIn()

	p.clickLink("Outbox")
	p.waitJS(`!!`+emailRow(receipt.EmailID)+` && !!`+emailRow(reset.EmailID), "both emails listed")
	p.set("Kind", "order_placed")
	p.waitJS(`location.search === "?kind=order_placed" && !!`+emailRow(receipt.EmailID)+` && !`+emailRow(reset.EmailID), "only the receipt under Order placed")
	p.clickJS(emailRow(receipt.EmailID) + `.querySelector("button")`)
	p.waitJS(`document.querySelector('[data-testid="email-to"]')?.textContent === `+jsString(custSession.User.Email), "the receipt's recipient")
	p.waitJS(`document.querySelector('[data-testid="email-status"]')?.textContent === "sent"`, "the receipt sent (written)")
	p.waitJS(`document.querySelector('[data-testid="email-file"]')?.textContent.endsWith(".eml")`, "the receipt's file")
	p.waitJS(`document.querySelector('[data-testid="email-text"]')?.textContent.includes(`+jsString(order.OrderID)+`) && document.querySelector('[data-testid="email-text"]').textContent.includes("LAMP-M")`, "the text body with the order and its line")
	p.waitJS(`document.activeElement?.dataset.testid === "email-detail"`, "focus on the email")
	// The HTML body: in a sandboxed frame of its own, not in the page.
	// The HTML body: in a frame sandboxed without scripts, not in the
	// page; styled as the email is (its inline styles, given back through
	// the CSSOM), none of them in its markup.
	p.waitJS(`(() => { const f = document.querySelector('[data-testid="email-html"]'); return f && f.tagName === "IFRAME" && f.getAttribute("sandbox") === "allow-same-origin" &&
		f.contentDocument?.body?.innerText.includes("LAMP-M") && f.contentDocument.body.style.background !== "" && !/\sstyle=/.test(f.srcdoc); })()`, "the HTML body, styled, in a sandboxed frame")
	// The page's own elements hold the email's words once (the text
	// body's <pre>) and none of its HTML (its layout tables).
	if got := p.eval(`[...document.querySelectorAll("body *")].filter((e) => e.children.length === 0 && e.textContent.includes("Thank you for your order")).map((e) => e.tagName).join(",") + "|" + document.querySelectorAll('table[role="presentation"]').length`); got != "PRE|0" {
		t.Errorf("the email in the page's own elements: %s, want PRE|0 (the text body alone)", got)
	}
	p.checkScreen("outbox-email")
	p.click("Show the HTML source")
	p.waitJS(`document.querySelector('[data-testid="email-html-source"]')?.textContent.startsWith("<!DOCTYPE html>")`, "the HTML source as text")

	// The reset link's email: listed, without its body.
	p.set("Kind", "password_reset")
	p.waitJS(`!!`+emailRow(reset.EmailID)+` && !`+emailRow(receipt.EmailID), "only the reset email")
	p.clickJS(emailRow(reset.EmailID) + `.querySelector("button")`)
	p.waitJS(`!!document.querySelector('[data-testid="email-no-body"]') && !document.querySelector('[data-testid="email-text"], [data-testid="email-html"]')`, "no body for the reset email")
	p.mustNotSee("reset-password?token=")
	p.checkScreen("outbox-reset")

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// TestResetPasswordPageInBrowser resets a customer's password through the
// /reset-password page an email links to (issue 21), in headless Chromium
// against the real server, with the token read from the .eml file the
// shop wrote: no sign-in asked; two different passwords and one too short
// refused beside their fields; the new password works and the old one no
// longer does; the used link refused. /verify-email confirms the
// address (User.emailVerified). Each page passes axe-core at 375 and 1280
// px.
func TestResetPasswordPageInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	_, custSession := in.MustCustomer(t)
	email := custSession.User.Email
	in.Anonymous().MustData(t, `mutation($e: String!) { requestPasswordReset(email: $e) }`, map[string]any{"e": email}, &struct{}{})
	link := emlLink(t, waitEmail(t, admin, "password_reset", email), "/reset-password")

	ctx, console := startBrowser(t, 2*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()

	p.open(link.RequestURI())
	p.waitJS(`!!H.field("New password")`, "the new password form")
	p.mustNotSee("Sign in with the shop's admin account", "Loading the dashboard")
	// No session asked for: the token is all the page needs.
	p.mu.Lock()
	for _, r := range p.requests {
		if strings.HasSuffix(r.URL, "/graphql") {
			t.Errorf("the page asked the API before the form was sent: %s", r.Body)
		}
	}
	p.mu.Unlock()
	p.checkScreen("reset-password")
	const newPassword = "a brand new passphrase"
	p.set("New password", newPassword)
	p.set("New password, again", "something else")
	p.click("Change password")
	p.waitJS(`fieldError("New password, again").includes("The two passwords differ")`, "the mismatch beside the second field")
	p.set("New password", "short")
	p.set("New password, again", "short")
	p.click("Change password")
	p.waitJS(`fieldError("New password") !== "" && H.field("New password").getAttribute("aria-invalid") === "true"`, "the API's message beside the password")
	p.waitJS(`!H.field("New password, again").getAttribute("aria-invalid")`, "the second field no longer marked")
	p.checkScreen("reset-password-error")
	p.set("New password", newPassword)
	p.set("New password, again", newPassword)
	p.click("Change password")
	p.waitJS(`document.querySelector('[data-testid="reset-done"]')?.textContent.includes("Your password has been changed")`, "the password changed")
	p.checkScreen("reset-password-done")
	if r := in.MustPost(t, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": email, "p": testCustomerPassword}); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("the old password still signs in (%q)", r.Code())
	}
	in.MustLogin(t, email, newPassword)

	// The link again: used.
	p.open(link.RequestURI())
	p.set("New password", "yet another passphrase")
	p.set("New password, again", "yet another passphrase")
	p.click("Change password")
	p.waitJS(`document.querySelector('[data-testid="reset-error"]')?.textContent.length > 0`, "the used link refused")
	in.MustLogin(t, email, newPassword)

	// Verifying an address, from its email's link (another customer's: a
	// reset's link proves the address too).
	other, otherSession := in.MustCustomer(t)
	other.MustData(t, `mutation { requestEmailVerification }`, nil, &struct{}{})
	verify := emlLink(t, waitEmail(t, admin, "verify_email", otherSession.User.Email), "/verify-email")
	p.open(verify.RequestURI())
	p.waitJS(`!!document.querySelector('[data-testid="verify-done"]')`, "the address confirmed")
	p.checkScreen("verify-email")
	var me struct{ Me struct{ EmailVerified bool } }
	other.MustData(t, `{ me { emailVerified } }`, nil, &me)
	if !me.Me.EmailVerified {
		t.Error("the address is not verified after its page said so")
	}
	p.open("/verify-email?token=nonsense")
	p.waitJS(`document.querySelector('[data-testid="verify-error"]')?.textContent.length > 7`, "a bad token refused")

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// emailRow is the Outbox's row of the email of that id.
func emailRow(id string) string {
	return `document.querySelector('#emails tr[data-email-id=' + JSON.stringify(` + jsString(id) + `) + ']')`
}

type outboxEmail struct {
	EmailID, Kind, To, Status string
	OrderID, File             *string
}

// waitEmail polls the Outbox (up to 20 s) for the email of that kind to
// that address, written or sent.
func waitEmail(t *testing.T, admin *client, kind, to string) outboxEmail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out struct {
			EmailOutbox struct{ Edges []struct{ Node outboxEmail } }
		}
		admin.MustData(t, `query($k: String) { emailOutbox(kind: $k, first: 50) { edges { node { emailId kind to status orderId file } } } }`,
			map[string]any{"k": kind}, &out)
		for _, e := range out.EmailOutbox.Edges {
			if e.Node.To == to && e.Node.Status == "sent" && e.Node.File != nil {
				return e.Node
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s email to %s was written: %+v", kind, to, out.EmailOutbox.Edges)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// emlLink reads the email's .eml file and returns the link to path in its
// text part (decoded as a mail program would).
func emlLink(t *testing.T, m outboxEmail, path string) *url.URL {
	t.Helper()
	raw, err := os.ReadFile(*m.File)
	if err != nil {
		t.Fatalf("read the email's file: %v", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", *m.File, err)
	}
	text := mimeText(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	found := regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(path) + `\?token=[A-Za-z0-9_-]+`).FindString(text)
	if found == "" {
		t.Fatalf("no %s link in the email's text:\n%s", path, text)
	}
	u, err := url.Parse(found)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mimeText is the text/plain part of a MIME body.
func mimeText(t *testing.T, contentType, encoding string, body io.Reader) string {
	t.Helper()
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextRawPart()
			if err != nil {
				return ""
			}
			if s := mimeText(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); s != "" {
				return s
			}
		}
	}
	if media != "text/plain" {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read the text part: %v", err)
	}
	return string(b)
}
