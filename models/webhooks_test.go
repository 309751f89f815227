package models_test

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"shop/errcode"
	"shop/models"
)

func TestWebhookMessages(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 0, 0, 123e6, time.UTC)
	ev := func(id int64, typ string, payload any) models.Event {
		e := models.NewEvent(typ, "s", payload, at)
		e.ID = id
		return e
	}
	cases := []struct {
		name  string
		event models.Event
		types []string
		ids   []string
		key   string
	}{
		{"placed", ev(1, models.EventOrderPlaced, models.OrderPlaced{OrderID: "o1"}), []string{"order.placed"}, []string{"evt_1"}, "o1"},
		{"paid", ev(2, models.EventOrderStatusChanged, models.OrderStatusChanged{OrderID: "o1", From: "pending", To: "paid"}),
			[]string{"order.status_changed"}, []string{"evt_2"}, "o1"},
		{"cancelled is also order.cancelled", ev(3, models.EventOrderStatusChanged, models.OrderStatusChanged{OrderID: "o1", From: "paid", To: "cancelled"}),
			[]string{"order.status_changed", "order.cancelled"}, []string{"evt_3", "evt_3_cancelled"}, "o1"},
		{"payment succeeded", ev(4, models.EventPaymentSuccess, models.PaymentChanged{PaymentID: "p", OrderID: "o2"}), []string{"payment.succeeded"}, []string{"evt_4"}, "o2"},
		{"payment refunded", ev(5, models.EventPaymentRefunded, models.PaymentChanged{PaymentID: "p", OrderID: "o2"}), []string{"payment.refunded"}, []string{"evt_5"}, "o2"},
		{"product created", ev(6, models.EventProductCreated, models.ProductChanged{ProductID: "pr"}), []string{"product.created"}, []string{"evt_6"}, "pr"},
		{"product updated", ev(7, models.EventProductUpdated, models.ProductChanged{ProductID: "pr"}), []string{"product.updated"}, []string{"evt_7"}, "pr"},
		{"product deleted", ev(8, models.EventProductDeleted, models.ProductChanged{ProductID: "pr"}), []string{"product.deleted"}, []string{"evt_8"}, "pr"},
		{"stock by product, even an order's", ev(9, models.EventStockChanged, models.StockChanged{ProductID: "pr", OrderID: "o1"}), []string{"stock.changed"}, []string{"evt_9"}, "pr"},
		{"payment started: none", ev(10, models.EventPaymentStarted, models.PaymentChanged{}), nil, nil, ""},
		{"order noted: none", ev(11, models.EventOrderNoted, models.OrderNoted{}), nil, nil, ""},
		{"category: none", ev(12, models.EventCategoryChanged, models.CategoryChanged{}), nil, nil, ""},
		{"account: none", ev(13, models.EventAccountRegistered, models.AccountRegistered{}), nil, nil, ""},
		{"endpoint disabled: none", ev(14, models.EventWebhookEndpointDisabled, models.WebhookEndpointDisabled{}), nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ms, err := models.WebhookMessages(c.event)
			if err != nil {
				t.Fatal(err)
			}
			var types, ids []string
			for _, m := range ms {
				types, ids = append(types, m.Type), append(ids, m.ID)
				if m.OrderingKey != c.key {
					t.Errorf("key %q, want %q", m.OrderingKey, c.key)
				}
				var body struct {
					ID, Type, CreatedAt string
					Data                json.RawMessage
				}
				if err := json.Unmarshal([]byte(m.Body), &body); err != nil {
					t.Fatal(err)
				}
				if body.ID != m.ID || body.Type != m.Type || body.CreatedAt != "2026-12-07T10:00:00.123Z" || string(body.Data) != c.event.Data {
					t.Errorf("body %s", m.Body)
				}
			}
			if !slices.Equal(types, c.types) || !slices.Equal(ids, c.ids) {
				t.Errorf("types %v ids %v, want %v %v", types, ids, c.types, c.ids)
			}
		})
	}
	if _, err := models.WebhookMessages(models.Event{Type: models.EventOrderPlaced, Data: "{"}); err == nil {
		t.Error("a broken payload: no error")
	}
}

func TestParseWebhookEvents(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   []string
		want []string
		code errcode.Code
	}{
		{[]string{"*"}, []string{"*"}, ""},
		{[]string{"order.placed", "stock.changed", "order.placed"}, []string{"order.placed", "stock.changed"}, ""},
		{models.WebhookEventTypes, models.WebhookEventTypes, ""},
		{nil, nil, errcode.WebhookEventTypeUnknown},
		{[]string{}, nil, errcode.WebhookEventTypeUnknown},
		{[]string{"*", "order.placed"}, nil, errcode.WebhookEventTypeUnknown},
		{[]string{"order.placed", "order.noted", "payment.failed"}, nil, errcode.WebhookEventTypeUnknown},
		{[]string{"ORDER.PLACED"}, nil, errcode.WebhookEventTypeUnknown},
	} {
		got, err := models.ParseWebhookEvents(c.in)
		if models.ErrorCode(err) != c.code || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v %v, want %v %s", c.in, got, err, c.want, c.code)
		}
	}
	_, err := models.ParseWebhookEvents([]string{"order.noted", "x"})
	if err == nil || !strings.Contains(err.Error(), `"order.noted", "x"`) || !strings.Contains(err.Error(), "order.placed") {
		t.Errorf("the message names the unknown and the known: %v", err)
	}
}

func TestWebhookEndpointWants(t *testing.T) {
	t.Parallel()
	all := models.WebhookEndpoint{Events: []string{"*"}}
	some := models.WebhookEndpoint{Events: []string{"order.cancelled"}}
	if !all.Wants("stock.changed") || !some.Wants("order.cancelled") || some.Wants("order.status_changed") {
		t.Error("Wants")
	}
}

func TestParseWebhookURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url     string
		private bool
		ok      bool
	}{
		{"https://hooks.example.com/shop", false, true},
		{"https://hooks.example.com:8443/shop?x=1", false, true},
		{"https://203.0.113.9/x", false, true},
		{"http://hooks.example.com/shop", false, false},
		{"http://127.0.0.1:9000/shop", true, true},
		{"https://localhost/x", true, true},
		{"ftp://hooks.example.com/x", true, false},
		{"https:///x", false, false},
		{"/relative", false, false},
		{"", false, false},
		{"https://u:p@hooks.example.com/", false, false},
		{"https://hooks.example.com/#frag", false, false},
		{"https://localhost/x", false, false},
		{"https://a.localhost/x", false, false},
		{"https://127.0.0.1/x", false, false},
		{"https://[::1]/x", false, false},
		{"https://[::ffff:10.0.0.1]/x", false, false},
		{"https://10.0.0.8/x", false, false},
		{"https://172.16.3.4/x", false, false},
		{"https://192.168.1.1/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[fd00:ec2::254]/x", false, false},
		{"https://100.64.1.1/x", false, false},
		{"https://0.0.0.0/x", false, false},
		{"https://[fe80::1]/x", false, false},
		{"https://224.0.0.1/x", false, false},
		{"https://hooks.example.com:99999/x", false, false},
		{"https://hooks.example.com/" + strings.Repeat("a", models.MaxWebhookURLBytes), false, false},
	} {
		_, err := models.ParseWebhookURL(c.url, c.private)
		if (err == nil) != c.ok || err != nil && models.ErrorCode(err) != errcode.WebhookURLInvalid {
			t.Errorf("%q (private %v): %v", c.url, c.private, err)
		}
	}
}

func TestForbiddenAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.31.0.1": "private", "192.168.0.1": "private",
		"fc00::1": "private", "fd12::1": "private", "169.254.1.1": "link-local", "fe80::1": "link-local", "100.64.0.1": "CGNAT",
		"100.127.255.255": "CGNAT", "169.254.169.254": "metadata", "fd00:ec2::254": "metadata", "0.0.0.0": "unspecified", "::": "unspecified",
		"0.1.2.3": "unspecified", "224.0.0.251": "link-local", "239.1.2.3": "multicast", "ff02::1": "link-local", "ff05::1": "multicast", "255.255.255.255": "reserved",
		"::ffff:127.0.0.1": "loopback", "8.8.8.8": "", "2606:4700::1111": "", "100.128.0.1": "", "203.0.113.7": "",
	} {
		if got := models.ForbiddenAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func TestNewWebhookSecret(t *testing.T) {
	t.Parallel()
	a, b := models.NewWebhookSecret(), models.NewWebhookSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if !strings.HasPrefix(a, "whsec_") || err != nil || len(key) != 24 || a == b {
		t.Errorf("%q %q: %v", a, b, err)
	}
}

func TestWebhookRetry(t *testing.T) {
	t.Parallel()
	r := models.WebhookRetry{Base: 30 * time.Second, MaxDelay: 4 * time.Hour, Window: 24 * time.Hour}
	for _, c := range []struct {
		attempts int
		u        float64
		want     time.Duration
	}{
		{1, 0.999999999, 30 * time.Second}, {1, 0, 0}, {1, 0.5, 15 * time.Second}, {2, 0.5, 30 * time.Second},
		{5, 1, 8 * time.Minute}, {10, 1, 4 * time.Hour}, {1000, 1, 4 * time.Hour}, {1000, 0.25, time.Hour}, {0, 1, 30 * time.Second},
	} {
		if got := r.Delay(c.attempts, c.u).Round(time.Millisecond); got != c.want {
			t.Errorf("Delay(%d, %v) = %s, want %s", c.attempts, c.u, got, c.want)
		}
	}
	created := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if n := r.Next(created, created.Add(time.Minute), 1, 1); n == nil || !n.Equal(created.Add(90*time.Second)) {
		t.Errorf("first retry %v", n)
	}
	if n := r.Next(created, created.Add(23*time.Hour), 20, 1); n == nil || !n.Equal(created.Add(24*time.Hour)) {
		t.Errorf("the window's end is the last try: %v", n)
	}
	if n := r.Next(created, created.Add(24*time.Hour), 21, 0.5); n != nil {
		t.Errorf("after the window: %v, want failed", n)
	}
	// The expected schedule spans the window: with the waits at their
	// mean, a delivery failing every time is tried 10 to 25 times
	// within ~24 h, and then fails.
	now, attempts := created, 0
	for {
		attempts++
		n := r.Next(created, now, attempts, 0.5)
		if n == nil {
			break
		}
		now = *n
	}
	if attempts < 10 || attempts > 25 || now.Sub(created) != 24*time.Hour {
		t.Errorf("%d attempts, the last at %s", attempts, now.Sub(created))
	}
}

func TestEndpointAfterFailure(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	ep := models.WebhookEndpoint{ID: "e", Enabled: true}
	ep, off := models.EndpointAfterFailure(ep, now, 72*time.Hour)
	if off || ep.FailingSince == nil || !ep.FailingSince.Equal(now) || !ep.Enabled {
		t.Fatalf("first failure: %+v %v", ep, off)
	}
	ep, off = models.EndpointAfterFailure(ep, now.Add(71*time.Hour), 72*time.Hour)
	if off || !ep.FailingSince.Equal(now) || !ep.Enabled {
		t.Fatalf("71 h: %+v %v", ep, off)
	}
	ep, off = models.EndpointAfterFailure(ep, now.Add(72*time.Hour), 72*time.Hour)
	if !off || ep.Enabled || ep.DisabledReason == nil || !strings.Contains(*ep.DisabledReason, "72h0m0s") {
		t.Fatalf("72 h: %+v %v", ep, off)
	}
	if _, again := models.EndpointAfterFailure(ep, now.Add(73*time.Hour), 72*time.Hour); again {
		t.Error("disabled twice")
	}
}

func TestWebhookEndpointPatch(t *testing.T) {
	t.Parallel()
	since := time.Now()
	reason, desc := "failing", "old"
	base := func() models.WebhookEndpoint {
		return models.WebhookEndpoint{URL: "https://a.example/x", Events: []string{"*"}, Description: &desc, FailingSince: &since, DisabledReason: &reason}
	}
	url, empty, on, off := "https://b.example/y", "", true, false
	for name, c := range map[string]struct {
		patch models.WebhookEndpointPatch
		check func(models.WebhookEndpoint) bool
	}{
		"nothing":        {models.WebhookEndpointPatch{}, func(e models.WebhookEndpoint) bool { return e.URL == "https://a.example/x" && *e.Description == "old" }},
		"url":            {models.WebhookEndpointPatch{URL: &url}, func(e models.WebhookEndpoint) bool { return e.URL == url && e.Events[0] == "*" }},
		"events":         {models.WebhookEndpointPatch{Events: []string{"order.placed"}}, func(e models.WebhookEndpoint) bool { return e.Events[0] == "order.placed" }},
		"no description": {models.WebhookEndpointPatch{Description: &empty}, func(e models.WebhookEndpoint) bool { return e.Description == nil }},
		"enable": {models.WebhookEndpointPatch{Enabled: &on}, func(e models.WebhookEndpoint) bool {
			return e.Enabled && e.FailingSince == nil && e.DisabledReason == nil
		}},
		"disable already off": {models.WebhookEndpointPatch{Enabled: &off}, func(e models.WebhookEndpoint) bool { return !e.Enabled && *e.DisabledReason == "failing" }},
	} {
		ep := base()
		c.patch.Apply(&ep)
		if !c.check(ep) {
			t.Errorf("%s: %+v", name, ep)
		}
	}
	ep := base()
	ep.Enabled = true
	models.WebhookEndpointPatch{Enabled: &off}.Apply(&ep)
	if ep.Enabled || ep.DisabledReason == nil || *ep.DisabledReason != "Disabled by an admin." {
		t.Errorf("disabled by an admin: %+v", ep)
	}
}

func TestParseDeliveryPage(t *testing.T) {
	t.Parallel()
	st, bad, first, big, after, junk := "failed", "done", 5, 101, "42", "x"
	r, err := models.ParseDeliveryPage(nil, &st, &first, &after)
	if err != nil || r.Status != "failed" || r.First != 5 || r.Before != 42 {
		t.Errorf("%+v %v", r, err)
	}
	_, err = models.ParseDeliveryPage(nil, &bad, &big, &junk)
	if models.ErrorCode(err) != errcode.BadUserInput || !strings.Contains(err.Error(), "status") || !strings.Contains(err.Error(), "first") || !strings.Contains(err.Error(), "after") {
		t.Errorf("every bad argument at once: %v", err)
	}
	if _, err := models.ParseDeliveryID("abc"); models.ErrorCode(err) != errcode.NotFound {
		t.Errorf("ParseDeliveryID: %v", err)
	}
}

func TestWebhookErrorText(t *testing.T) {
	got := models.WebhookErrorText("HTTP 500: boom\x00\xff\xfe\x01\r\nnext")
	if !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\x01\r\n") || !strings.HasPrefix(got, "HTTP 500: boom ") || !strings.HasSuffix(got, "next") {
		t.Errorf("WebhookErrorText = %q", got)
	}
	long := models.WebhookErrorText(strings.Repeat("é", models.MaxWebhookErrorBytes))
	if len(long) > models.MaxWebhookErrorBytes || !utf8.ValidString(long) {
		t.Errorf("%d bytes, valid %v", len(long), utf8.ValidString(long))
	}
}

// IPv6 forms that reach an IPv4 address through a gateway or the kernel
// are judged as that address; the ranges that are not globally reachable
// are refused too.
func TestForbiddenAddrEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"64:ff9b::7f00:1": "loopback (as IPv6)", "64:ff9b::10.0.0.5": "private (as IPv6)", "64:ff9b::169.254.169.254": "metadata (as IPv6)",
		"2002:a9fe:a9fe::1": "metadata (as IPv6)", "2002:c0a8:0101::": "private (as IPv6)", "::7f00:1": "loopback (as IPv6)", "::10.1.2.3": "private (as IPv6)",
		"64:ff9b:1::a00:5": "NAT64", "198.18.0.1": "reserved", "198.19.255.254": "reserved", "192.0.0.170": "reserved",
		"64:ff9b::808:808": "", "2002:808:808::1": "", "198.20.0.1": "", "192.0.1.1": "",
	} {
		if got := models.ForbiddenAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

// Hosts that spell a forbidden address in a form a resolver, the HTTP
// client's IDNA mapping or a browser reads as that address are refused;
// names with such labels elsewhere, and IDN names, are not.
func TestParseWebhookURLHostForms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://2130706433/x", false}, {"https://0x7f000001/x", false}, {"https://0177.0.0.1/x", false}, {"https://127.1/x", false},
		{"https://0XA9FEA9FE/x", false}, {"https://１２７.０.０.１/x", false}, {"https://①②⑦.⓪.⓪.①/x", false}, {"https://127。0。0。1/x", false},
		{"https://ｌｏｃａｌｈｏｓｔ/x", false}, {"https://203.0.113.9.4/x", false},
		{"https://hooks.example.com/x", true}, {"https://0x7f000001.example.com/x", true}, {"https://127.0.0.1.example.com/x", true},
		{"https://münchen.example/x", true}, {"https://203.0.113.9/x", true}, {"https://hooks_prod.example.com/x", true},
	} {
		_, err := models.ParseWebhookURL(c.url, false)
		if (err == nil) != c.ok || err != nil && models.ErrorCode(err) != errcode.WebhookURLInvalid {
			t.Errorf("%q: %v", c.url, err)
		}
	}
	if _, err := models.ParseWebhookURL("http://2130706433/x", true); err != nil {
		t.Errorf("with private addresses allowed: %v", err)
	}
}

// A description with a NUL was an internal error on PostgreSQL (which
// refuses NUL in text): it is the client's mistake.
func TestParseWebhookDescriptionText(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"a\x00b", "a\x1bb", "a\xffb", "a\u200bb"} {
		if _, err := models.ParseWebhookDescription(&bad); models.ErrorCode(err) != errcode.BadUserInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
	good := "Warehouse\nline two"
	if d, err := models.ParseWebhookDescription(&good); err != nil || *d != good {
		t.Errorf("%q: %v %v", good, d, err)
	}
}
