package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addWebhooks adds the admin's outbound webhooks (issue 21): endpoints,
// their deliveries, and a replay. Admins only.
func addWebhooks(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, pageInfoType, query, mutation *graphql.Object) {
	nonNull := graphql.NewNonNull
	stringList := nonNull(graphql.NewList(nonNull(graphql.String)))
	optString := func(s *string) any {
		if s == nil {
			return nil
		}
		return *s
	}
	endpoint := graphql.NewObject(graphql.ObjectConfig{
		Name:        "WebhookEndpoint",
		Description: "A receiver of the shop's events (docs/webhooks.md).",
		Fields: graphql.Fields{
			"webhookEndpointId": field(nonNull(graphql.String), "", func(e *models.WebhookEndpoint) any { return e.ID }),
			"url":               field(nonNull(graphql.String), "", func(e *models.WebhookEndpoint) any { return e.URL }),
			"events":            field(stringList, `The dotted types it receives (webhookEventTypes), or ["*"] for all.`, func(e *models.WebhookEndpoint) any { return e.Events }),
			"description":       field(graphql.String, "", func(e *models.WebhookEndpoint) any { return optString(e.Description) }),
			"enabled":           field(nonNull(graphql.Boolean), "False: no delivery is queued or sent for it.", func(e *models.WebhookEndpoint) any { return e.Enabled }),
			"secret": field(graphql.String, `The signing secret ("whsec_" and base64), in createWebhookEndpoint's answer only; null afterwards.`, func(e *models.WebhookEndpoint) any {
				if !e.ShowSecret {
					return nil
				}
				return e.Secret
			}),
			"createdAt":      field(nonNull(dateTime), "", func(e *models.WebhookEndpoint) any { return e.CreatedAt }),
			"updatedAt":      field(nonNull(dateTime), "", func(e *models.WebhookEndpoint) any { return e.UpdatedAt }),
			"failingSince":   field(dateTime, "The first failure of the current failing streak; null while deliveries succeed.", func(e *models.WebhookEndpoint) any { return e.FailingSince }),
			"disabledReason": field(graphql.String, "Why it is disabled (after failing for WEBHOOKS_DISABLE_AFTER, or by an admin).", func(e *models.WebhookEndpoint) any { return optString(e.DisabledReason) }),
		},
	})
	delivery := graphql.NewObject(graphql.ObjectConfig{
		Name:        "WebhookDelivery",
		Description: "One event owed to one endpoint, and its attempts.",
		Fields: graphql.Fields{
			"deliveryId": field(nonNull(graphql.String), "", func(d *models.WebhookDelivery) any { return d.DeliveryID() }),
			"endpointId": field(nonNull(graphql.String), "", func(d *models.WebhookDelivery) any { return d.EndpointID }),
			"eventId":    field(nonNull(graphql.String), "The payload's id and webhook-id: receivers deduplicate by it.", func(d *models.WebhookDelivery) any { return d.EventID }),
			"eventType":  field(nonNull(graphql.String), "", func(d *models.WebhookDelivery) any { return d.EventType }),
			"status":     field(nonNull(graphql.String), `"pending", "delivered" or "failed".`, func(d *models.WebhookDelivery) any { return d.Status }),
			"attempts":   field(nonNull(graphql.Int), "", func(d *models.WebhookDelivery) any { return d.Attempts }),
			"createdAt":  field(nonNull(dateTime), "", func(d *models.WebhookDelivery) any { return d.CreatedAt }),
			"nextAttemptAt": field(dateTime, "When a pending delivery is tried next (it also waits for earlier pending ones of its order or product).", func(d *models.WebhookDelivery) any {
				return d.NextAttemptAt
			}),
			"lastAttemptAt": field(dateTime, "", func(d *models.WebhookDelivery) any { return d.LastAttemptAt }),
			"deliveredAt":   field(dateTime, "", func(d *models.WebhookDelivery) any { return d.DeliveredAt }),
			"responseStatus": field(graphql.Int, "The last attempt's HTTP status; null when none answered.", func(d *models.WebhookDelivery) any {
				if d.ResponseStatus == nil {
					return nil
				}
				return *d.ResponseStatus
			}),
			"lastError": field(graphql.String, "Why the last attempt failed.", func(d *models.WebhookDelivery) any { return optString(d.LastError) }),
			"payload":   field(nonNull(graphql.String), "The JSON body sent: {id, type, createdAt, data}.", func(d *models.WebhookDelivery) any { return d.Payload }),
		},
	})
	deliveryEdge := edgeType("WebhookDeliveryEdge", delivery)
	deliveryConn := graphql.NewObject(graphql.ObjectConfig{
		Name: "WebhookDeliveryConnection",
		Fields: graphql.Fields{
			"edges": field(nonNull(graphql.NewList(nonNull(deliveryEdge))), "", func(pg *models.WebhookDeliveryPage) any {
				out := make([]edge, len(pg.Deliveries))
				for i := range pg.Deliveries {
					out[i] = edge{cursor: pg.Deliveries[i].DeliveryID(), node: &pg.Deliveries[i]}
				}
				return out
			}),
			"pageInfo": field(nonNull(pageInfoType), "", func(pg *models.WebhookDeliveryPage) any {
				return info(pg.HasNext, len(pg.Deliveries), func() string { return pg.Deliveries[len(pg.Deliveries)-1].DeliveryID() })
			}),
		},
	})

	query.AddFieldConfig("webhookEndpoints", &graphql.Field{
		Type:        nonNull(graphql.NewList(nonNull(endpoint))),
		Description: "Admins only. Every webhook endpoint (at most 50), oldest first; secret is null.",
		Resolve:     b.safe(r.WebhookEndpoints),
	})
	query.AddFieldConfig("webhookEventTypes", &graphql.Field{
		Type:        stringList,
		Description: `Admins only. The event types an endpoint may ask for (or "*" for all).`,
		Resolve:     b.safe(r.WebhookEventTypes),
	})
	query.AddFieldConfig("webhookDeliveries", &graphql.Field{
		Type:        nonNull(deliveryConn),
		Description: "Admins only. Deliveries, newest first; delivered and failed ones are kept for EVENTS_RETENTION.",
		Args: graphql.FieldConfigArgument{
			"endpointId": {Type: graphql.String, Description: "Only this endpoint's."},
			"status":     {Type: graphql.String, Description: `"pending", "delivered" or "failed".`},
			"first":      {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after":      {Type: graphql.String, Description: "The endCursor of the previous page."},
		},
		Resolve: b.safe(r.WebhookDeliveries),
	})
	mutation.AddFieldConfig("createWebhookEndpoint", &graphql.Field{
		Type: nonNull(endpoint),
		Description: "Admins only. An enabled endpoint with a fresh signing secret, shown in this answer only. " +
			"url: https (http only with WEBHOOKS_ALLOW_PRIVATE), never to loopback, private, link-local, CGNAT or metadata addresses (WEBHOOK_URL_INVALID). " +
			"events: types of webhookEventTypes, or [\"*\"] (WEBHOOK_EVENT_TYPE_UNKNOWN).",
		Args: graphql.FieldConfigArgument{
			"url":         {Type: nonNull(graphql.String)},
			"events":      {Type: stringList},
			"description": {Type: graphql.String, Description: "At most 500 bytes."},
		},
		Resolve: b.safe(r.CreateWebhookEndpoint),
	})
	mutation.AddFieldConfig("updateWebhookEndpoint", &graphql.Field{
		Type: nonNull(endpoint),
		Description: "Admins only. Arguments left out stay as they are; description \"\" removes it; enabled true re-enables a disabled endpoint " +
			"(its failing streak starts afresh). NOT_FOUND when no endpoint has that id.",
		Args: graphql.FieldConfigArgument{
			"webhookEndpointId": {Type: nonNull(graphql.String)},
			"url":               {Type: graphql.String},
			"events":            {Type: graphql.NewList(nonNull(graphql.String))},
			"description":       {Type: graphql.String},
			"enabled":           {Type: graphql.Boolean},
		},
		Resolve: b.safe(r.UpdateWebhookEndpoint),
	})
	mutation.AddFieldConfig("deleteWebhookEndpoint", &graphql.Field{
		Type:        nonNull(graphql.Boolean),
		Description: "Admins only. Deletes the endpoint and its deliveries; false when no endpoint has that id.",
		Args:        graphql.FieldConfigArgument{"webhookEndpointId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteWebhookEndpoint),
	})
	mutation.AddFieldConfig("replayWebhookDelivery", &graphql.Field{
		Type:        nonNull(delivery),
		Description: "Admins only. A new pending delivery of the same payload (same id) to the same endpoint. NOT_FOUND when no delivery has that id.",
		Args:        graphql.FieldConfigArgument{"deliveryId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.ReplayWebhookDelivery),
	})
}
