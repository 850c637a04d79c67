// Quick exit keys: Esc twice, or GOV.UK's "Exit this page" pattern of Shift three times.
// Shift counts only when pressed and let go on its own: typing a capital (Shift held with a
// letter) or any other key in between starts the count again, so normal typing never leaves.
// Each lone Shift is announced to screen readers with how many presses are left.

import { addStrings, t } from '/shared/i18n.js';

addStrings({
  nl: {
    quickExitKeys: 'Of druk 3 keer op Shift, of 2 keer op Esc, om deze pagina meteen te verlaten.',
    quickExitShiftLeft: 'Shift: nog {n} keer drukken om de pagina te verlaten.',
    quickExitShiftLast: 'Shift: nog 1 keer drukken om de pagina te verlaten.',
    quickExitLeaving: 'Pagina wordt verlaten.',
    ev_ended_quick_exit: 'Je hebt Snel weg gebruikt.',
  },
  en: {
    quickExitKeys: 'Or press Shift 3 times, or Esc twice, to leave this page immediately.',
    quickExitShiftLeft: 'Shift: press {n} more times to leave the page.',
    quickExitShiftLast: 'Shift: press 1 more time to leave the page.',
    quickExitLeaving: 'Leaving the page.',
    ev_ended_quick_exit: 'You used Quick exit.',
  },
});

/** Lone Shift presses each within this long of the one before count towards three. */
export const SHIFT_WINDOW_MS = 1000;
/** The second Esc within this long of the first leaves. */
export const ESCAPE_WINDOW_MS = 1500;

/**
 * @param {() => void} leave the quick exit itself
 * @param {HTMLElement} live a polite live region for the countdown
 */
export function listenForExitKeys(leave, live) {
  let lastEscape = -Infinity;
  let shifts = 0;
  let lastShift = -Infinity;
  let shiftAlone = false; // Shift is down and no other key came since
  let resetTimer;

  const reset = () => { shifts = 0; clearTimeout(resetTimer); };

  addEventListener('keydown', (event) => {
    if (event.key === 'Shift') {
      if (!event.repeat) shiftAlone = true;
      return;
    }
    shiftAlone = false;
    reset();
    if (event.key !== 'Escape') return;
    if (event.timeStamp - lastEscape < ESCAPE_WINDOW_MS) leave();
    lastEscape = event.timeStamp;
  });

  addEventListener('keyup', (event) => {
    if (event.key !== 'Shift' || !shiftAlone) return;
    shiftAlone = false;
    if (event.timeStamp - lastShift > SHIFT_WINDOW_MS) shifts = 0;
    lastShift = event.timeStamp;
    shifts += 1;
    clearTimeout(resetTimer);
    if (shifts >= 3) {
      reset();
      live.textContent = t('quickExitLeaving');
      leave();
      return;
    }
    const left = 3 - shifts;
    live.textContent = left === 1 ? t('quickExitShiftLast') : t('quickExitShiftLeft', { n: left });
    resetTimer = setTimeout(() => { shifts = 0; live.textContent = ''; }, SHIFT_WINDOW_MS);
  });

  // A click or a lost focus (another window) between presses starts over too.
  addEventListener('pointerdown', () => { shiftAlone = false; reset(); });
  addEventListener('blur', () => { shiftAlone = false; reset(); });
}

/** Where the quick exit goes: QUICK_EXIT_URL, written into the page by the server. */
export function exitUrl() {
  return document.querySelector('meta[name="quick-exit-url"]')?.content || '/neutral.html';
}
