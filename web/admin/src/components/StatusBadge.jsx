// An order status as a coloured badge (the word is always there too).
export function StatusBadge({ status }) {
  return <span class={`badge badge--${status}`}>{status}</span>;
}
