// RefreshButton reloads a screen's data (a useAsync or usePaged state),
// saying so while it runs.
export function RefreshButton({ state }) {
  return (
    <button type="button" onClick={state.reload} disabled={state.loading}>
      {state.loading ? "Refreshing…" : "Refresh"}
    </button>
  );
}
