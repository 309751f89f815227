package models

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"shop/errcode"
)

// Outbound webhooks (issue 21): the rules of endpoints and deliveries. The
// webhooks package turns the outbox's events into deliveries and sends
// them; everything decided without I/O is here.

// EventWebhookEndpointDisabled is the domain event of an endpoint the
// sender disabled after failing for WEBHOOKS_DISABLE_AFTER. It is not a
// webhook type: it names another receiver's URL, which is no business of
// the other endpoints, and the endpoint it is about no longer listens.
const EventWebhookEndpointDisabled = "webhook.endpoint_disabled" // WebhookEndpointDisabled

// WebhookEndpointDisabled is the payload of webhook.endpoint_disabled.
type WebhookEndpointDisabled struct {
	EndpointID   string    `json:"endpointId"`
	FailingSince time.Time `json:"failingSince"`
	Reason       string    `json:"reason"`
}

// The webhook event types, as endpoints name them.
const (
	WebhookOrderPlaced        = EventOrderPlaced
	WebhookOrderStatusChanged = EventOrderStatusChanged
	WebhookOrderCancelled     = "order.cancelled"
	WebhookPaymentSucceeded   = EventPaymentSuccess
	WebhookPaymentRefunded    = EventPaymentRefunded
	WebhookProductCreated     = EventProductCreated
	WebhookProductUpdated     = EventProductUpdated
	WebhookProductDeleted     = EventProductDeleted
	WebhookStockChanged       = EventStockChanged
	// WebhookAllEvents alone in an endpoint's list: every type, those
	// added later too.
	WebhookAllEvents = "*"
)

// WebhookEventTypes is every type an endpoint may ask for, in the order
// webhookEventTypes lists them.
var WebhookEventTypes = []string{
	WebhookOrderPlaced, WebhookOrderStatusChanged, WebhookOrderCancelled,
	WebhookPaymentSucceeded, WebhookPaymentRefunded,
	WebhookProductCreated, WebhookProductUpdated, WebhookProductDeleted, WebhookStockChanged,
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Limits of an endpoint's fields.
const (
	MaxWebhookURLBytes         = 2048
	MaxWebhookDescriptionBytes = 500
	MaxWebhookEndpoints        = 50
	// MaxWebhookErrorBytes bounds what a delivery keeps of an error.
	MaxWebhookErrorBytes = 500
)

// WebhookEndpoint is a receiver of webhooks. Secret is what signs them:
// Standard Webhooks signs with HMAC, which needs the key itself, so it is
// stored as created (never hashed) and shown only by the call that
// created it.
type WebhookEndpoint struct {
	ID             string
	URL            string
	Events         []string
	Description    *string
	Enabled        bool
	Secret         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FailingSince   *time.Time
	DisabledReason *string
	// ShowSecret is set on createWebhookEndpoint's answer alone.
	ShowSecret bool
}

// WebhookDelivery is one event owed to one endpoint.
type WebhookDelivery struct {
	ID             int64
	EndpointID     string
	EventID        string
	EventType      string
	OrderingKey    string
	Payload        string
	Status         string
	Attempts       int
	CreatedAt      time.Time
	NextAttemptAt  *time.Time
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	ResponseStatus *int
	LastError      *string
}

// DeliveryID is the delivery's id as the API shows it.
func (d WebhookDelivery) DeliveryID() string { return strconv.FormatInt(d.ID, 10) }

// ParseDeliveryID reads a deliveryId; NOT_FOUND for one that cannot be.
func ParseDeliveryID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errWebhookDeliveryNotFound
	}
	return id, nil
}

var errWebhookDeliveryNotFound = Errorf(errcode.NotFound, "No webhook delivery has that id.")

// ErrWebhookEndpointNotFound: no endpoint has the id given.
var ErrWebhookEndpointNotFound = Errorf(errcode.NotFound, "No webhook endpoint has that id.")

// ErrWebhookDeliveryNotFound: no delivery has the id given.
var ErrWebhookDeliveryNotFound = errWebhookDeliveryNotFound

// WebhookMessage is one webhook an event makes: its id (what receivers
// deduplicate by, and webhook-id), type, ordering key and body.
type WebhookMessage struct {
	ID          string
	Type        string
	OrderingKey string
	Body        string
}

// webhookBody is the JSON sent: data is the event's payload (models'
// structs above, as the outbox holds them).
type webhookBody struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// WebhookID is the id of the webhook of event id: "evt_" and the outbox
// id, with a suffix for a second webhook of the same event (an
// order.status_changed to cancelled is also an order.cancelled, which a
// receiver must not take for a duplicate).
func WebhookID(eventID int64, suffix string) string {
	id := "evt_" + strconv.FormatInt(eventID, 10)
	if suffix != "" {
		id += "_" + suffix
	}
	return id
}

// WebhookMessages are the webhooks of one outbox event: none for the
// events no endpoint can ask for (order.noted, category.changed, the
// payment's other states...). Orders' events are ordered by order, the
// catalog's by product.
func WebhookMessages(e Event) ([]WebhookMessage, error) {
	var key string
	var extra []string
	switch e.Type {
	case EventOrderPlaced:
		var p OrderPlaced
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		key = p.OrderID
	case EventOrderStatusChanged:
		var p OrderStatusChanged
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		key = p.OrderID
		if p.To == OrderStatusCancelled {
			extra = append(extra, WebhookOrderCancelled)
		}
	case EventPaymentSuccess, EventPaymentRefunded:
		var p PaymentChanged
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		key = p.OrderID
	case EventProductCreated, EventProductUpdated, EventProductDeleted:
		var p ProductChanged
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		key = p.ProductID
	case EventStockChanged:
		var p StockChanged
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		key = p.ProductID
	default:
		return nil, nil
	}
	at := e.At.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	msg := func(typ, id string) (WebhookMessage, error) {
		body, err := json.Marshal(webhookBody{ID: id, Type: typ, CreatedAt: at, Data: json.RawMessage(e.Data)})
		if err != nil {
			return WebhookMessage{}, fmt.Errorf("event %d: webhook body: %w", e.ID, err)
		}
		return WebhookMessage{ID: id, Type: typ, OrderingKey: key, Body: string(body)}, nil
	}
	first, err := msg(e.Type, WebhookID(e.ID, ""))
	if err != nil {
		return nil, err
	}
	out := []WebhookMessage{first}
	for _, typ := range extra {
		m, err := msg(typ, WebhookID(e.ID, strings.TrimPrefix(typ, "order.")))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Wants reports whether the endpoint asked for webhooks of type typ.
func (ep WebhookEndpoint) Wants(typ string) bool {
	return slices.Contains(ep.Events, WebhookAllEvents) || slices.Contains(ep.Events, typ)
}

// ParseWebhookEvents checks an endpoint's list: ["*"], or known types
// (each once, in the order given). Every unknown type is named at once.
func ParseWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, &Error{Code: errcode.WebhookEventTypeUnknown, Message: `events must list at least one type, or be ["*"] for all.`,
			Details: map[string]any{"known": WebhookEventTypes}}
	}
	var out, unknown []string
	for _, e := range events {
		switch {
		case e == WebhookAllEvents:
			if len(events) > 1 {
				return nil, &Error{Code: errcode.WebhookEventTypeUnknown, Message: `"*" stands alone: it is every type already.`}
			}
			return []string{WebhookAllEvents}, nil
		case slices.Contains(WebhookEventTypes, e):
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		default:
			unknown = append(unknown, e)
		}
	}
	if len(unknown) > 0 {
		quoted := make([]string, len(unknown))
		for i, u := range unknown {
			quoted[i] = strconv.Quote(Truncate(u, 60))
		}
		return nil, &Error{Code: errcode.WebhookEventTypeUnknown,
			Message: fmt.Sprintf("Unknown webhook event types: %s. Known: %s, or \"*\".", strings.Join(quoted, ", "), strings.Join(WebhookEventTypes, ", ")),
			Details: map[string]any{"unknown": unknown, "known": WebhookEventTypes}}
	}
	return out, nil
}

// WebhookErrorText is an attempt's error as a delivery keeps it: valid
// UTF-8, control characters as spaces, at most MaxWebhookErrorBytes. It
// quotes the receiver's answer, which can be anything: PostgreSQL refuses
// a NUL or bytes that are not UTF-8 in text, and the attempt could then
// never be recorded (uncounted, never failed, its order's later webhooks
// held up behind it).
func WebhookErrorText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return Truncate(s, MaxWebhookErrorBytes)
}

// Truncate cuts s to at most n bytes, on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func badWebhookURL(format string, args ...any) error {
	return &Error{Code: errcode.WebhookURLInvalid, Message: "Invalid webhook URL: " + fmt.Sprintf(format, args...) + "."}
}

// ParseWebhookURL checks an endpoint's URL: absolute, https (http too when
// allowPrivate: development and tests), no credentials or fragment, and,
// unless allowPrivate, no address (literal, or localhost) a webhook must
// never reach (ForbiddenAddr). Host names are resolved by the caller,
// which checks their addresses with ForbiddenAddr again; the sender's
// dialer checks each connection's.
func ParseWebhookURL(raw string, allowPrivate bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", badWebhookURL("empty")
	}
	if len(raw) > MaxWebhookURLBytes {
		return "", badWebhookURL("longer than %d bytes", MaxWebhookURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", badWebhookURL("not a URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	case u.Scheme == "http":
		return "", badWebhookURL("https only (http is allowed with WEBHOOKS_ALLOW_PRIVATE=true, for development)")
	default:
		return "", badWebhookURL("the scheme must be https")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", badWebhookURL("no host")
	}
	if u.User != nil {
		return "", badWebhookURL("no credentials in the URL: verify the signature instead")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", badWebhookURL("no fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", badWebhookURL("bad port")
		}
	}
	if !allowPrivate {
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if _, err := netip.ParseAddr(host); err != nil {
			// The name the HTTP client connects to: IDNA maps fullwidth
			// and other look-alike characters ("１２７.０.０.１" is 127.0.0.1).
			ascii, err := WebhookASCIIHost(host)
			if err != nil {
				return "", badWebhookURL("%q is not a host name", host)
			}
			host = ascii
			if numericIPv4(host) {
				return "", badWebhookURL("%s is an IPv4 address written other than as a.b.c.d (as a resolver or browser would read it): write it as four decimal numbers", host)
			}
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", badWebhookURL("%s is this machine", host)
		}
		if a, err := netip.ParseAddr(host); err == nil {
			if why := ForbiddenAddr(a); why != "" {
				return "", badWebhookURL("%s is a %s address", host, why)
			}
		}
	}
	return u.String(), nil
}

// WebhookASCIIHost is host as the HTTP client looks it up and connects,
// lowercased: as it is when ASCII, else its IDNA (lookup profile) form,
// as net/http does.
func WebhookASCIIHost(host string) (string, error) {
	isASCII := true
	for i := 0; i < len(host); i++ {
		isASCII = isASCII && host[i] < utf8.RuneSelf
	}
	if isASCII {
		return strings.ToLower(host), nil
	}
	ascii, err := idna.Lookup.ToASCII(host)
	return strings.ToLower(ascii), err
}

// numericIPv4 reports whether host is an IPv4 address in one of the forms
// inet_aton and the URL standard read besides a.b.c.d: a last label of
// digits or 0x-hex ("2130706433", "0x7f000001", "0177.0.0.1", "127.1").
// No DNS name ends so (top-level domains are never numeric), and getaddrinfo
// would connect such a name to the address it spells.
func numericIPv4(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if h, ok := strings.CutPrefix(last, "0x"); ok {
		last = h
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// Blocked ranges a webhook must never reach, beyond what netip's
// predicates name.
var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")
	ec2IPv6    = netip.MustParseAddr("fd00:ec2::254")
	metadataV4 = netip.MustParseAddr("169.254.169.254")
	// 0.0.0.0/8 ("this network") reaches the local machine on Linux.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// Not globally reachable (RFC 6890): IETF protocol assignments, and
	// the benchmarking block, which networks use internally.
	ietfProtocol = netip.MustParsePrefix("192.0.0.0/24")
	benchmarking = netip.MustParsePrefix("198.18.0.0/15")
	// IPv6 addresses that carry an IPv4 one a gateway or the kernel may
	// reach for us: NAT64's well-known prefix (an IPv6-only host's
	// gateway connects to the IPv4 in its last 32 bits, private ones
	// included), 6to4 (bits 16-47), and the deprecated IPv4-compatible
	// ::a.b.c.d. NAT64's local-use prefix is internal by definition.
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	v4Compat   = netip.MustParsePrefix("::/96")
)

// embeddedIPv4 is the IPv4 address an IPv6 one carries for NAT64, 6to4 or
// as IPv4-compatible, if any.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
		return netip.Addr{}, false
	case nat64.Contains(a), v4Compat.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// ForbiddenAddr names the kind of a that a webhook may never reach
// (SSRF: the shop's own machine, its networks, a cloud's metadata
// service), or "" for a public address. IPv4 in IPv6 (::ffff:a.b.c.d) is
// judged as its IPv4.
func ForbiddenAddr(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a == metadataV4 || a == ec2IPv6:
		return "metadata"
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified() || thisNetwork.Contains(a):
		return "unspecified"
	case a.IsPrivate(): // 10/8, 172.16/12, 192.168/16, fc00::/7
		return "private"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local"
	case cgnat.Contains(a):
		return "CGNAT"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.Is4() && a.As4()[0] >= 240: // reserved, and broadcast
		return "reserved"
	case ietfProtocol.Contains(a) || benchmarking.Contains(a):
		return "reserved"
	case nat64Local.Contains(a):
		return "NAT64"
	}
	if v4, ok := embeddedIPv4(a); ok {
		if why := ForbiddenAddr(v4); why != "" {
			return why + " (as IPv6)"
		}
	}
	return ""
}

// ParseWebhookDescription checks an optional description.
func ParseWebhookDescription(d *string) (*string, error) {
	if d == nil {
		return nil, nil
	}
	s := strings.TrimSpace(*d)
	if len(s) > MaxWebhookDescriptionBytes {
		return nil, (&fieldErrors{{Field: "description", Message: fmt.Sprintf("must be at most %d bytes", MaxWebhookDescriptionBytes)}}).err()
	}
	// A NUL (which PostgreSQL refuses in text, as an internal error) or
	// another control character is the client's mistake.
	var fe fieldErrors
	if !checkTextLines(&fe, "description", s, MaxWebhookDescriptionBytes, true) {
		return nil, fe.err()
	}
	if s == "" {
		return nil, nil
	}
	return &s, nil
}

// NewWebhookSecret is a fresh signing secret: "whsec_" and the base64 of
// 24 random bytes (192 bits; Standard Webhooks asks for 24 to 64).
func NewWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// WebhookRetry is the schedule of a delivery's retries.
type WebhookRetry struct {
	Base     time.Duration // the first retry's longest wait
	MaxDelay time.Duration // the longest wait
	Window   time.Duration // after its creation, a delivery still failing is failed
}

// Delay is how long to wait after the attempts-th failed attempt (1 for
// the first): exponential (Base doubled each time, at most MaxDelay) with
// full jitter (u, uniform in [0, 1), picks between 0 and that), so
// deliveries failing together do not come back together.
func (r WebhookRetry) Delay(attempts int, u float64) time.Duration {
	ceiling := float64(r.MaxDelay)
	d := float64(r.Base) * math.Pow(2, float64(max(attempts, 1)-1))
	if d > ceiling || math.IsInf(d, 0) {
		d = ceiling
	}
	return time.Duration(u * d)
}

// Next is when to try a delivery created at created again, after its
// attempts-th failure at now, or nil when it is to fail: the window's end
// is its last try.
func (r WebhookRetry) Next(created, now time.Time, attempts int, u float64) *time.Time {
	end := created.Add(r.Window)
	if !now.Before(end) {
		return nil
	}
	next := now.Add(r.Delay(attempts, u))
	if next.After(end) {
		next = end
	}
	return &next
}

// EndpointAfterFailure is the endpoint's state after a failed attempt at
// now: failing since then if it was not already, disabled (true) once it
// has failed for disableAfter.
func EndpointAfterFailure(ep WebhookEndpoint, now time.Time, disableAfter time.Duration) (WebhookEndpoint, bool) {
	if ep.FailingSince == nil {
		t := now
		ep.FailingSince = &t
	}
	if ep.Enabled && now.Sub(*ep.FailingSince) >= disableAfter {
		ep.Enabled = false
		reason := fmt.Sprintf("Every delivery failed for %s, since %s.", disableAfter, ep.FailingSince.UTC().Format(time.RFC3339))
		ep.DisabledReason = &reason
		return ep, true
	}
	return ep, false
}

// WebhookEndpointPatch is an update of an endpoint: nil fields stay.
type WebhookEndpointPatch struct {
	URL         *string
	Events      []string
	Description *string
	Enabled     *bool
}

// Apply changes ep by the patch (checked already by the service). Enabling
// an endpoint clears why it was disabled and its failing streak, so it is
// given its 3 days again.
func (p WebhookEndpointPatch) Apply(ep *WebhookEndpoint) {
	if p.URL != nil {
		ep.URL = *p.URL
	}
	if p.Events != nil {
		ep.Events = p.Events
	}
	if p.Description != nil {
		if *p.Description == "" {
			ep.Description = nil
		} else {
			d := *p.Description
			ep.Description = &d
		}
	}
	if p.Enabled != nil {
		if *p.Enabled && !ep.Enabled {
			ep.DisabledReason, ep.FailingSince = nil, nil
		}
		if !*p.Enabled && ep.Enabled {
			reason := "Disabled by an admin."
			ep.DisabledReason = &reason
		}
		ep.Enabled = *p.Enabled
	}
}

// WebhookDeliveryPage is a page of deliveries, newest first.
type WebhookDeliveryPage struct {
	Deliveries []WebhookDelivery
	HasNext    bool
}

// DeliveryPageRequest is webhookDeliveries' checked arguments.
type DeliveryPageRequest struct {
	EndpointID string
	Status     string
	First      int
	Before     int64 // the after cursor: a deliveryId; 0 from the newest
}

// ParseDeliveryPage checks webhookDeliveries' arguments, every bad one at
// once; after is the endCursor given out (a deliveryId).
func ParseDeliveryPage(endpointID, status *string, first *int, after *string) (DeliveryPageRequest, error) {
	var fe fieldErrors
	r := DeliveryPageRequest{First: DefaultPageFirst}
	if endpointID != nil {
		r.EndpointID = *endpointID
	}
	if status != nil && *status != "" {
		switch *status {
		case DeliveryPending, DeliveryDelivered, DeliveryFailed:
			r.Status = *status
		default:
			fe.add("status", `must be "pending", "delivered" or "failed"`)
		}
	}
	r.First = pageSize(&fe, first)
	if after != nil && *after != "" {
		id, err := strconv.ParseInt(*after, 10, 64)
		if err != nil || id <= 0 {
			fe.add("after", "is not a cursor this server gave out")
		}
		r.Before = id
	}
	return r, fe.err()
}

// WebhookClaim is a delivery a sender holds until its lease ends, with
// what it needs to send it.
type WebhookClaim struct {
	WebhookDelivery
	URL    string
	Secret string
	Token  string
}

// WebhookAttempt is the outcome of one attempt at a claimed delivery.
type WebhookAttempt struct {
	Claim          WebhookClaim
	At             time.Time
	Delivered      bool
	ResponseStatus *int
	Error          string
	// NextAttemptAt, for a failure: nil fails the delivery for good.
	NextAttemptAt *time.Time
}

// ErrLeaseLost: a delivery's lease ran out and another sender took it
// over; the attempt is not recorded.
var ErrLeaseLost = errors.New("webhook delivery lease lost")
