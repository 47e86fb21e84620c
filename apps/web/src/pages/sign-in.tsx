import { useState, type FormEvent } from 'react';
import { ErrorBox } from '../ui';

export function SignInPage({ onSignIn }: { onSignIn: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>GameDay</h1>
      <p>
        Sign in with an API token. An admin creates one with <code>POST /api/v1/tokens</code>.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
      <p className="muted">The token is kept in this tab only (session storage) and sent as a Bearer header.</p>
    </main>
  );
}
