import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { api, session, UNAUTHORIZED_EVENT, type Me } from './api';
import { Link, match, navigate, usePath } from './router';
import { EditGameDayPage } from './pages/edit-gameday';
import { GameDayPage } from './pages/gameday';
import { GameDaysPage } from './pages/gamedays';
import { ReportPage } from './pages/report';
import { RunPage } from './pages/run';
import { SignInPage } from './pages/sign-in';

function Routes({ me }: { me: Me }) {
  const path = usePath();
  let m: Record<string, string> | null;
  if (path === '/' || path === '/gamedays') return <GameDaysPage me={me} />;
  if (match('/gamedays/new', path)) return <EditGameDayPage me={me} />;
  if ((m = match('/gamedays/:id/edit', path))) return <EditGameDayPage me={me} id={m.id} />;
  if ((m = match('/gamedays/:id', path))) return <GameDayPage key={m.id} me={me} id={m.id} />;
  if ((m = match('/runs/:id/report', path))) return <ReportPage key={m.id} id={m.id} />;
  if ((m = match('/runs/:id', path))) return <RunPage key={m.id} me={me} id={m.id} />;
  return (
    <main>
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link href="/">All GameDays</Link>
      </p>
    </main>
  );
}

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(!!session.token());

  const signIn = useCallback(async (token: string) => {
    session.signIn(token);
    try {
      setMe(await api.me());
    } catch (error) {
      session.signOut();
      setMe(null);
      throw error;
    }
  }, []);

  useEffect(() => {
    const signOut = () => {
      session.signOut();
      setMe(null);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, signOut);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, signOut);
  }, []);

  useEffect(() => {
    const token = session.token();
    if (!token) return;
    signIn(token)
      .catch(() => undefined)
      .finally(() => setChecking(false));
  }, [signIn]);

  if (checking) return <p className="loading">Signing in…</p>;
  if (!me) return <SignInPage onSignIn={signIn} />;
  return (
    <>
      <header className="top">
        <Link href="/" className="brand">
          GameDay
        </Link>
        <nav aria-label="Main">
          <Link href="/">GameDays</Link>
          {me.role !== 'viewer' && <Link href="/gamedays/new">New GameDay</Link>}
        </nav>
        <span className="who">
          {me.name} <span className={`role role-${me.role}`}>{me.role}</span>
        </span>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            session.signOut();
            setMe(null);
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <Routes me={me} />
    </>
  );
}

// one cache for every page; a refused call is shown at once rather than retried three times
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
