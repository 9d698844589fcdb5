import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.js';
import { Logo } from './icons.js';

/** A person's username and password, or an API token (kiosks, wall screens). */
export type Credentials = { token: string } | { username: string; password: string };

interface Props {
  notice?: string;
  onSignIn(credentials: Credentials): Promise<void>;
}

/** Username and password (a session cookie), or an API token kept in this tab's sessionStorage only. */
export function SignIn({ notice, onSignIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const byToken = token.trim() !== '';
    if (!byToken && !(username.trim() && password)) return;
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(byToken ? { token: token.trim() } : { username: username.trim(), password });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(byToken ? 'This token is not valid.' : 'Wrong username or password.');
      else if (err instanceof ApiError && err.status === 429) setError(byToken ? 'Too many failed attempts from this address. Wait a minute.' : 'Too many failed sign-ins for this user. Wait a minute.');
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <form class="signin-card" onSubmit={submit}>
        <div class="signin-brand">
          <Logo size={36} />
          <div>
            <div class="brand-name">citysense</div>
            <div class="brand-sub">Yinchuan city operations</div>
          </div>
        </div>
        <h1>Operator console</h1>
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" spellcheck={false} autoFocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <label for="token">or an API token (kiosks, wall screens)</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="paste your token"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        {(error ?? notice) && <div class={error ? 'form-error' : 'form-notice'} role="alert">{error ?? notice}</div>}
        <button class="btn btn-primary btn-block" type="submit" disabled={busy || (!token.trim() && !(username.trim() && password))}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">A token is kept for this browser tab only. Your role decides what you can do: viewers watch, operators acknowledge, resolve and silence.</p>
      </form>
    </div>
  );
}
