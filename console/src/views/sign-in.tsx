import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.js';
import { Logo } from './icons.js';

interface Props {
  notice?: string;
  onSignIn(token: string): Promise<void>;
}

/** The token form. The token is kept in this tab's sessionStorage only. */
export function SignIn({ notice, onSignIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('This token is not valid.');
      else if (err instanceof ApiError && err.status === 429) setError('Too many failed attempts from this address. Wait a minute.');
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
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          autoFocus
          placeholder="paste your token"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        {(error ?? notice) && <div class={error ? 'form-error' : 'form-notice'} role="alert">{error ?? notice}</div>}
        <button class="btn btn-primary btn-block" type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">Kept for this browser tab only. Your role decides what you can do: viewers watch, operators acknowledge, resolve and silence.</p>
      </form>
    </div>
  );
}
