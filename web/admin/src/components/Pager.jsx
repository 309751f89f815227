// Previous / Next over a connection paged with usePaged.
export function Pager({ paged, label = "Pages" }) {
  if (!paged.hasPrev && !paged.hasNext) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" onClick={paged.prev} disabled={!paged.hasPrev || paged.loading}>
        ← Previous
      </button>
      <span class="pager__page">Page {paged.pageNumber}</span>
      <button type="button" onClick={paged.next} disabled={!paged.hasNext || paged.loading}>
        Next →
      </button>
    </nav>
  );
}
