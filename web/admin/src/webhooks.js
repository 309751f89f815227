// Webhooks: the fields the screens read, and what an endpoint's events
// and state look like on screen.
import { fieldErrors } from "./api.js";

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

/**
 * endpointErrors is fieldErrors(err), plus the two refusals that carry a
 * code rather than a field: a URL (WEBHOOK_URL_INVALID) and the events
 * (WEBHOOK_EVENT_TYPE_UNKNOWN), so each shows beside its field.
 */
export function endpointErrors(err) {
  const out = fieldErrors(err);
  if (err?.code === "WEBHOOK_URL_INVALID") out.url = out.url || err.message;
  if (err?.code === "WEBHOOK_EVENT_TYPE_UNKNOWN") out.events = out.events || err.message;
  return out;
}
