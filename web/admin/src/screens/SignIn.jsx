// Sign in with an admin's email and password. A customer account is
// refused (and its new session signed out at once).
import { useState } from "preact/hooks";
import { signIn } from "../session.js";
import { useAction } from "../hooks.js";
import { TextField } from "../components/Field.jsx";
import { ErrorText } from "../components/Status.jsx";

export function SignIn({ notice, onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const u = await action.run(() => signIn(email.trim(), password));
    if (u) onSignedIn();
  };
  return (
    <main id="main" class="signin">
      <form class="signin__form panel" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <h1 id="signin-title">
          shop <span>admin</span>
        </h1>
        <p class="muted">Sign in with the shop's admin account.</p>
        {notice && !action.error && (
          <p class={notice.kind === "error" ? "panel panel--error" : "panel panel--info"} role={notice.kind === "error" ? "alert" : undefined}>
            {notice.text}
          </p>
        )}
        <TextField label="Email" type="email" name="email" autocomplete="username" required value={email} onInput={setEmail} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={setPassword}
        />
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Signing in…" : "Sign in"}
        </button>
        {action.error && (
          <p class="signin__error" role="alert">
            <ErrorText error={action.error} />
          </p>
        )}
      </form>
    </main>
  );
}
