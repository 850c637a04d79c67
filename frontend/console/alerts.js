// Nobody waits unseen: a new visitor in the queue shows in the tab title and icon, as a desktop
// notification when permitted and, if this counsellor turned it on, as a sound. A wait longer
// than the server's escalation time alerts again and is marked; supervisors see who has waited
// longest. The sound choice lives only in this console's own localStorage (it is staff's device).

import { addStrings, t } from '/shared/i18n.js';
import { part } from '/shared/dom.js';

addStrings({
  nl: {
    alertSound: 'Geluid bij nieuwe bezoeker',
    alertNotifications: 'Meldingen op het bureaublad aanzetten',
    alertNewVisitor: 'Nieuwe bezoeker in de wachtrij',
    alertNewDanger: 'Nieuwe bezoeker in acuut gevaar',
    alertLongWait: '{name} wacht al {n} min',
    alertLongest: 'Wacht het langst: {name}, {n} min',
    inDanger: 'in gevaar',
    waitingLong: 'wacht lang',
    awaySince: 'Bezoeker weg sinds {n} min',
    awayClose: 'Sluiten (bezoeker is weg)',
    clearQueue: 'Wachtrij leegmaken (zonder verbinding)',
    clearQueueConfirm: 'Alle wachtende chats zonder open verbinding uit de wachtrij halen? Dit wordt vastgelegd in de auditlog.',
    clearQueueDone: '{n} wachtende chats verwijderd.',
    audit_queue_cleared: 'wachtrij leeggemaakt',
    staffEv_ended_left_queue: 'De bezoeker was te lang weg en is uit de wachtrij gegaan.',
    staffEv_ended_visitor_away: 'De chat is vanzelf gesloten: de bezoeker was te lang weg.',
    staffEv_ended_queue_cleared: 'Uit de wachtrij gehaald door een leidinggevende.',
    refAlert_failed: 'Verwijzing naar {unit} is geweigerd ({reason}) en wordt niet opnieuw verstuurd.',
    refAlert_undelivered: 'Verwijzing naar {unit} is nog steeds niet afgeleverd.',
    refAlert_urgent_unreceived: 'SPOED: verwijzing naar {unit} (acuut onveilig) is nog niet ontvangen.',
    refAlertDismiss: 'Gezien',
  },
  en: {
    alertSound: 'Sound for a new visitor',
    alertNotifications: 'Turn on desktop notifications',
    alertNewVisitor: 'New visitor in the queue',
    alertNewDanger: 'New visitor in acute danger',
    alertLongWait: '{name} has waited {n} min',
    alertLongest: 'Waiting longest: {name}, {n} min',
    inDanger: 'in danger',
    waitingLong: 'waiting long',
    awaySince: 'Visitor gone for {n} min',
    awayClose: 'Close (visitor is gone)',
    clearQueue: 'Clear the queue (not connected)',
    clearQueueConfirm: 'Take every waiting chat without an open connection out of the queue? This is recorded in the audit log.',
    clearQueueDone: '{n} waiting chats removed.',
    audit_queue_cleared: 'queue cleared',
    staffEv_ended_left_queue: 'The visitor was gone too long and left the queue.',
    staffEv_ended_visitor_away: 'The chat closed itself: the visitor was gone too long.',
    staffEv_ended_queue_cleared: 'Taken out of the queue by a supervisor.',
    refAlert_failed: 'The referral to {unit} was refused ({reason}) and is not sent again.',
    refAlert_undelivered: 'The referral to {unit} is still not delivered.',
    refAlert_urgent_unreceived: 'URGENT: the referral to {unit} (acutely unsafe) has not been received.',
    refAlertDismiss: 'Seen',
  },
});

const SOUND_KEY = 'console.alertSound';
const BASE_TITLE = document.title;
let settings = { escalate_after_s: 300, away_close_offer_s: 300 };
let known = null; // conversation ids already alerted for; null until the first queue frame
const escalated = new Set();

export function configure(alerts) {
  if (alerts) settings = alerts;
}

export function reset() {
  known = null;
  escalated.clear();
  document.title = BASE_TITLE;
  setIcon(0);
}

export function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60_000));
}

export function isLongWait(visitor) {
  return (Date.now() - Date.parse(visitor.queued_at)) / 1000 >= settings.escalate_after_s;
}

export function awayCloseOffered(since) {
  return (Date.now() - Date.parse(since)) / 1000 >= settings.away_close_offer_s;
}

/** A queue frame arrived: alert for each visitor not seen before (not for those at login). */
export function onQueue(frame) {
  const ids = new Set(frame.waiting.map((v) => v.conversation_id));
  const fresh = known === null ? [] : frame.waiting.filter((v) => !known.has(v.conversation_id));
  known = ids;
  for (const id of escalated) if (!ids.has(id)) escalated.delete(id);
  document.title = frame.length ? `(${frame.length}) ${BASE_TITLE}` : BASE_TITLE;
  setIcon(frame.length);
  if (fresh.length) alert(t(fresh.some((v) => v.in_danger) ? 'alertNewDanger' : 'alertNewVisitor'), 'new-visitor');
  escalate(frame.waiting);
}

/** Alert once per visitor whose wait passed the escalation time; call on every tick too. */
export function escalate(waiting) {
  for (const visitor of waiting) {
    if (!isLongWait(visitor) || escalated.has(visitor.conversation_id)) continue;
    escalated.add(visitor.conversation_id);
    alert(t('alertLongWait', { name: visitor.pseudonym, n: minutesSince(visitor.queued_at) }), `long-${visitor.conversation_id}`);
  }
}

/** A supervisor's live referral alert: shown until dismissed, with the unit's phone fallback. */
export function onReferralAlert(frame) {
  const list = document.getElementById('referral-alerts');
  const text = t(`refAlert_${frame.reason}`, { unit: frame.unit?.name ?? '', reason: frame.failure ?? '' });
  alert(text, `referral-${frame.referral_id}-${frame.reason}`);
  if (!list) return;
  const key = `${frame.referral_id}:${frame.reason}`;
  if ([...list.children].some((li) => li.dataset.key === key)) return;
  const li = part('li', `notice alert referral-alert${frame.urgent ? ' urgent' : ''}`, '');
  li.dataset.key = key;
  li.dataset.reason = frame.reason;
  li.setAttribute('role', 'alert');
  li.append(part('span', 'text', text));
  if (frame.unit?.fallback) li.append(' ', part('span', 'referral-fallback', frame.unit.fallback));
  const seen = part('button', 'secondary', t('refAlertDismiss'));
  seen.type = 'button';
  seen.addEventListener('click', () => li.remove());
  li.append(' ', seen);
  list.append(li);
}

function alert(text, tag) {
  if ('Notification' in window && Notification.permission === 'granted') {
    try { new Notification(text, { tag }); } catch { /* some browsers allow it only from a worker */ }
  }
  if (localStorage.getItem(SOUND_KEY) === 'on') beep();
}

function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    tone.frequency.value = 880;
    volume.gain.setValueAtTime(0.2, audio.currentTime);
    volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(volume).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  } catch { /* no audio device */ }
}

/** The tab's icon with the waiting count on it, drawn here: nothing is loaded. */
function setIcon(count) {
  const link = document.querySelector('link[rel="icon"]');
  if (!link) return;
  if (!count) { link.href = 'data:,'; return; }
  const canvas = Object.assign(document.createElement('canvas'), { width: 32, height: 32 });
  const g = canvas.getContext('2d');
  if (!g) return;
  g.fillStyle = '#b00020';
  g.beginPath();
  g.arc(16, 16, 16, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#ffffff';
  g.font = 'bold 20px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(count > 9 ? '9+' : String(count), 16, 17);
  link.href = canvas.toDataURL('image/png');
}

/** The sound switch and the notification button, for the queue's header. */
export function controls() {
  const box = part('div', 'alert-controls', '');
  const sound = Object.assign(document.createElement('input'), { type: 'checkbox', id: 'alert-sound' });
  sound.checked = localStorage.getItem(SOUND_KEY) === 'on';
  sound.addEventListener('change', () => {
    if (sound.checked) { localStorage.setItem(SOUND_KEY, 'on'); beep(); } else localStorage.removeItem(SOUND_KEY);
  });
  const label = part('label', 'check', '');
  label.append(sound, ' ', part('span', '', t('alertSound')));
  box.append(label);
  if ('Notification' in window && Notification.permission === 'default') {
    const ask = part('button', 'link-button', t('alertNotifications'));
    ask.type = 'button';
    ask.addEventListener('click', async () => { await Notification.requestPermission(); ask.remove(); });
    box.append(ask);
  }
  return box;
}
