// Webhooks: the fields the screens read, and what an endpoint's events
// and state look like on screen.

export const ENDPOINT = "webhookEndpointId url events description enabled createdAt updatedAt failingSince disabledReason";

export const DELIVERY =
  "deliveryId endpointId eventId eventType status attempts createdAt nextAttemptAt lastAttemptAt deliveredAt responseStatus lastError payload";

/** ALL_EVENTS is the event list of an endpoint that wants every type. */
export const ALL_EVENTS = "*";

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"];

/** eventsText shows an endpoint's events: "All events" for ["*"]. */
export const eventsText = (events) => (events.includes(ALL_EVENTS) ? "All events" : events.join(", "));

/**
 * endpointState is [kind, text] for an endpoint's badge: disabled (by an
 * admin or, with a reason, by shop after failing for days), failing, or
 * active.
 */
export function endpointState(e) {
  if (!e.enabled) return ["disabled", "Disabled"];
  if (e.failingSince) return ["failing", "Failing"];
  return ["active", "Active"];
}

/** prettyJSON indents a JSON text; anything else is shown as it is. */
export function prettyJSON(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
