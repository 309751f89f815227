// /reset-password?token=…: the page a password-reset email links to. No
// sign-in: the token is the proof. The new password is typed twice; the
// API's refusal (a used or expired link, a password too short) is shown
// beside the field it names, or above the form.
import { useState } from "preact/hooks";
import { fieldErrors, post } from "../api.js";
import { useAction } from "../hooks.js";
import { TextField } from "../components/Field.jsx";
import { ErrorText } from "../components/Status.jsx";
import { PublicFrame } from "./PublicFrame.jsx";

export function ResetPassword({ token }) {
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState("");
  const [done, setDone] = useState(false);
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = async (e) => {
    e.preventDefault();
    if (password !== again) {
      setMismatch("The two passwords differ: type the same new password twice.");
      return;
    }
    setMismatch("");
    const ok = await action.run(async () => {
      const d = await post("mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }", { t: token, p: password });
      if (!d.resetPassword) throw new Error("The password was not changed. Ask for a new link and try again.");
      return true;
    }, "Your password has been changed.");
    if (ok) setDone(true);
  };
  if (!token) {
    return (
      <PublicFrame title="Reset your password">
        <p class="panel panel--error" role="alert" data-testid="reset-error">
          This link has no token. Open the link from the email again, or ask for a new one.
        </p>
      </PublicFrame>
    );
  }
  if (done) {
    return (
      <PublicFrame title="Password changed">
        <p class="panel panel--info" role="status" data-testid="reset-done">
          Your password has been changed, and every session of your account has been signed out. Sign in again with the new
          password.
        </p>
      </PublicFrame>
    );
  }
  // A field error the API named goes beside the field; any other refusal
  // (the link used or expired) above the form.
  const general = action.error && !errs.newPassword ? action.error : null;
  return (
    <PublicFrame title="Reset your password">
      <p class="muted">Choose a new password for your account: 8 to 72 bytes (about as many characters).</p>
      {general && (
        <p class="panel panel--error" role="alert" data-testid="reset-error">
          <ErrorText error={general} />
        </p>
      )}
      <form onSubmit={submit} noValidate aria-label="New password">
        <TextField
          label="New password"
          type="password"
          name="new-password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={72}
          value={password}
          onInput={setPassword}
          error={errs.newPassword}
        />
        <TextField
          label="New password, again"
          type="password"
          name="new-password-again"
          autocomplete="new-password"
          required
          value={again}
          onInput={setAgain}
          error={mismatch}
        />
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Changing…" : "Change password"}
        </button>
      </form>
    </PublicFrame>
  );
}
