// Sign-in gate: with a valid token the shell opens; without one (or once the server refuses it) the sign-in page.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, signInWithPassword } from './lib/api.js';
import { createAlarm } from './lib/sound.js';
import { checkToken, forgetToken, openSession, SessionContext, storedToken, type Session } from './lib/session.js';
import { Shell } from './views/shell.js';
import { SignIn, type Credentials } from './views/sign-in.js';

export function App() {
  const alarm = useMemo(() => createAlarm(), []);
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedToken() !== null);
  const [notice, setNotice] = useState<string | undefined>();

  // Audio may start only after a user gesture: the first click anywhere unlocks it.
  useEffect(() => {
    const unlock = () => alarm.unlock();
    window.addEventListener('pointerdown', unlock, { once: true });
    window.addEventListener('keydown', unlock, { once: true });
    return () => {
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
    };
  }, [alarm]);

  const signOut = (message?: string) => {
    forgetToken();
    setSession((s) => {
      // A person's session ends on the server too (the cookie is HTTP-only: only the server can clear it).
      if (s?.principal.userId && !message) void s.api.signOut().catch(() => undefined);
      s?.close();
      return null;
    });
    setNotice(message);
  };

  // An empty token stands for a person's session cookie.
  const start = async (token: string) => {
    const principal = await checkToken(token);
    const ended = token ? 'The server no longer accepts this token. Sign in again.' : 'Your session has ended. Sign in again.';
    const s = await openSession(token, principal, alarm, () => signOut(ended));
    setNotice(undefined);
    setSession(s);
  };

  useEffect(() => {
    const token = storedToken();
    if (token === null) return; // '' is a person's session cookie
    start(token)
      .catch((e) => {
        // A refused token is forgotten; an unreachable server is not the token's fault: keep it for a retry.
        if (e instanceof ApiError && e.status === 0) setNotice('The server cannot be reached. Sign in again when it is back.');
        else signOut('Your session has ended. Sign in again.');
      })
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <div class="splash">Connecting…</div>;
  const signIn = async (c: Credentials) => {
    alarm.unlock();
    if ('token' in c) return start(c.token);
    await signInWithPassword(c.username, c.password);
    return start('');
  };
  if (!session) return <SignIn notice={notice} onSignIn={signIn} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell onSignOut={() => signOut()} />
    </SessionContext.Provider>
  );
}
