/** Sign in with the tenant's API key, or with a one-time link (`#link=` in the URL, from `pnpm demo`). */
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { call, client, setCsrfToken } from '../api/client';
import { navigate, useRoute, useTitle } from '../router';
import { ErrorBox } from '../ui';

/** Only a path inside the console: a crafted `next` must not send the person elsewhere. */
const safeNext = (next: string | null) => (next && /^\/(?!\/)/.test(next) ? next : '/');

export function SignInPage() {
  useTitle('Sign in');
  const route = useRoute();
  const qc = useQueryClient();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const keyRef = useRef<HTMLInputElement>(null);
  const next = safeNext(route.query.get('next'));

  const signIn = async (body: { apiKey: string } | { link: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const s = await call(client.POST('/v1/session', { body }), { quiet401: true });
      // The session read the console starts on arrival may still be in flight (a one-time link signs in
      // at once): its 401, landing after this answer, would sign the person out again and leave them on
      // this page. Cancelling it drops that answer.
      await qc.cancelQueries({ queryKey: ['session'] });
      setCsrfToken(s.csrfToken);
      qc.setQueryData(['session'], s);
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on arrival
  useEffect(() => {
    const link = new URLSearchParams(window.location.hash.slice(1)).get('link');
    if (link) {
      // The link is used once; take it out of the address bar and history.
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
      void signIn({ link });
    }
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const apiKey = keyRef.current?.value.trim() ?? '';
    if (apiKey) void signIn({ apiKey });
    else setError(new Error('Enter the API key.'));
  };

  return (
    <div className="narrow">
      <h1>Sign in</h1>
      {route.query.get('expired') && (
        <p className="notice" role="status">
          Your session has ended. Sign in again to go back to where you were.
        </p>
      )}
      <form onSubmit={submit} className="card">
        <label htmlFor="api-key">Tenant API key</label>
        <input
          id="api-key"
          ref={keyRef}
          type="password"
          autoComplete="off"
          placeholder="cce_…"
          aria-describedby="api-key-help sign-in-error"
        />
        <p id="api-key-help" className="help">
          The key from <code>POST /v1/tenants</code>. It is exchanged for a session; the browser never stores
          it.
        </p>
        <ErrorBox error={error} id="sign-in-error" />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
