import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, session } from './api.js';
import { identify, type Caller } from './caller.js';
import { Notice } from './components.js';
import { Login } from './pages/login.js';
import { KeysPage } from './pages/keys.js';
import { LivePage } from './pages/live.js';
import { RequestsPage } from './pages/requests.js';
import { SpendPage } from './pages/spend.js';
import './styles.css';

const PAGES = [
  { id: 'spend', title: 'Spend' },
  { id: 'requests', title: 'Requests' },
  { id: 'keys', title: 'Keys and budgets' },
  { id: 'live', title: 'Live' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

function pageOf(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split('?')[0];
  return PAGES.find((page) => page.id === id)?.id ?? 'spend';
}

function App() {
  const [caller, setCaller] = useState<Caller | null>(null);
  const [checking, setChecking] = useState(true);
  const [failure, setFailure] = useState<string | null>(null);
  const [page, setPage] = useState<PageId>(pageOf(location.hash));

  useEffect(() => {
    const onHash = () => setPage(pageOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    // A stored key (this tab, earlier) is tried first; with none, the gateway may be open.
    identify(session.key)
      .then(setCaller)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          session.clear();
          return;
        }
        setFailure(error instanceof Error ? error.message : String(error));
      })
      .finally(() => setChecking(false));
    return session.onSignedOut(() => {
      session.clear();
      setCaller(null);
      setFailure('The gateway no longer accepts this key. Log in again.');
    });
  }, []);

  if (checking) return <main class="center">Connecting to the gateway…</main>;
  if (!caller) {
    return (
      <Login
        message={failure}
        onLogin={(next, key) => {
          session.set(key);
          setFailure(null);
          setCaller(next);
        }}
      />
    );
  }
  const logout = () => {
    session.clear();
    setCaller(null);
  };
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Tollgate</span>
        <nav>
          {PAGES.map((item) => (
            <a key={item.id} href={`#/${item.id}`} class={item.id === page ? 'active' : ''} aria-current={item.id === page ? 'page' : undefined}>
              {item.title}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="caller">
          {caller.kind === 'open' ? 'open gateway (no auth)' : caller.kind === 'admin' ? 'admin' : `key ${caller.label}`}
        </span>
        {caller.kind !== 'open' && (
          <button type="button" class="link" onClick={logout}>
            Log out
          </button>
        )}
      </header>
      <main class="page">
        {failure && <Notice kind="error">{failure}</Notice>}
        {page === 'spend' && <SpendPage caller={caller} />}
        {page === 'requests' && <RequestsPage caller={caller} />}
        {page === 'keys' && <KeysPage caller={caller} />}
        {page === 'live' && <LivePage />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
