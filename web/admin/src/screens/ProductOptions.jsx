// A product's options (Size: S, M; Colour: Red, Blue): up to three, each a
// name and its values, edited here and saved together (setProductOptions).
// The API decides what may change: it refuses to drop a value a variant
// still uses, and its message shows beside the option or value it names.
import { useEffect, useRef, useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction } from "../hooks.js";
import { fieldErrorsByPath } from "../api.js";
import { plural } from "../format.js";
import { MAX_OPTIONS, MAX_OPTION_VALUES, PRODUCT, missingCombinations } from "../product.js";
import { TextField } from "../components/Field.jsx";
import { ActionStatus } from "../components/Status.jsx";

// Rows get keys of their own: values move up and down, and an input must
// keep its focus and text when its neighbours move.
let seq = 0;
const keyed = (options) =>
  (options || []).map((o) => ({ key: ++seq, name: o.name, draft: "", draftError: "", values: o.values.map((text) => ({ key: ++seq, text })) }));
const plain = (opts) => opts.map((o) => ({ name: o.name, values: o.values.map((v) => v.text) }));

// An error's path is one of an option's (its name, its values, one value);
// anything else is about the options as a whole.
const OWN = /^options\[\d+\](\.name|\.values(\[\d+\])?)?$/;

export function OptionsPanel({ product, onChange }) {
  const saved = JSON.stringify(product.options);
  const [opts, setOpts] = useState(() => keyed(product.options));
  const action = useAction();
  const errs = fieldErrorsByPath(action.error);
  // A save (here, or a reload) replaces the edits with what the API kept.
  useEffect(() => setOpts(keyed(product.options)), [saved]); // eslint-disable-line react-hooks/exhaustive-deps
  const focusNext = useRef(null);
  useEffect(() => {
    if (focusNext.current !== null) document.querySelector(`[data-option-name="${focusNext.current}"]`)?.focus();
    focusNext.current = null;
  });

  const edit = (i, fn) => setOpts((all) => all.map((o, k) => (k === i ? fn(o) : o)));
  // The API's messages name options and values by position: once they
  // move, the messages would point at the wrong ones.
  const moved = () => {
    if (action.error) action.reset();
  };
  const addOption = () => {
    focusNext.current = opts.length;
    setOpts((all) => [...all, { key: ++seq, name: "", draft: "", draftError: "", values: [] }]);
  };
  const removeOption = (i) => {
    moved();
    setOpts((all) => all.filter((_, k) => k !== i));
  };
  const addValue = (i) =>
    edit(i, (o) => {
      const text = o.draft.trim();
      if (!text) return { ...o, draftError: "Type a value first." };
      if (o.values.some((v) => v.text.trim().toLowerCase() === text.toLowerCase())) return { ...o, draftError: `${text} is already a value.` };
      return { ...o, draft: "", draftError: "", values: [...o.values, { key: ++seq, text }] };
    });
  const moveValue = (i, j, by) => {
    moved();
    edit(i, (o) => {
      const values = [...o.values];
      [values[j], values[j + by]] = [values[j + by], values[j]];
      return { ...o, values };
    });
  };
  const removeValue = (i, j) => {
    moved();
    edit(i, (o) => ({ ...o, values: o.values.filter((_, k) => k !== j) }));
  };

  const dirty = JSON.stringify(plain(opts)) !== saved || opts.some((o) => o.draft.trim());
  const save = (e) => {
    e.preventDefault();
    // A value typed but not added yet counts: it is on screen, so the
    // admin expects it saved.
    const next = opts.map((o) => (o.draft.trim() ? { ...o, draft: "", draftError: "", values: [...o.values, { key: ++seq, text: o.draft.trim() }] } : o));
    setOpts(next);
    action.run(async () => {
      const d = await gql(`mutation($id: String!, $o: [ProductOptionInput!]!) { setProductOptions(productId: $id, options: $o) { ${PRODUCT} } }`, {
        id: product.productId,
        o: plain(next),
      });
      onChange(d.setProductOptions);
      return d.setProductOptions;
    }, (p) => {
      const missing = missingCombinations(p.options, p.variants).length;
      return missing ? `Saved the options. ${plural(missing, "combination")} without a variant: generate them under Variants.` : "Saved the options.";
    });
  };

  const general = Object.entries(errs).filter(([k]) => !OWN.test(k)).map(([k, m]) => (k === "options" ? m : `${k} ${m}`));
  return (
    <section class="panel detail__wide" aria-labelledby="options-title">
      <h2 id="options-title">Options</h2>
      <p class="muted small-text" id="options-hint">
        Up to {MAX_OPTIONS} options, such as Size or Colour. Each combination of their values can be a variant, with its own SKU, price and stock
        (under Variants). A new option's first value goes to every variant; a value a variant uses stays until that variant is deleted.
      </p>
      <form class="form" onSubmit={save} noValidate aria-labelledby="options-title" aria-describedby={general.length ? "options-error" : "options-hint"}>
        {opts.length === 0 && <p class="empty">No options: the product sells as one variant.</p>}
        <div class="options">
          {opts.map((o, i) => (
            <Option
              key={o.key}
              option={o}
              index={i}
              errs={errs}
              onName={(name) => edit(i, (x) => ({ ...x, name }))}
              onDraft={(draft) => edit(i, (x) => ({ ...x, draft, draftError: "" }))}
              onAdd={() => addValue(i)}
              onValue={(j, text) => edit(i, (x) => ({ ...x, values: x.values.map((v, k) => (k === j ? { ...v, text } : v)) }))}
              onMove={(j, by) => moveValue(i, j, by)}
              onRemoveValue={(j) => removeValue(i, j)}
              onRemove={() => removeOption(i)}
            />
          ))}
        </div>
        {general.length > 0 && (
          <p class="field__error" id="options-error">
            {general.join(" ")}
          </p>
        )}
        <div class="form__actions">
          {opts.length < MAX_OPTIONS && (
            <button type="button" onClick={addOption}>
              Add option
            </button>
          )}
          <button type="submit" class="primary" disabled={action.busy || !dirty}>
            {action.busy ? "Saving…" : "Save options"}
          </button>
          {dirty && !action.busy && (
            <button type="button" onClick={() => (setOpts(keyed(product.options)), action.reset())}>
              Undo changes
            </button>
          )}
          <ActionStatus action={action} busyText="" />
        </div>
      </form>
    </section>
  );
}

function Option({ option: o, index: i, errs, onName, onDraft, onAdd, onValue, onMove, onRemoveValue, onRemove }) {
  const name = o.name.trim() || `option ${i + 1}`;
  const listErr = [errs[`options[${i}]`], errs[`options[${i}].values`]].filter(Boolean).join("; ");
  const id = `option-${i}`;
  return (
    <fieldset class="option" data-option={i} aria-describedby={listErr ? `${id}-values-error` : undefined}>
      <legend>
        Option {i + 1}
        {o.name.trim() && `: ${o.name.trim()}`}
      </legend>
      <TextField label={`Option ${i + 1} name`} data-option-name={i} value={o.name} onInput={onName} maxLength={100} error={errs[`options[${i}].name`]} hint="Such as Size or Colour." />
      <p class="field__label" id={`${id}-values-label`}>
        Values, in display order
      </p>
      {o.values.length === 0 ? (
        <p class="muted small-text">No values yet: add at least one.</p>
      ) : (
        <ol class="option__values" aria-labelledby={`${id}-values-label`}>
          {o.values.map((v, j) => {
            const vid = `${id}-value-${v.key}`;
            const err = errs[`options[${i}].values[${j}]`];
            const shown = v.text.trim() || `value ${j + 1}`;
            return (
              <li key={v.key} class="option__value">
                <label class="sr-only" for={vid}>
                  {`${o.name.trim() || `Option ${i + 1}`} value ${j + 1}`}
                </label>
                <input
                  id={vid}
                  value={v.text}
                  maxLength={100}
                  aria-invalid={err ? "true" : undefined}
                  aria-describedby={err ? `${vid}-error` : undefined}
                  onInput={(e) => onValue(j, e.currentTarget.value)}
                />
                <span class="option__buttons">
                  <button type="button" class="small" aria-label={`Move ${shown} up`} disabled={j === 0} onClick={() => onMove(j, -1)}>
                    <span aria-hidden="true">↑</span>
                  </button>
                  <button type="button" class="small" aria-label={`Move ${shown} down`} disabled={j === o.values.length - 1} onClick={() => onMove(j, 1)}>
                    <span aria-hidden="true">↓</span>
                  </button>
                  <button type="button" class="small" aria-label={`Remove ${shown} from ${name}`} onClick={() => onRemoveValue(j)}>
                    Remove
                  </button>
                </span>
                {err && (
                  <span class="field__error" id={`${vid}-error`}>
                    {err}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {listErr && (
        <p class="field__error" id={`${id}-values-error`}>
          {listErr}
        </p>
      )}
      <div class="option__add">
        <TextField
          label={`New value for option ${i + 1}`}
          value={o.draft}
          onInput={onDraft}
          maxLength={100}
          error={o.draftError}
          autocomplete="off"
          onKeyDown={(e) => {
            // Enter adds the value rather than saving the options.
            if (e.key === "Enter") {
              e.preventDefault();
              onAdd();
            }
          }}
        />
        <button type="button" onClick={onAdd} disabled={o.values.length >= MAX_OPTION_VALUES}>
          Add value
        </button>
      </div>
      <button type="button" class="small" aria-label={`Remove option ${i + 1} (${name})`} onClick={onRemove}>
        Remove option
      </button>
    </fieldset>
  );
}
