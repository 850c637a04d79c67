// Proof of work for chat starts, for supervisors: off, automatic (under a flood) or on, for
// every node at once; each switch is audited by the server. The hint says whether the widget
// asks visitors for work right now, and until when in automatic mode.

import { api } from '/console/api.js';
import { labelled } from '/console/ui.js';
import { addStrings, errorText, getLang, t } from '/shared/i18n.js';
import { part } from '/shared/dom.js';

addStrings({
  nl: {
    workLabel: 'Rekenpuzzel bij chatstart',
    work_off: 'uit',
    work_auto: 'automatisch bij drukte',
    work_on: 'aan',
    workRequired: 'Nu gevraagd aan nieuwe bezoekers.',
    workRequiredUntil: 'Nu gevraagd aan nieuwe bezoekers, tot minstens {time}.',
    workNotRequired: 'Nu niet gevraagd.',
    audit_work_mode: 'rekenpuzzel omgezet',
  },
  en: {
    workLabel: 'Puzzle at chat start',
    work_off: 'off',
    work_auto: 'automatic under a flood',
    work_on: 'on',
    workRequired: 'Asked of new visitors now.',
    workRequiredUntil: 'Asked of new visitors now, until at least {time}.',
    workNotRequired: 'Not asked now.',
    audit_work_mode: 'puzzle switched',
  },
});

const MODES = ['off', 'auto', 'on'];
const REFRESH_MS = 30_000;

/** The control, kept up to date while it is on the page. */
export function workControl() {
  const select = document.createElement('select');
  select.id = 'work-mode';
  select.append(...MODES.map((mode) => Object.assign(document.createElement('option'), { value: mode, textContent: t(`work_${mode}`) })));
  const hint = part('p', 'hint', '');
  hint.setAttribute('aria-live', 'polite');
  const box = document.createElement('div');
  box.className = 'work-control';
  box.append(labelled(t('workLabel'), select), hint);

  const show = (state) => {
    select.value = state.mode;
    const until = state.auto_until && new Date(state.auto_until)
      .toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    hint.textContent = !state.required ? t('workNotRequired')
      : until ? t('workRequiredUntil', { time: until }) : t('workRequired');
  };
  const load = () => api('GET', '/api/staff/work').then(show, (error) => { hint.textContent = errorText(error); });
  select.addEventListener('change', async () => {
    try {
      show(await api('PUT', '/api/staff/work', { mode: select.value }));
    } catch (error) {
      hint.textContent = errorText(error);
      load();
    }
  });
  load();
  const timer = setInterval(() => { if (box.isConnected) load(); else clearInterval(timer); }, REFRESH_MS);
  return box;
}
