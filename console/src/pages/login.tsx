import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { Notice } from '../components.js';
import { identify, type Caller } from '../caller.js';

export function Login({ onLogin, message }: { onLogin: (caller: Caller, key: string) => void; message: string | null }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(message);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = key.trim();
    if (!value) return setError('Paste the admin key or a virtual key.');
    setBusy(true);
    setError(null);
    try {
      onLogin(await identify(value), value);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'The gateway did not accept this key (unknown, revoked or expired).' : String((failure as Error).message ?? failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="center">
      <form class="login card" onSubmit={submit}>
        <h1>Tollgate console</h1>
        <p>
          Log in with the admin key to see everything and manage keys, or with a virtual key to see that key’s own
          requests and spend. The key stays in this tab (memory and session storage) and is sent only to this gateway.
        </p>
        <label class="field">
          <span class="field-label">Key</span>
          <input
            type="password"
            name="key"
            autocomplete="off"
            spellcheck={false}
            placeholder="tg_… or the admin key"
            value={key}
            onInput={(event) => setKey((event.target as HTMLInputElement).value)}
          />
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
