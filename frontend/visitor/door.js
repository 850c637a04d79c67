// At the door: the optional "Ben je nu in gevaar?" question (a yes shows 112 at once and puts
// the chat ahead in the queue), and, while the chat is closed, its hours and where to turn.
// Only the answer itself is sent; nothing is stored on the device.

import { addStrings, t } from '/shared/i18n.js';
import { part } from '/shared/dom.js';

addStrings({
  nl: {
    dangerQuestion: 'Ben je nu in gevaar? (niet verplicht)',
    dangerYes: 'Ja',
    dangerNo: 'Nee',
    dangerCall: 'Bel nu 112. Dat is gratis en kan altijd, ook zonder beltegoed.',
    dangerQueue: 'Je kunt ook hier chatten: je bent dan eerder aan de beurt.',
    dangerWaiting: 'In gevaar? Bel 112.',
    hoursHeading: 'Wanneer we er zijn',
    hoursLine: '{day}: {opens} tot {closes}',
    alternativesHeading: 'Nu iemand spreken?',
    day_mon: 'maandag', day_tue: 'dinsdag', day_wed: 'woensdag', day_thu: 'donderdag',
    day_fri: 'vrijdag', day_sat: 'zaterdag', day_sun: 'zondag',
    ev_ended_left_queue: 'Je was te lang weg, dus je staat niet meer in de wachtrij. Start een nieuwe chat als je wilt praten.',
    ev_ended_visitor_away: 'Deze chat is gesloten omdat je verbinding al een tijd weg was. Je kunt het gesprek hier nog teruglezen zolang dit tabblad open is; start een nieuwe chat om verder te praten.',
    ev_ended_queue_cleared: 'Deze chat is uit de wachtrij gehaald. Start een nieuwe chat als je wilt praten.',
  },
  en: {
    dangerQuestion: 'Are you in danger right now? (optional)',
    dangerYes: 'Yes',
    dangerNo: 'No',
    dangerCall: 'Call 112 now. It is free and always works, even without credit.',
    dangerQueue: 'You can also chat here: you will be helped sooner.',
    dangerWaiting: 'In danger? Call 112.',
    hoursHeading: 'When we are here',
    hoursLine: '{day}: {opens} to {closes}',
    alternativesHeading: 'Talk to someone now?',
    day_mon: 'Monday', day_tue: 'Tuesday', day_wed: 'Wednesday', day_thu: 'Thursday',
    day_fri: 'Friday', day_sat: 'Saturday', day_sun: 'Sunday',
    ev_ended_left_queue: 'You were away too long, so you are no longer in the queue. Start a new chat if you want to talk.',
    ev_ended_visitor_away: 'This chat was closed because your connection was gone for a while. You can still read it back here while this tab is open; start a new chat to talk on.',
    ev_ended_queue_cleared: 'This chat was taken out of the queue. Start a new chat if you want to talk.',
  },
});

const $ = (id) => document.getElementById(id);

/** true, false, or null when the visitor skipped the question. */
export function dangerAnswer() {
  const chosen = document.querySelector('input[name="in-danger"]:checked');
  return chosen ? chosen.value === 'yes' : null;
}

function renderDanger() {
  $('danger-help').hidden = dangerAnswer() !== true;
}

for (const input of document.querySelectorAll('input[name="in-danger"]')) input.addEventListener('change', renderDanger);
$('start-form').addEventListener('reset', () => setTimeout(renderDanger));

/** The hours and the alternatives on the closed page; never an e-mail field. */
export function renderHelp(availability) {
  const hours = availability?.hours ?? [];
  const alternatives = availability?.alternatives ?? [];
  $('hours').hidden = !hours.length;
  $('hours-list').replaceChildren(...hours.map((w) => part('li', '', t('hoursLine', { day: t(`day_${w.day}`), opens: w.opens, closes: w.closes }))));
  $('alternatives').hidden = !alternatives.length;
  $('alternatives-list').replaceChildren(...alternatives.map(({ name, phone }) => {
    const li = document.createElement('li');
    const link = part('a', 'phone', phone);
    link.href = `tel:${phone.replace(/[^0-9+]/g, '')}`;
    li.append(part('span', 'who', name), ': ', link);
    return li;
  }));
}
