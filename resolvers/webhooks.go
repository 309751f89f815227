package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
)

// The admin's outbound webhooks (issue 21; webhooks.Service).

func optBool(m map[string]any, key string) *bool {
	if v, ok := m[key].(bool); ok {
		return &v
	}
	return nil
}

func (r *Resolver) WebhookEndpoints(p graphql.ResolveParams) (any, error) {
	eps, err := r.webhooks.WebhookEndpoints(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return eps, nil
}

func (r *Resolver) WebhookEventTypes(p graphql.ResolveParams) (any, error) {
	ts, err := r.webhooks.WebhookEventTypes(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ts, nil
}

func (r *Resolver) WebhookDeliveries(p graphql.ResolveParams) (any, error) {
	pg, err := r.webhooks.WebhookDeliveries(p.Context, auth.CallerFrom(p.Context), optString(p.Args, "endpointId"), optString(p.Args, "status"),
		optInt(p.Args, "first"), optString(p.Args, "after"))
	return orNull(r, p, pg, err)
}

func (r *Resolver) CreateWebhookEndpoint(p graphql.ResolveParams) (any, error) {
	ep, err := r.webhooks.CreateWebhookEndpoint(p.Context, auth.CallerFrom(p.Context), str(p.Args, "url"), argStrings(p.Args, "events"),
		optString(p.Args, "description"))
	return orNull(r, p, ep, err)
}

func (r *Resolver) UpdateWebhookEndpoint(p graphql.ResolveParams) (any, error) {
	ep, err := r.webhooks.UpdateWebhookEndpoint(p.Context, auth.CallerFrom(p.Context), str(p.Args, "webhookEndpointId"), optString(p.Args, "url"),
		argStrings(p.Args, "events"), optString(p.Args, "description"), optBool(p.Args, "enabled"))
	return orNull(r, p, ep, err)
}

func (r *Resolver) DeleteWebhookEndpoint(p graphql.ResolveParams) (any, error) {
	ok, err := r.webhooks.DeleteWebhookEndpoint(p.Context, auth.CallerFrom(p.Context), str(p.Args, "webhookEndpointId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

func (r *Resolver) ReplayWebhookDelivery(p graphql.ResolveParams) (any, error) {
	d, err := r.webhooks.ReplayWebhookDelivery(p.Context, auth.CallerFrom(p.Context), str(p.Args, "deliveryId"))
	return orNull(r, p, d, err)
}
