// Supervisors: every referral to the police, the ones stuck in delivery first, and closing a
// referral with the unit's outcome once it has arrived.

import { api, path } from '/console/api.js';
import { dateTime, failure, labelled, statusLine, table } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

const CLOSABLE = new Set(['sent', 'received', 'failed']);
const status = statusLine();
const alertsBox = document.createElement('div');
const listBox = document.createElement('div');

export function render(section) {
  section.replaceChildren(part('h1', '', t('referralsHeading')), alertsBox, listBox, status);
  refresh();
}

async function refresh() {
  try {
    const { referrals, alerts } = await api('GET', '/api/triage/referrals');
    const stuck = new Set(alerts.map((a) => (typeof a === 'string' ? a : a.id)));
    alertsBox.replaceChildren();
    if (stuck.size) {
      const alert = part('p', 'notice alert', t('referralsStuck', { n: stuck.size }));
      alert.setAttribute('role', 'alert');
      alertsBox.append(alert);
    }
    const rows = referrals.map((r) => {
      const state = part('span', `referral-state${stuck.has(r.id) ? ' stuck' : ''}`, t(`refStaff_${r.status}`));
      let delivery = r.delivery.attempts ? t('referralsAttempts', { n: r.delivery.attempts }) : '';
      if (r.status === 'failed') { // refused for good: why, and how to reach the unit instead
        delivery = part('span', 'referral-failed', `${r.failure ?? ''} ${r.unit.fallback ?? ''}`.trim());
      }
      const action = CLOSABLE.has(r.status) ? button('secondary', t('referralsClose'), (event) => closeForm(r, event.target)) : '';
      return [r.unit.name, state, dateTime(r.proposed_at), dateTime(r.sent_at), delivery, r.outcome ?? '', action];
    });
    listBox.replaceChildren(rows.length
      ? table(t('referralsCaption'), [t('colUnit'), t('colStatus'), t('colProposed'), t('colSent'), t('colDelivery'), t('colOutcome'), t('colAction')], rows)
      : part('p', 'hint', t('referralsEmpty')));
  } catch (error) {
    listBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

/** The outcome the unit reported, in place of the button that asked for it. */
function closeForm(referral, opener) {
  const form = document.createElement('form');
  form.className = 'inline-form';
  form.method = 'post';
  const outcome = Object.assign(document.createElement('input'), { maxLength: 2000, autocomplete: 'off' });
  const save = document.createElement('button');
  save.type = 'submit';
  save.className = 'primary';
  save.textContent = t('referralsCloseSave');
  form.append(labelled(t('referralsOutcome'), outcome), save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', path`/api/triage/referrals/${referral.id}/close`, { outcome: outcome.value.trim() || null });
      status.textContent = t('referralsClosed', { unit: referral.unit.name });
      refresh();
    } catch (error) {
      status.textContent = failure(error);
    }
  });
  opener.replaceWith(form);
  outcome.focus();
}
