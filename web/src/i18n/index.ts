// The active language's messages; English unless the viewer chose Chinese (or the browser is zh).
import { createContext, useContext } from 'react';
import { en, type Messages } from './en';
import { zh } from './zh';

export type Lang = 'en' | 'zh';
export const messages: Record<Lang, Messages> = { en, zh };

export function initialLang(): Lang {
  const saved = localStorage.getItem('orderhub.lang');
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const LangContext = createContext<{ t: Messages; lang: Lang; setLang(l: Lang): void }>({
  t: en,
  lang: 'en',
  setLang() {},
});
export const useT = () => useContext(LangContext).t;
