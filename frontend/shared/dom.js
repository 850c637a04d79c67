// Small DOM builders shared by the visitor widget and the console. Text is always set with
// textContent, so nothing a visitor or a counsellor typed can ever become markup.

import { getLang } from '/shared/i18n.js';

export function part(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = text;
  return el;
}

export function button(className, text, onClick) {
  const el = document.createElement('button');
  el.type = 'button';
  el.className = className;
  el.textContent = text;
  el.addEventListener('click', onClick);
  return el;
}

export function timeOf(iso) {
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = new Date(iso).toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return time;
}
