// Package webhooks sends the shop's events to the merchant's systems
// (issue 21; docs/webhooks.md, docs/decisions/0006). The outbox's
// "webhooks" consumer (Consumer) only queues deliveries, in the outbox's
// own transaction; a Sender on every instance claims due deliveries,
// signs them (Standard Webhooks), posts them, and records the attempt.
// The admin's use cases (Service) manage the endpoints.
package webhooks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"shop/errcode"
	"shop/models"
)

// Store is what the admin's use cases need.
type Store interface {
	CreateWebhookEndpoint(ctx context.Context, ep models.WebhookEndpoint) (*models.WebhookEndpoint, error)
	UpdateWebhookEndpoint(ctx context.Context, id string, change func(*models.WebhookEndpoint) error) (*models.WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, id string) (bool, error)
	WebhookEndpoints(ctx context.Context) ([]models.WebhookEndpoint, error)
	WebhookDeliveries(ctx context.Context, endpointID, status string, first int, before int64) ([]models.WebhookDelivery, bool, error)
	ReplayWebhookDelivery(ctx context.Context, id int64) (*models.WebhookDelivery, error)
}

// Resolver finds a host's addresses (net.DefaultResolver's LookupNetIP).
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Service runs the admin's webhook use cases.
type Service struct {
	store        Store
	allowPrivate bool
	resolve      Resolver
}

// New makes a Service; allowPrivate is WEBHOOKS_ALLOW_PRIVATE; resolve nil
// is the system's resolver.
func New(s Store, allowPrivate bool, resolve Resolver) *Service {
	if resolve == nil {
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	return &Service{store: s, allowPrivate: allowPrivate, resolve: resolve}
}

// resolveTimeout bounds the look-up of a new URL's host.
const resolveTimeout = 3 * time.Second

// checkURL parses raw (models.ParseWebhookURL) and, unless private
// addresses are allowed, resolves its host: any forbidden address among
// its answers refuses it. A host that does not resolve (yet) is accepted:
// the sender's dialer checks every address it connects to anyway, which
// is what protects against DNS rebinding; this check is for the admin's
// benefit, at once.
func (s *Service) checkURL(ctx context.Context, raw string) (string, error) {
	u, err := models.ParseWebhookURL(raw, s.allowPrivate)
	if err != nil || s.allowPrivate {
		return u, err
	}
	parsed, _ := url.Parse(u)
	host := parsed.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return u, nil // a literal, checked already
	}
	if ascii, err := models.WebhookASCIIHost(host); err == nil {
		host = ascii // what the client will look up (ParseWebhookURL refused the rest)
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := s.resolve(ctx, host)
	if err != nil {
		return u, nil
	}
	for _, a := range addrs {
		if why := models.ForbiddenAddr(a); why != "" {
			return "", &models.Error{Code: errcode.WebhookURLInvalid,
				Message: fmt.Sprintf("Invalid webhook URL: %s resolves to %s, a %s address.", host, a.Unmap(), why)}
		}
	}
	return u, nil
}

// WebhookEventTypes is every type an endpoint may ask for.
func (s *Service) WebhookEventTypes(ctx context.Context, c models.Caller) ([]string, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	return models.WebhookEventTypes, nil
}

// WebhookEndpoints is every endpoint, oldest first, without secrets.
func (s *Service) WebhookEndpoints(ctx context.Context, c models.Caller) ([]models.WebhookEndpoint, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	return s.store.WebhookEndpoints(ctx)
}

// CreateWebhookEndpoint adds an enabled endpoint with a fresh secret,
// which this answer alone shows.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, c models.Caller, rawURL string, events []string, description *string) (*models.WebhookEndpoint, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	u, err := s.checkURL(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	evs, err := models.ParseWebhookEvents(events)
	if err != nil {
		return nil, err
	}
	desc, err := models.ParseWebhookDescription(description)
	if err != nil {
		return nil, err
	}
	ep, err := s.store.CreateWebhookEndpoint(ctx, models.WebhookEndpoint{URL: u, Events: evs, Description: desc, Secret: models.NewWebhookSecret()})
	if err != nil {
		return nil, err
	}
	ep.ShowSecret = true
	return ep, nil
}

// UpdateWebhookEndpoint changes what is given (nil: unchanged); a
// description "" removes it; enabled true gives a disabled endpoint its
// streak afresh. NOT_FOUND when no endpoint has that id.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, c models.Caller, id string, rawURL *string, events []string, description *string, enabled *bool) (*models.WebhookEndpoint, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	var patch models.WebhookEndpointPatch
	if rawURL != nil {
		u, err := s.checkURL(ctx, *rawURL)
		if err != nil {
			return nil, err
		}
		patch.URL = &u
	}
	if events != nil {
		evs, err := models.ParseWebhookEvents(events)
		if err != nil {
			return nil, err
		}
		patch.Events = evs
	}
	if description != nil {
		d, err := models.ParseWebhookDescription(description)
		if err != nil {
			return nil, err
		}
		empty := ""
		patch.Description = &empty
		if d != nil {
			patch.Description = d
		}
	}
	patch.Enabled = enabled
	return s.store.UpdateWebhookEndpoint(ctx, id, func(ep *models.WebhookEndpoint) error {
		patch.Apply(ep)
		return nil
	})
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries, reporting
// whether there was one.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	return s.store.DeleteWebhookEndpoint(ctx, id)
}

// WebhookDeliveries is a page of deliveries, newest first.
func (s *Service) WebhookDeliveries(ctx context.Context, c models.Caller, endpointID, status *string, first *int, after *string) (*models.WebhookDeliveryPage, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	req, err := models.ParseDeliveryPage(endpointID, status, first, after)
	if err != nil {
		return nil, err
	}
	ds, more, err := s.store.WebhookDeliveries(ctx, req.EndpointID, req.Status, req.First, req.Before)
	if err != nil {
		return nil, err
	}
	return &models.WebhookDeliveryPage{Deliveries: ds, HasNext: more}, nil
}

// ReplayWebhookDelivery queues the delivery's payload again, as a new
// pending delivery to the same endpoint (with the same webhook-id, so a
// receiver that took it already can tell).
func (s *Service) ReplayWebhookDelivery(ctx context.Context, c models.Caller, deliveryID string) (*models.WebhookDelivery, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	id, err := models.ParseDeliveryID(strings.TrimSpace(deliveryID))
	if err != nil {
		return nil, err
	}
	return s.store.ReplayWebhookDelivery(ctx, id)
}

// Queue is what the outbox consumer needs: store.(*Store).EnqueueWebhooks.
type Queue interface {
	EnqueueWebhooks(ctx context.Context, msgs []models.WebhookMessage) (int, error)
}

// ConsumerName is the outbox consumer's name: its position is kept under it.
const ConsumerName = "webhooks"

// Waker wakes this instance's sender after the consumer queued
// deliveries (the outbox consumer's After): Wake never blocks, and wakes
// coalesce.
type Waker chan struct{}

// NewWaker makes a Waker to give a Sender (as its Wake) and the consumer.
func NewWaker() Waker { return make(Waker, 1) }

// After is the outbox consumer's After.
func (w Waker) After(events []models.Event) {
	select {
	case w <- struct{}{}:
	default:
	}
}

// Handle is the outbox consumer's: the events' webhooks, queued for the
// endpoints that want them, in the delivery's transaction.
func Handle(q Queue) func(context.Context, []models.Event) error {
	return func(ctx context.Context, events []models.Event) error {
		var msgs []models.WebhookMessage
		for _, e := range events {
			ms, err := models.WebhookMessages(e)
			if err != nil {
				return err
			}
			msgs = append(msgs, ms...)
		}
		_, err := q.EnqueueWebhooks(ctx, msgs)
		return err
	}
}
