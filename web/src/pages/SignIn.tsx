// Sign in with an API token: the token is checked against /api/me and kept in this browser.
import { type FormEvent, useState } from 'react';
import { api, type Me, token } from '../api';
import { useT } from '../i18n';

export function SignIn({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const t = useT();
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const me = await api<Me>('GET', '/api/me', undefined, value.trim());
      token.set(value.trim());
      onSignedIn(me);
    } catch {
      setError(t.signInFailed);
    }
  };
  return (
    <form className="signin" onSubmit={submit}>
      <h1>{t.signInTitle}</h1>
      <p>{t.signInHelp}</p>
      <label>
        {t.tokenLabel}
        <input
          name="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </label>
      <button type="submit" className="big">
        {t.signInButton}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
