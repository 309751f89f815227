// A two-step button for destructive actions: the first press asks, the
// second (on the confirm button) does it. No window.confirm: it is
// keyboard- and screen-reader-friendly and can't be silenced.
import { useEffect, useRef, useState } from "preact/hooks";

export function Confirm({ label, question, confirmLabel, onConfirm, disabled, danger = true }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class={danger ? "danger" : ""} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span class="confirm__question">{question}</span>
      <button
        type="button"
        ref={confirmRef}
        class="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel || label}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}
