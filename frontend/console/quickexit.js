// A quick exit is not "the visitor ended the chat": the visitor may no longer be safe. The
// console shows it unmistakably in the transcript, above the coding (so it is coded with that in
// mind, also after the chat ended) and on the chat's tab, and announces it when it happens.

import { addStrings, t } from '/shared/i18n.js';
import { part } from '/shared/dom.js';

addStrings({
  nl: {
    staffEv_ended_quick_exit: 'Bezoeker heeft Snel weg gebruikt — mogelijk niet meer veilig.',
    quickExitFlag: 'Snel weg gebruikt: de bezoeker is mogelijk niet meer veilig. Houd hier rekening mee bij het coderen en de nazorg.',
    quickExitTab: 'Snel weg',
  },
  en: {
    staffEv_ended_quick_exit: 'Visitor used Quick exit — may no longer be safe.',
    quickExitFlag: 'Quick exit used: the visitor may no longer be safe. Keep this in mind when coding and in the follow-up.',
    quickExitTab: 'Quick exit',
  },
});

export const QUICK_EXIT = 'ended_quick_exit';

/** Mark the chat's pane; ``announce`` is given for a live event, not a replayed one. */
export function markQuickExit(chat, item, announce) {
  item.classList.add('quick-exit');
  const { pane } = chat;
  pane.classList.add('quick-exited');
  if (!pane.querySelector('.quick-exit-flag')) {
    const flag = part('p', 'quick-exit-flag', t('quickExitFlag'));
    flag.dataset.i18n = 'quickExitFlag';
    flag.setAttribute('role', 'note');
    pane.querySelector('.coding').before(flag);
  }
  if (announce) announce(t('staffEv_ended_quick_exit'));
}
