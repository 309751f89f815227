// A two-step button for destructive actions: the first press asks, the
// second (on the confirm button) does it. No window.confirm: it is
// keyboard- and screen-reader-friendly and can't be silenced.
import { useEffect, useRef, useState } from "preact/hooks";

/**
 * Confirm asks before onConfirm. context, when set, follows the label for
 * screen readers only ("Delete" + " Standard"), so a list of rows does not
 * read as many buttons of one name.
 */
export function Confirm({ label, question, confirmLabel, onConfirm, disabled, danger = true, context = "" }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef(null);
  const askRef = useRef(null);
  const backed = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    // Backing out (Keep it, Escape) returns focus to the button that asked.
    else if (backed.current) askRef.current?.focus();
    backed.current = false;
  }, [asking]);
  const keep = () => {
    backed.current = true;
    setAsking(false);
  };
  if (!asking) {
    return (
      <button type="button" ref={askRef} class={danger ? "danger" : ""} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
        {context && <span class="sr-only"> {context}</span>}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === "Escape" && keep()}>
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
      <button type="button" onClick={keep}>
        Keep it
      </button>
    </span>
  );
}
