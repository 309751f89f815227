// The events an endpoint wants: "All events" (["*"], types added later
// included) or some of webhookEventTypes, as checkboxes in one group, with
// the API's message for the list under it.
import { useId } from "preact/hooks";
import { ALL_EVENTS } from "../webhooks.js";

export function EventsField({ types, value, onChange, error, legend = "Events" }) {
  const id = useId();
  const all = value.includes(ALL_EVENTS);
  const toggle = (type, on) => {
    if (type === ALL_EVENTS) return onChange(on ? [ALL_EVENTS] : []);
    const next = on ? [...value.filter((t) => t !== type), type] : value.filter((t) => t !== type);
    // Kept in the API's order of types, whatever the order of clicks.
    onChange(types.filter((t) => next.includes(t)));
  };
  return (
    <fieldset
      class={`events ${error ? "field--invalid" : ""}`}
      aria-describedby={[`${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ")}
    >
      <legend>{legend}</legend>
      <p class="field__hint" id={`${id}-hint`}>
        The event types delivered to this endpoint. All events includes types added later.
      </p>
      <div class="events__item events__item--all">
        <input id={`${id}-all`} type="checkbox" checked={all} onChange={(e) => toggle(ALL_EVENTS, e.currentTarget.checked)} />
        <label for={`${id}-all`}>
          All events (<span class="mono">*</span>)
        </label>
      </div>
      <ul class="events__list">
        {types.map((t) => (
          <li key={t} class="events__item">
            <input
              id={`${id}-${t}`}
              type="checkbox"
              checked={all || value.includes(t)}
              disabled={all}
              onChange={(e) => toggle(t, e.currentTarget.checked)}
            />
            <label for={`${id}-${t}`} class="mono">
              {t}
            </label>
          </li>
        ))}
      </ul>
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
