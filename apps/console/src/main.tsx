/** The console: session gate, layout, and the page for the current path. */
import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query';
import { Component, type ReactNode, StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { ApiFailure, call, client, onSignedOut, setCsrfToken } from './api/client';
import { ConnectionPage } from './pages/checks';
import { ConnectionsPage, NewConnectionPage } from './pages/connections';
import { EvidencePage } from './pages/evidence';
import { FindingsPage } from './pages/findings';
import { HistoryPage } from './pages/history';
import { ExportsPage, OperatePage } from './pages/operate';
import { RosterPage } from './pages/roster';
import { SignInPage } from './pages/signin';
import { currentLocation, Link, navigate, useRoute, useTitle } from './router';
import { ErrorBox, Loading } from './ui';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, err) =>
        !(err instanceof ApiFailure && err.status >= 400 && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

export const SESSION_KEY = ['session'];

function NotFound() {
  useTitle('No such page');
  return (
    <>
      <h1>No such page</h1>
      <p>
        There is no console page at <code>{window.location.pathname}</code>.{' '}
        <Link to="/">Go to your connections</Link>.
      </p>
    </>
  );
}

/** A page that fails to render says so (with the error), and the rest of the console keeps working. */
class PageBoundary extends Component<
  { children: ReactNode; path: string },
  { error?: Error; path?: string }
> {
  override state: { error?: Error; path?: string } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  static getDerivedStateFromProps(props: { path: string }, state: { error?: Error; path?: string }) {
    // Another page: forget the last page's failure.
    return props.path !== state.path ? { error: undefined, path: props.path } : null;
  }
  override render() {
    return this.state.error ? <ErrorBox error={this.state.error} /> : this.props.children;
  }
}

function Page() {
  const route = useRoute();
  switch (route.page) {
    case '/':
      return <ConnectionsPage />;
    case '/connections/new':
      return <NewConnectionPage />;
    case '/connections/:id':
      return <ConnectionPage id={route.params.id!} />;
    case '/connections/:id/checks/:checkId':
      return <FindingsPage id={route.params.id!} checkId={route.params.checkId!} />;
    case '/connections/:id/history':
      return <HistoryPage id={route.params.id!} />;
    case '/connections/:id/evidence':
      return <EvidencePage id={route.params.id!} />;
    case '/connections/:id/exports':
      return <ExportsPage id={route.params.id!} />;
    case '/connections/:id/operate':
      return <OperatePage id={route.params.id!} />;
    case '/roster':
      return <RosterPage />;
    default:
      return <NotFound />;
  }
}

function App() {
  const route = useRoute();
  const qc = useQueryClient();
  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => call(client.GET('/v1/session'), { quiet401: true }),
    retry: false,
    staleTime: 60_000,
  });
  useEffect(() => setCsrfToken(session.data?.csrfToken), [session.data]);
  // An expired session: back to sign-in, remembering where the person was.
  useEffect(
    () =>
      onSignedOut(() => {
        qc.setQueryData(SESSION_KEY, null);
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
        if (route.page !== '/sign-in')
          navigate(`/sign-in?next=${encodeURIComponent(currentLocation())}&expired=1`);
      }),
    [qc, route.page],
  );
  const signedOut = session.isError && session.error instanceof ApiFailure && session.error.status === 401;
  useEffect(() => {
    if ((signedOut || session.data === null) && route.page !== '/sign-in' && route.page !== undefined)
      navigate(`/sign-in?next=${encodeURIComponent(currentLocation())}`, { replace: true });
  }, [signedOut, session.data, route.page]);

  const signOut = async () => {
    await call(client.DELETE('/v1/session')).catch(() => undefined);
    setCsrfToken(undefined);
    qc.clear();
    qc.setQueryData(SESSION_KEY, null);
    navigate('/sign-in');
  };

  let body: ReactNode;
  if (route.page === '/sign-in') body = <SignInPage />;
  else if (session.isError && !signedOut) body = <ErrorBox error={session.error} />;
  else if (!session.isPending && !session.data)
    body = route.page === undefined ? <NotFound /> : <Loading what="sign-in" />;
  // While the session is still being read, the page already asks for its data (one round trip fewer
  // on the first load); were the session gone, those calls answer 401 and the person goes to sign-in.
  else
    body = (
      <PageBoundary path={route.path}>
        <Page />
      </PageBoundary>
    );

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          CodeCommit Evidence
        </Link>
        {session.data && (
          <nav aria-label="Main">
            <Link to="/">Connections</Link>
            <Link to="/roster">Roster</Link>
            <span className="who">{session.data.tenant.name}</span>
            <button type="button" className="secondary" onClick={signOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main">{body}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
