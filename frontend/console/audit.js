// Supervisors: the audit log of triage changes (coding, inclusion, links), newest first.

import { api } from '/console/api.js';
import { dateTime, failure, labelled, table } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const listBox = document.createElement('div');
let filter = '';
let section = null;

export function render(target) {
  section = target;
  const form = document.createElement('form');
  form.className = 'inline-form';
  form.method = 'get';
  const input = Object.assign(document.createElement('input'), { value: filter, autocomplete: 'off', spellcheck: false, maxLength: 64 });
  const show = document.createElement('button');
  show.type = 'submit';
  show.className = 'secondary';
  show.textContent = t('auditFilter');
  form.append(labelled(t('auditConversation'), input), show);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filter = input.value.trim();
    refresh();
  });
  section.replaceChildren(part('h1', '', t('auditHeading')), part('p', 'hint', t('auditIntro')), form, listBox);
  refresh();
}

async function refresh() {
  if (filter && !ID.test(filter)) {
    listBox.replaceChildren(part('p', 'field-error', t('auditBadId')));
    return;
  }
  try {
    const query = filter ? `?conversation_id=${encodeURIComponent(filter)}` : '';
    const [{ entries }, { accounts }] = await Promise.all([api('GET', `/api/triage/audit${query}`), api('GET', '/api/staff/accounts')]);
    const names = new Map(accounts.map((a) => [a.id, a.display_name]));
    const rows = entries.map((entry) => [
      dateTime(entry.at),
      names.get(entry.staff_id) ?? entry.staff_id,
      t(`audit_${entry.action}`) === `audit_${entry.action}` ? entry.action : t(`audit_${entry.action}`),
      entry.conversation_id ? conversationButton(entry.conversation_id) : '',
      part('span', 'details', describe(entry.details)),
    ]);
    listBox.replaceChildren(rows.length
      ? table(t('auditCaption', { n: rows.length }), [t('colTime'), t('colStaff'), t('colAudit'), t('colConversation'), t('colDetails')], rows)
      : part('p', 'hint', t('auditEmpty')));
  } catch (error) {
    listBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

/** A conversation id that narrows the log to that conversation. */
function conversationButton(id) {
  const el = button('link-button id', id, () => { filter = id; render(section); });
  el.setAttribute('aria-label', t('auditFilterOn', { id }));
  return el;
}

/** The details as people read them; a coding's changes as "variable: before → after". */
function describe(details) {
  const text = (value) => (value === null || value === undefined ? t('auditNone') : Array.isArray(value) ? value.join(', ') : String(value));
  return Object.entries(details).map(([key, value]) => {
    if (key === 'changes' && value && typeof value === 'object') {
      return Object.entries(value).map(([name, [before, after]]) => `${name}: ${text(before)} → ${text(after)}`).join('; ');
    }
    return `${key}: ${text(value)}`;
  }).join('; ');
}
