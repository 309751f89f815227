// LiveState says whether a screen is receiving live updates: a dot and a
// word beside the screen's title. It is a status region, so a screen-reader
// user hears when the updates stop and start again; the dot is decoration,
// the word says it (colour is never the only sign).
const TEXT = {
  connecting: "Connecting…",
  live: "Live",
  offline: "Offline, reconnecting…",
};

export function LiveState({ state, what }) {
  return (
    <span class={`livestate livestate--${state}`} role="status" data-testid="live-state" data-state={state}>
      <span class="livestate__dot" aria-hidden="true" />
      <span class="sr-only">{what}: </span>
      {TEXT[state] || state}
    </span>
  );
}
