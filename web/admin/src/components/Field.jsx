// A labelled form field with its hint and the API's message for it.
import { useId } from "preact/hooks";

/**
 * Field renders a label, the control that render(props) returns (props
 * holds id, aria-describedby and aria-invalid to spread on it), a hint and
 * the field's error.
 */
export function Field({ label, hint, error, render, class: cls = "" }) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field ${error ? "field--invalid" : ""} ${cls}`}>
      <label for={id}>{label}</label>
      {render({ id, "aria-describedby": described, "aria-invalid": error ? "true" : undefined })}
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** TextField is a Field around an <input>. */
export function TextField({ label, hint, error, value, onInput, class: cls, ...input }) {
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      class={cls}
      render={(p) => <input {...p} {...input} value={value} onInput={(e) => onInput(e.currentTarget.value)} />}
    />
  );
}

/** SelectField is a Field around a <select> of [value, label] options. */
export function SelectField({ label, hint, error, value, onChange, options, class: cls, ...rest }) {
  return (
    <Field
      label={label}
      hint={hint}
      error={error}
      class={cls}
      render={(p) => (
        <select {...p} {...rest} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** CheckField is a checkbox with its label after it, its hint and error. */
export function CheckField({ label, hint, error, checked, onChange, class: cls = "", ...input }) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field field--check ${error ? "field--invalid" : ""} ${cls}`}>
      <input
        id={id}
        type="checkbox"
        {...input}
        checked={checked}
        aria-describedby={described}
        aria-invalid={error ? "true" : undefined}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
