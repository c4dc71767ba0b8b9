// The console shell: sign-in, navigation, language switch and the page for the current path.
import { type MouseEvent, type ReactNode, useEffect, useMemo, useState } from 'react';
import { api, hasRole, type Me, token } from './api';
import { initialLang, type Lang, LangContext, messages } from './i18n';
import { Dashboard } from './pages/Dashboard';
import { Inventory } from './pages/Inventory';
import { OrderPage } from './pages/OrderPage';
import { Orders } from './pages/Orders';
import { Rules } from './pages/Rules';
import { SignIn } from './pages/SignIn';
import { Warehouse } from './pages/Warehouse';
import { navigate, usePath } from './router';

export function Link({ to, children, testId }: { to: string; children: ReactNode; testId?: string }) {
  const go = (e: MouseEvent) => {
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={go} data-testid={testId}>
      {children}
    </a>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const path = usePath();
  const t = messages[lang];
  const ctx = useMemo(
    () => ({
      t,
      lang,
      setLang(l: Lang) {
        localStorage.setItem('orderhub.lang', l);
        setLangState(l);
      },
    }),
    [t, lang],
  );

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);

  useEffect(() => {
    if (!token.get()) {
      setChecked(true);
      return;
    }
    api<Me>('GET', '/api/me')
      .then(setMe)
      .catch(() => token.clear())
      .finally(() => setChecked(true));
  }, []);

  if (!checked) return <p className="page">{t.loading}</p>;
  if (!me)
    return (
      <LangContext.Provider value={ctx}>
        <SignIn onSignedIn={setMe} />
      </LangContext.Provider>
    );

  const warehouseOnly = hasRole(me, 'warehouse') && !hasRole(me, 'admin', 'supervisor', 'ops', 'cs');
  let page: ReactNode;
  const orderMatch = /^\/orders\/([^/]+)$/.exec(path);
  if (path === '/warehouse' || (path === '/' && warehouseOnly)) page = <Warehouse me={me} />;
  else if (orderMatch) page = <OrderPage me={me} id={decodeURIComponent(orderMatch[1]!)} />;
  else if (path === '/orders') page = <Orders />;
  else if (path === '/rules') page = <Rules me={me} />;
  else if (path === '/inventory') page = <Inventory me={me} />;
  else page = <Dashboard />;

  const signOut = () => {
    token.clear();
    setMe(null);
    navigate('/');
  };
  return (
    <LangContext.Provider value={ctx}>
      <header className="top">
        <strong>{t.appName}</strong>
        <nav>
          {!warehouseOnly && <Link to="/">{t.navDashboard}</Link>}
          {!warehouseOnly && <Link to="/orders">{t.navOrders}</Link>}
          {hasRole(me, 'admin', 'supervisor', 'warehouse') && <Link to="/warehouse">{t.navWarehouse}</Link>}
          {hasRole(me, 'admin', 'supervisor', 'ops') && <Link to="/rules">{t.navRules}</Link>}
          {hasRole(me, 'admin', 'supervisor', 'ops', 'warehouse') && (
            <Link to="/inventory">{t.navInventory}</Link>
          )}
        </nav>
        <span className="me" data-testid="signed-in-as">
          {t.signedInAs} {me.name} ({me.roles.join(', ')})
        </span>
        <button type="button" className="link" onClick={() => ctx.setLang(lang === 'en' ? 'zh' : 'en')}>
          {t.language}
        </button>
        <button type="button" className="link" onClick={signOut}>
          {t.signOut}
        </button>
      </header>
      <main className="page">{page}</main>
    </LangContext.Provider>
  );
}
