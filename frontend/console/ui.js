// Small builders the console's views share. Text always goes in with textContent.

import { part } from '/shared/dom.js';
import { getLang, t } from '/shared/i18n.js';

/** A <label> with its text above the control. */
export function labelled(text, control) {
  const label = document.createElement('label');
  label.append(part('span', '', text), control);
  return label;
}

/** A table with a caption, header cells and rows of cells (strings or elements). */
export function table(caption, headers, rows) {
  const el = document.createElement('table');
  el.className = 'data';
  if (caption) el.createCaption().textContent = caption;
  const head = el.createTHead().insertRow();
  for (const text of headers) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.append(th);
  }
  const body = el.createTBody();
  for (const cells of rows) {
    const tr = body.insertRow();
    for (const cell of cells) tr.insertCell().append(cell ?? '');
  }
  return el;
}

/** Date and time as people read them, in the page's language. */
export function dateTime(iso) {
  if (!iso) return '';
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = new Date(iso).toLocaleString(getLang(), {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  return time;
}

/** A short line that reports the outcome of an action to everyone, screen readers included. */
export function statusLine() {
  const line = part('p', 'status-line', '');
  line.setAttribute('role', 'status');
  return line;
}

/** The message for a failed request: its code's text, with the server's detail when useful. */
export function failure(error) {
  const key = `err_${error?.code}`;
  const text = t(key);
  const detail = error?.message && error.code !== 'unavailable' && error.message !== text ? ` (${error.message})` : '';
  return (text === key ? t('err_unavailable') : text) + detail;
}
