// Counsellor console: log in, take visitors from the queue, hold several chats at once.
// All text from visitors is put on the page with textContent only: it is never markup.

import '/console/strings.js'; // first: the console's own texts, before anything is drawn
import { api, getToken, path, setToken } from '/console/api.js';
import * as alerts from '/console/alerts.js';
import { CodingForm } from '/console/coding.js';
import { QUICK_EXIT, markQuickExit } from '/console/quickexit.js';
import { PersonLinks } from '/console/persons.js';
import { ChatQuotes } from '/console/quotes.js';
import { labelled } from '/console/ui.js';
import { redrawViews, startViews, stopViews } from '/console/views.js';
import { workControl } from '/console/work.js';
import { ChatConnection, newId } from '/shared/protocol.js';
import { t, errorText, getLang, setLang, translatePage } from '/shared/i18n.js';
import { button, part, timeOf } from '/shared/dom.js';
import {
  AGE_BANDS, CONTACT_METHODS, EXPLOITATION_FORMS, GENDERS, OPEN, PROBABLY_DUTCH, SECTORS,
  ageBandOf, isNewer, sharesList,
} from '/shared/referral.js';

const $ = (id) => document.getElementById(id);
const PHONE = /^[0-9+\-() ]{6,20}$/;
const COUNTRY = /^[A-Z]{2}$/;

let me = null;
let colleagues = []; // who can take a transfer, with their load
let conn = null;
let waiting = [];
let longest = null; // who has waited longest, wherever they stand in the line
let selected = null;
let focusNext = null; // the chat just accepted: show it as soon as it arrives
const chats = new Map(); // conversation id -> chat state and its elements
let referralCatalogue = null; // { units, provinces } for the referral form, loaded when first needed

// -- login and logout ----------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login').disabled = true;
  try {
    const credentials = { username: $('username').value, password: $('password').value };
    if (!$('code-field').hidden) credentials.code = $('code').value.trim();
    const data = await api('POST', '/api/staff/login', credentials);
    setToken(data.token);
    me = data.staff;
    $('login-form').reset();
    $('code-field').hidden = true;
    startSession();
  } catch (error) {
    if (error.code === 'two_factor_required' || error.code === 'two_factor_invalid') {
      $('code-field').hidden = false; // the password was right: now the code from the app
      $('code').value = '';
    }
    const asked = error.code === 'two_factor_required';
    showLogin(asked ? errorText(error) : t('loginFailed', { reason: errorText(error) }));
  } finally {
    $('login').disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  conn?.stop(); // first: the server closes revoked sockets with 4401, which is not an "expiry"
  try { await api('POST', '/api/staff/logout'); } catch { /* the token is forgotten below anyway */ }
  endSession('');
});

function endSession(message) {
  conn?.stop();
  conn = null;
  setToken(null);
  me = null;
  stopViews();
  alerts.reset();
  $('work-controls').replaceChildren();
  waiting = [];
  longest = null;
  $('code-field').hidden = true;
  chats.clear();
  selected = null;
  $('tabs').replaceChildren();
  $('panes').replaceChildren();
  renderChats();
  showLogin(message);
}

function showLogin(message) {
  $('login-view').hidden = false;
  $('app-view').hidden = $('logout').hidden = $('me').hidden = $('two-factor').hidden = true;
  $('connection').textContent = '';
  $('retry').hidden = true;
  $('login-error').textContent = message;
  $('login-error').hidden = !message;
  ($('code-field').hidden ? $('username') : $('code')).focus();
}

document.addEventListener('sessionexpired', () => endSession(t('sessionExpired')));

function startSession() {
  $('login-view').hidden = true;
  $('logout').hidden = $('me').hidden = false;
  renderMe();
  startViews(me);
  loadTwoFactor();
  if (me.role === 'researcher') return; // no chats: the socket is for those who hold them
  $('alert-controls').replaceChildren(alerts.controls());
  $('work-controls').replaceChildren(...(me.role === 'supervisor' ? [workControl()] : []));
  renderQueue();
  renderChats();
  loadColleagues();
  conn = new ChatConnection('/ws/staff', 'counsellor', () => ({
    type: 'hello', v: 1, token: getToken(),
    positions: Object.fromEntries([...chats.keys()].map((id) => [id, conn.position(id)])),
  }), { frame: onFrame, message: onMessage, state: onState, settled: onSettled, failed: onFailed });
  conn.start();
}

/** Colleagues who can take a transfer, with how many chats each holds now. */
async function loadColleagues() {
  try {
    const data = await api('GET', '/api/staff/colleagues');
    colleagues = data.colleagues.filter((c) => c.id !== me?.id).map((c) => ({ ...c, max: data.max_chats }));
  } catch {
    colleagues = [];
  }
  for (const chat of chats.values()) renderTransfer(chat);
}

// -- two-factor login ----------------------------------------------------------------------------

async function loadTwoFactor() {
  try {
    $('two-factor').hidden = (await api('GET', '/api/staff/me')).two_factor;
  } catch {
    $('two-factor').hidden = true;
  }
}

$('two-factor').addEventListener('click', async () => {
  try {
    const enrolment = await api('POST', '/api/staff/two-factor'); // shown this once
    $('two-factor-secret').textContent = enrolment.secret.match(/.{1,4}/g).join(' ');
    $('two-factor-uri').href = enrolment.otpauth_uri;
    $('two-factor-error').hidden = true;
    $('two-factor-form').reset();
    $('two-factor-dialog').showModal();
  } catch (error) {
    toast(errorText(error));
  }
});

$('two-factor-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/staff/two-factor/confirm', { code: $('two-factor-code').value.trim() });
    $('two-factor-dialog').close();
    $('two-factor').hidden = true;
    toast(t('twoFactorOn'));
  } catch (error) {
    $('two-factor-error').textContent = errorText(error);
    $('two-factor-error').hidden = false;
  }
});

$('two-factor-cancel').addEventListener('click', () => $('two-factor-dialog').close());
$('two-factor-dialog').addEventListener('close', () => { // the secret leaves the page with it
  $('two-factor-secret').textContent = '';
  $('two-factor-uri').removeAttribute('href');
});

function renderMe() {
  if (!me) return;
  $('me').textContent = t('signedInAs', { name: me.display_name, role: t(`role_${me.role}`) });
}

// -- the socket ----------------------------------------------------------------------------------

let connState = '';
function onState(name) {
  connState = name;
  const label = { open: t('connected'), connecting: t('connecting'), retrying: t('reconnecting') }[name];
  $('connection').textContent = label ?? '';
  $('connection').dataset.state = name;
  $('retry').hidden = name !== 'retrying';
  if (name === 'closed') endSession(t('sessionExpired'));
  renderQueue();
}
$('retry').addEventListener('click', () => conn?.retryNow());

function onFrame(frame) {
  const chat = chats.get(frame.conversation_id);
  switch (frame.type) {
    case 'welcome': {
      me = frame.staff;
      alerts.configure(frame.alerts);
      renderMe();
      const held = new Set(frame.conversations.map((c) => c.id));
      for (const summary of frame.conversations) upsert(summary);
      // Notes are not replayed over the socket, and chats that ended or moved while we were
      // away are no longer followed: the transcript endpoint fills both gaps.
      for (const other of chats.values()) {
        if (held.has(other.id) || other.status === 'active') loadDetail(other.id);
      }
      break;
    }
    case 'referral_alert': // supervisors only: a referral failed, or is late
      alerts.onReferralAlert(frame);
      break;
    case 'queue': {
      if (frame.waiting.length > waiting.length) announce(t('newVisitor'));
      waiting = frame.waiting;
      longest = frame.longest;
      alerts.onQueue(frame);
      renderQueue();
      break;
    }
    case 'accepted':
      focusNext = frame.conversation_id;
      if (chats.has(focusNext)) { select(focusNext); focusNext = null; }
      break;
    case 'assigned':
      upsert(frame.conversation);
      loadDetail(frame.conversation.id);
      break;
    case 'unassigned':
      if (chat) setStatus(chat, 'transferred');
      break;
    case 'presence':
      if (chat) { chat.awaySince = frame.present ? null : frame.since; renderHead(chat); }
      break;
    case 'typing':
      if (chat && frame.who === 'visitor') showTyping(chat, frame.active); // our own typing echoes back
      break;
    case 'note':
      addNote(frame);
      break;
    case 'transferred':
      toast(t('transferred'));
      break;
    case 'error':
      toast(errorText(frame));
      break;
  }
}

async function loadDetail(id) {
  try {
    const data = await api('GET', `/api/staff/conversations/${encodeURIComponent(id)}`);
    upsert(data.conversation);
    for (const message of data.messages) conn?.accept(message); // same dedupe as the socket
    for (const note of data.notes) addNote(note);
    loadReferrals(id);
    chats.get(id)?.quotes.load();
  } catch (error) {
    const chat = chats.get(id);
    if (error.status === 403 && chat) setStatus(chat, 'transferred');
  }
}

function onMessage(frame) {
  const chat = chats.get(frame.conversation_id) ?? upsert({ id: frame.conversation_id, status: 'active' });
  if (frame.client_msg_id) document.getElementById(`echo-${frame.client_msg_id}`)?.remove();
  const referral = frame.kind === 'referral' && frame.referral;
  const item = frame.kind === 'event' ? eventItem(frame) : referral ? referralLine(referral) : textItem(chat, frame);
  insertMessage(chat, item);
  if (referral) { referralNews(chat, frame, referral); return; }
  if (frame.kind === 'event' && frame.text === QUICK_EXIT) {
    chat.quickExit = true;
    markQuickExit(chat, item, frame.seq > chat.historyUntil ? announce : null);
  }
  if (frame.kind === 'event' && frame.text.startsWith('ended_')) setStatus(chat, 'ended');
  if (frame.author !== 'visitor') return;
  showTyping(chat, false);
  if (frame.seq <= chat.historyUntil) return; // a replayed transcript, not a new message
  if (chat.id !== selected || document.hidden) { chat.unread += 1; renderTab(chat); }
  announce(t('newMessage', { name: chat.pseudonym, text: frame.text }));
}

function onSettled(id, frame) {
  if (frame.type !== 'note_saved') return;
  const li = document.getElementById(`note-echo-${id}`);
  if (!li) return; // the note frame came first and already replaced the echo
  chats.get(li.closest('.pane').dataset.cid)?.notes.add(frame.note_id);
  li.removeAttribute('id');
  li.classList.remove('pending');
  li.querySelector('.state')?.replaceWith(timeOf(new Date().toISOString()));
}

function onFailed(id, error) {
  const li = document.getElementById(`echo-${id}`) ?? document.getElementById(`note-echo-${id}`);
  if (!li) return;
  li.classList.replace('pending', 'failed');
  const state = li.querySelector('.state');
  state.removeAttribute('data-i18n');
  state.textContent = t('notSent', { reason: errorText(error) });
}

// -- queue ---------------------------------------------------------------------------------------

function renderQueue() {
  $('queue-count').textContent = waiting.length ? t('queueCount', { n: waiting.length }) : t('queueEmpty');
  $('queue-list').replaceChildren(...waiting.map((visitor) => {
    const li = document.createElement('li');
    li.append(part('span', 'who', visitor.pseudonym), ' ', part('span', 'hint', t('waitingFor', { n: alerts.minutesSince(visitor.queued_at) })));
    if (visitor.in_danger) { li.classList.add('in-danger'); li.append(' ', part('span', 'badge danger', t('inDanger'))); }
    if (alerts.isLongWait(visitor)) { li.classList.add('long-wait'); li.append(' ', part('span', 'badge', t('waitingLong'))); }
    return li;
  }));
  const supervisor = me?.role === 'supervisor';
  $('queue-longest').hidden = !(supervisor && longest);
  if (supervisor && longest) $('queue-longest').textContent = t('alertLongest', { name: longest.pseudonym, n: alerts.minutesSince(longest.queued_at) });
  $('queue-longest').classList.toggle('long-wait', Boolean(longest && alerts.isLongWait(longest)));
  $('clear-queue').hidden = !supervisor || !waiting.length;
  $('accept').disabled = !waiting.length || !conn?.ready;
}
setInterval(() => { // keep the waiting times, the escalation and colleagues' load honest
  alerts.escalate(waiting);
  renderQueue();
  for (const chat of chats.values()) if (chat.awaySince) renderHead(chat);
  if (conn) loadColleagues();
}, 30_000);

$('clear-queue').addEventListener('click', async () => {
  if (!confirm(t('clearQueueConfirm'))) return;
  try {
    const { cleared } = await api('POST', '/api/staff/queue/clear', {});
    toast(t('clearQueueDone', { n: cleared }));
  } catch (error) {
    toast(errorText(error));
  }
});

$('accept').addEventListener('click', () => {
  if (!conn?.send({ type: 'accept_next' })) toast(t('notConnected'));
});

// -- chats and tabs ------------------------------------------------------------------------------

function upsert(summary) {
  let chat = chats.get(summary.id);
  if (!chat) {
    chat = createChat(summary.id);
    // What existed when the chat first reached this page is history, not news to announce.
    chat.historyUntil = summary.last_seq ?? 0;
  }
  if (summary.pseudonym) chat.pseudonym = summary.pseudonym;
  if ('visitor_age' in summary) { chat.age = summary.visitor_age; chat.gender = summary.visitor_gender; }
  if ('in_danger' in summary) chat.inDanger = summary.in_danger === true;
  setStatus(chat, summary.status);
  if (focusNext === chat.id || !selected) { focusNext = null; select(chat.id); }
  return chat;
}

function createChat(id) {
  const pane = $('pane-template').content.firstElementChild.cloneNode(true);
  pane.id = `pane-${id}`;
  pane.dataset.cid = id;
  pane.setAttribute('aria-labelledby', `tab-${id}`);
  pane.hidden = true;
  const tab = document.createElement('button');
  tab.type = 'button';
  tab.id = `tab-${id}`;
  tab.className = 'tab';
  tab.setAttribute('role', 'tab');
  tab.setAttribute('aria-controls', pane.id);
  tab.addEventListener('click', () => select(id));
  const q = (selector) => pane.querySelector(selector);
  const chat = {
    id, pseudonym: '…', status: 'active', age: null, gender: null, unread: 0, notes: new Set(), historyUntil: 0,
    tab, pane, typingSentAt: 0, typingIdle: null, typingHide: null,
    transcript: q('.transcript'), typing: q('.typing'), reply: q('.reply textarea'),
    noteText: q('.note-form textarea'), transferField: q('.transfer-field'),
    referrals: new Map(), currentReferral: null, referralForm: q('.referral-form'), referralDetailsOpen: false,
    trustedAdultOffered: false, quotes: new ChatQuotes(id),
  };
  chats.set(id, chat);
  wirePane(chat);
  translatePage(pane);
  $('tabs').append(tab);
  $('panes').append(pane);
  renderTransfer(chat);
  renderChats();
  return chat;
}

function wirePane(chat) {
  const { pane, reply } = chat;
  pane.querySelector('.reply').addEventListener('submit', (event) => { event.preventDefault(); sendReply(chat); });
  reply.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendReply(chat); }
  });
  reply.addEventListener('input', () => typing(chat));
  pane.querySelector('.note-form').addEventListener('submit', (event) => { event.preventDefault(); saveNote(chat); });
  pane.querySelector('.transfer-form').addEventListener('submit', (event) => { event.preventDefault(); transfer(chat); });
  pane.querySelector('.end').addEventListener('click', () => {
    if (!confirm(t('confirmEndConversation'))) return;
    if (!conn?.send({ type: 'end', conversation_id: chat.id })) toast(t('notConnected'));
  });
  pane.querySelector('.away-close').addEventListener('click', () => { // one click: the visitor is gone
    if (!conn?.send({ type: 'end', conversation_id: chat.id })) toast(t('notConnected'));
  });
  pane.querySelector('.close-tab').addEventListener('click', () => closeChat(chat));
  wireReferral(chat);
  wireCoding(chat);
}

/** The codebook form and duplicate links, built when first opened (most chats are coded at the end). */
function wireCoding(chat) {
  const details = chat.pane.querySelector('.coding');
  details.addEventListener('toggle', () => {
    if (!details.open || chat.coding) return;
    const candidates = () => [...chats.values()].map((c) => ({ id: c.id, pseudonym: c.pseudonym }));
    chat.links = new PersonLinks(chat.id, candidates);
    chat.coding = new CodingForm(chat.id, (summary) => chat.links.update(summary.person_id));
    const body = details.querySelector('.coding-body');
    const linksHeading = part('h4', '', t('personHeading'));
    linksHeading.dataset.i18n = 'personHeading';
    body.replaceChildren(chat.coding.element, linksHeading, chat.links.element);
    chat.coding.load();
  });
}

function select(id) {
  selected = id;
  for (const chat of chats.values()) {
    const on = chat.id === id;
    chat.tab.setAttribute('aria-selected', String(on));
    chat.tab.tabIndex = on ? 0 : -1; // one tab stop for the list; arrows move inside it
    chat.pane.hidden = !on;
    if (on) chat.unread = 0;
    renderTab(chat);
  }
  const chat = chats.get(id);
  if (chat) chat.transcript.scrollTop = chat.transcript.scrollHeight;
}

$('tabs').addEventListener('keydown', (event) => {
  const ids = [...chats.keys()];
  const at = ids.indexOf(selected);
  const to = { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[event.key];
  if (to === undefined || !ids.length) return;
  event.preventDefault();
  const next = ids[(to + ids.length) % ids.length];
  select(next);
  chats.get(next).tab.focus();
});

function closeChat(chat) {
  chats.delete(chat.id);
  conn?.forget(chat.id);
  chat.tab.remove();
  chat.pane.remove();
  if (selected === chat.id) {
    selected = null;
    const first = chats.keys().next().value;
    if (first) select(first);
  }
  renderChats();
}

function setStatus(chat, status) {
  // A chat taken over by a colleague stays "transferred" until it comes back with "assigned".
  chat.status = status;
  chat.pane.dataset.status = status;
  const active = status === 'active';
  chat.pane.querySelector('.reply').hidden = !active;
  chat.pane.querySelector('.end').hidden = !active;
  chat.pane.querySelector('.transfer').hidden = !active;
  chat.pane.querySelector('.close-tab').hidden = active;
  chat.pane.querySelector('.note-form').hidden = status === 'transferred'; // wrap-up notes after the end are fine
  if (!active) showTyping(chat, false);
  renderReferralPanel(chat);
  renderHead(chat);
  renderTab(chat);
}

function renderHead(chat) {
  const { pane } = chat;
  pane.querySelector('.pane-title').textContent = chat.pseudonym;
  const gender = chat.gender ? t(`gender_${chat.gender}`) : t('notGiven');
  pane.querySelector('.profile').textContent = t('visitorProfile', { age: chat.age ?? t('notGiven'), gender })
    + (chat.inDanger ? ` · ${t('inDanger')}` : '');
  pane.querySelector('.pane-status').textContent = statusText(chat.status);
  const away = chat.status === 'active' && chat.awaySince;
  pane.querySelector('.pane-away').hidden = !away;
  if (away) pane.querySelector('.pane-away').textContent = t('awaySince', { n: alerts.minutesSince(chat.awaySince) });
  pane.querySelector('.away-close').hidden = !(away && alerts.awayCloseOffered(chat.awaySince));
  pane.querySelector('.reply-label').textContent = t('replyLabel', { name: chat.pseudonym });
  chat.transcript.setAttribute('aria-label', `${t('transcriptLabel')}: ${chat.pseudonym}`);
}

function renderTab(chat) {
  chat.tab.replaceChildren(part('span', 'who', chat.pseudonym), ' ', part('span', 'tab-status', statusText(chat.status)));
  if (chat.unread) chat.tab.append(' ', part('span', 'badge', `${chat.unread} ${t('unread')}`));
  if (chat.quickExit) chat.tab.append(' ', part('span', 'badge quick-exit', t('quickExitTab')));
  chat.tab.dataset.status = chat.status;
}

function renderChats() {
  $('no-chats').hidden = $('no-pane').hidden = chats.size > 0;
  $('panes').hidden = chats.size === 0;
}

function statusText(status) {
  return t({ waiting: 'statusWaiting', active: 'statusActive', ended: 'statusEnded', transferred: 'statusTransferred' }[status] ?? 'statusActive');
}

function renderTransfer(chat) {
  const chosen = chat.transferField.querySelector('select')?.value ?? '';
  const select = document.createElement('select');
  select.append(new Option(t('transferPick'), ''));
  for (const c of colleagues) {
    const item = new Option(t('transferOption', { name: c.display_name, role: t(`role_${c.role}`), n: c.chats, max: c.max }), c.id);
    item.disabled = c.chats >= c.max; // a full colleague cannot take it
    select.append(item);
  }
  select.value = chosen;
  chat.transferField.replaceChildren(labelled(t('transferTo'), select));
}

// -- acting in a chat ----------------------------------------------------------------------------

function sendReply(chat) {
  const text = chat.reply.value.trim();
  if (!text || chat.status !== 'active' || !conn) return;
  const id = newId();
  chat.transcript.append(echoItem(`echo-${id}`, me?.display_name ?? '', text));
  chat.transcript.scrollTop = chat.transcript.scrollHeight;
  conn.submit(id, { type: 'send', conversation_id: chat.id, client_msg_id: id, text });
  chat.reply.value = '';
  stopTyping(chat);
}

function typing(chat) {
  if (chat.status !== 'active' || !conn) return;
  const now = Date.now();
  if (now - chat.typingSentAt > 3000) { // at most one "typing" frame every 3 s per chat
    conn.send({ type: 'typing', conversation_id: chat.id, active: true });
    chat.typingSentAt = now;
  }
  clearTimeout(chat.typingIdle);
  chat.typingIdle = setTimeout(() => stopTyping(chat), 4000);
}

function stopTyping(chat) {
  clearTimeout(chat.typingIdle);
  if (chat.typingSentAt) conn?.send({ type: 'typing', conversation_id: chat.id, active: false });
  chat.typingSentAt = 0;
}

function saveNote(chat) {
  const text = chat.noteText.value.trim();
  if (!text || !conn) return;
  const id = newId();
  chat.pane.querySelector('.notes-list').append(echoItem(`note-echo-${id}`, me?.display_name ?? '', text));
  conn.submit(id, { type: 'note', conversation_id: chat.id, client_note_id: id, text });
  chat.noteText.value = '';
}

function transfer(chat) {
  const control = chat.transferField.querySelector('select');
  const target = control.value;
  if (!target) { control.focus(); return; }
  const name = colleagues.find((c) => c.id === target)?.display_name ?? target;
  if (!confirm(t('confirmTransfer', { name }))) return;
  if (!conn?.send({ type: 'transfer', conversation_id: chat.id, to_staff_id: target })) toast(t('notConnected'));
}

function addNote(note) {
  const chat = chats.get(note.conversation_id);
  if (!chat || chat.notes.has(note.note_id)) return;
  chat.notes.add(note.note_id);
  document.getElementById(`note-echo-${note.client_note_id}`)?.remove();
  const li = document.createElement('li');
  li.className = 'note';
  const meta = part('p', 'meta', '');
  meta.append(part('span', 'who', note.author_name), ' ', timeOf(note.written_at));
  li.append(meta, part('p', 'text', note.text));
  chat.pane.querySelector('.notes-list').append(li);
}

function showTyping(chat, active) {
  clearTimeout(chat.typingHide);
  chat.typing.textContent = t('visitorTyping', { name: chat.pseudonym });
  chat.typing.hidden = !active;
  if (active) chat.typingHide = setTimeout(() => { chat.typing.hidden = true; }, 8000);
}

// -- referral to the police (AVIM) ------------------------------------------------------------------
//
// The counsellor proposes; the visitor sees exactly the proposal in the chat and consents or not;
// the counsellor sends. Every state change also arrives as a "referral" message on the socket,
// and the HTTP answers carry the same states: whichever comes first is shown (isNewer keeps the
// order). The panel shows the open referral, or the last one when none is open.

const lineReferrals = new WeakMap(); // transcript li -> the referral state it reports

function referralLine(referral) {
  const li = document.createElement('li');
  li.className = 'msg system referral-line';
  lineReferrals.set(li, referral);
  renderReferralLine(li);
  return li;
}

function renderReferralLine(li) {
  const referral = lineReferrals.get(li);
  li.replaceChildren(part('p', 'text', t('refStaffLine', { unit: referral.unit?.name ?? '', status: referralStatusText(referral) })));
}

function referralStatusText(referral) {
  return t(`refStaff_${referral.status}`);
}

function referralNews(chat, frame, referral) {
  const changed = isNewer(referral, chat.referrals.get(referral.id));
  mergeReferral(chat, referral);
  if (!changed || frame.seq <= chat.historyUntil) return; // history, or our own step already shown
  if (chat.id !== selected || document.hidden) { chat.unread += 1; renderTab(chat); }
  announce(t('refStaffAnnounce', { name: chat.pseudonym, unit: referral.unit?.name ?? '', status: referralStatusText(referral) }));
}

function mergeReferral(chat, referral) {
  const known = chat.referrals.get(referral.id);
  const newer = isNewer(referral, known);
  const same = known && known.status === referral.status;
  // An HTTP view of the same state carries more (consent, delivery): take it, but never go back.
  if (newer || (same && 'consent' in referral)) chat.referrals.set(referral.id, referral);
  const before = chat.currentReferral;
  const current = chat.referrals.get(before);
  if (!current || current.id === referral.id || !OPEN.has(current.status)) chat.currentReferral = referral.id;
  if (newer || before !== chat.currentReferral) renderReferralPanel(chat); // no redraw, no lost focus
}

async function loadReferrals(id) {
  try {
    const data = await api('GET', `/api/triage/conversations/${encodeURIComponent(id)}/referrals`);
    const chat = chats.get(id);
    if (!chat) return;
    chat.trustedAdultOffered = data.trusted_adult_offered === true;
    // Oldest first, so the newest ends up current; "sending" is never a chat message, only here.
    const found = [...data.referrals].sort((a, b) => String(a.proposed_at).localeCompare(String(b.proposed_at)));
    for (const referral of found) mergeReferral(chat, referral);
  } catch {
    // No triage access (any more): the chat's own referral messages still show the states.
  }
}

function wireReferral(chat) {
  const { pane, referralForm: form } = chat;
  const opener = pane.querySelector('.referral-open');
  form.id = `referral-form-${chat.id}`;
  opener.setAttribute('aria-controls', form.id);
  opener.addEventListener('click', () => (form.hidden ? openReferralForm(chat) : closeReferralForm(chat)));
  form.addEventListener('submit', (event) => { event.preventDefault(); proposeReferral(chat); });
}

function renderReferralPanel(chat) {
  const { pane } = chat;
  const referral = chat.referrals.get(chat.currentReferral);
  const open = Boolean(referral && OPEN.has(referral.status));
  const mayPropose = chat.status === 'active' && !open;
  pane.querySelector('.referral-open').hidden = !mayPropose;
  if (!mayPropose && !chat.referralForm.hidden) closeReferralForm(chat, false);
  const box = pane.querySelector('.referral-current');
  const hadFocus = box.contains(document.activeElement);
  if (!referral) { box.replaceChildren(part('p', 'hint', t('refNoReferral'))); return; }

  const status = part('p', 'referral-status', t('refStaffLine', { unit: referral.unit?.name ?? '', status: referralStatusText(referral) }));
  status.tabIndex = -1; // focus comes here after a step, so the new state is read out
  status.dataset.status = referral.status;
  const details = document.createElement('details');
  details.open = chat.referralDetailsOpen;
  details.addEventListener('toggle', () => { chat.referralDetailsOpen = details.open; });
  const summary = document.createElement('summary');
  summary.textContent = t('refSharedSummary');
  details.append(summary, part('p', 'hint', referral.unit?.contact_text ?? ''), sharesList(referral.shares, true));
  const items = [status, details];

  const mayAct = chat.status !== 'transferred';
  const actions = [];
  if (mayAct && referral.status === 'consented') {
    actions.push(button('primary', t('refSend'), () => referralStep(chat, referral, 'send')));
  }
  if (mayAct && (referral.status === 'proposed' || referral.status === 'consented')) {
    actions.push(button('secondary danger', t('refCancel'), () => referralStep(chat, referral, 'cancel')));
  }
  if (referral.status === 'sending') items.push(part('p', 'hint', t('refSendingHint')));
  if (referral.trusted_adult) items.push(part('p', 'hint', t('refTrustedAdultNoted')));
  if (referral.status === 'failed') items.push(...failedNotice(referral));
  if (actions.length) {
    const row = document.createElement('div');
    row.className = 'actions';
    row.append(...actions);
    items.push(row);
  }
  const error = part('p', 'field-error referral-error', '');
  error.hidden = true;
  items.push(error);
  box.replaceChildren(...items);
  if (hadFocus) status.focus(); // the focused control was redrawn: keep the reader in the panel
}

/** Delivery stopped for good: why, and the unit's phone fallback so nobody waits on it. */
export function failedNotice(referral) {
  const notice = part('p', 'notice alert', t('refFailed', { reason: referral.failure ?? '' }));
  notice.setAttribute('role', 'alert');
  const fallback = referral.unit?.fallback;
  return fallback ? [notice, part('p', 'referral-fallback', fallback)] : [notice];
}

async function referralStep(chat, referral, action, body = {}) {
  const unit = referral.unit?.name ?? '';
  if (action === 'send' && !confirm(t('refConfirmSend', { unit }))) return;
  if (action === 'cancel' && !confirm(t('refConfirmCancel'))) return;
  const box = chat.pane.querySelector('.referral-current');
  for (const control of box.querySelectorAll('button, select')) control.disabled = true;
  try {
    const updated = await api('POST', `/api/triage/referrals/${encodeURIComponent(referral.id)}/${action}`, body);
    mergeReferral(chat, updated);
    box.querySelector('.referral-status')?.focus();
  } catch (error) {
    if (error.status === 401) return; // the session has ended: the login is shown
    renderReferralPanel(chat); // enabled again as the state allows
    showReferralError(box, error);
  }
}

function showReferralError(box, error) {
  const text = error.message && error.code !== 'unavailable' ? `${errorText(error)} (${error.message})` : errorText(error);
  const line = box.querySelector('.referral-error');
  if (line) { line.textContent = text; line.hidden = false; }
  toast(text);
}

// -- the proposal form

async function openReferralForm(chat) {
  if (!referralCatalogue) {
    try {
      referralCatalogue = await api('GET', '/api/triage/referral-units');
    } catch (error) {
      if (error.status === 401) return; // the session has ended: the login is shown
      toast(t('refUnitsFailed'));
      return;
    }
  }
  await loadReferrals(chat.id); // the coding may have changed: is the trusted-adult note offered?
  const form = chat.referralForm;
  if (!form.childElementCount) buildReferralForm(chat);
  if (!form.dataset.touched) prefillReferral(chat);
  const trusted = form.querySelector('[data-field="trusted_adult"]');
  trusted.hidden = !chat.trustedAdultOffered;
  if (trusted.hidden) form.elements.trusted_adult.checked = false;
  form.hidden = false;
  chat.pane.querySelector('.referral-open').setAttribute('aria-expanded', 'true');
  form.elements.province.focus();
}

function closeReferralForm(chat, returnFocus = true) {
  chat.referralForm.hidden = true;
  const opener = chat.pane.querySelector('.referral-open');
  opener.setAttribute('aria-expanded', 'false');
  if (returnFocus && !opener.hidden) opener.focus();
}

function buildReferralForm(chat) {
  const form = chat.referralForm;
  const id = (name) => `rf-${chat.id}-${name}`;
  const control = (element, name) => { element.name = name; element.id = id(name); return element; };

  const province = control(document.createElement('select'), 'province');
  province.append(option('', 'refProvincePick'));
  for (const p of referralCatalogue.provinces) province.append(new Option(p.name, p.code));
  const provinceHint = part('p', 'hint province-hint', '');
  provinceHint.id = id('province-hint');
  provinceHint.setAttribute('aria-live', 'polite');
  province.setAttribute('aria-describedby', provinceHint.id);
  const unit = control(document.createElement('select'), 'unit');
  const unitText = part('p', 'hint unit-text', '');
  unitText.id = id('unit-text');
  province.addEventListener('change', () => suggestUnits(chat));
  unit.addEventListener('change', () => describeUnit(chat));

  const age = control(document.createElement('input'), 'age');
  Object.assign(age, { type: 'number', inputMode: 'numeric', min: '1', max: '120', step: '1', autocomplete: 'off' });
  const band = control(choiceSelect('age_band', AGE_BANDS, 'refBand_', 'refPick'), 'age_band');
  const bandHint = part('p', 'hint band-hint', t('refBandDerived'));
  bandHint.dataset.i18n = 'refBandDerived';
  bandHint.hidden = true;
  age.addEventListener('input', () => deriveBand(chat));

  const nationality = control(document.createElement('input'), 'nationality');
  Object.assign(nationality, { maxLength: 2, autocomplete: 'off', spellcheck: false, autocapitalize: 'characters' });
  nationality.addEventListener('input', () => { nationality.value = nationality.value.toUpperCase(); });
  const dutch = checkbox('probably_dutch', 'probably_dutch', 'refProbablyDutch');
  dutch.input.id = id('probably_dutch');
  dutch.input.addEventListener('change', () => { nationality.disabled = dutch.input.checked; });

  const method = control(choiceSelect('contact_method', CONTACT_METHODS, 'refContact_'), 'contact_method');
  const detail = control(document.createElement('input'), 'contact_detail');
  Object.assign(detail, { maxLength: 200, autocomplete: 'off' });
  const detailHint = part('p', 'hint contact-hint', '');
  detailHint.id = id('contact-hint');
  detail.setAttribute('aria-describedby', detailHint.id);
  method.addEventListener('change', () => describeContact(chat));

  const summary = control(document.createElement('textarea'), 'summary');
  Object.assign(summary, { rows: 5, maxLength: 2000, autocomplete: 'off' });

  const gender = control(choiceSelect('gender', GENDERS, 'refGender_'), 'gender');
  const unsafe = checkbox('acutely_unsafe', 'acutely_unsafe', 'refField_acutely_unsafe');
  unsafe.input.id = id('acutely_unsafe');
  // Information only, never a gate; not offered when the coding names family as perpetrator.
  const trusted = checkbox('trusted_adult', 'trusted_adult', 'refTrustedAdult');
  trusted.input.id = id('trusted_adult');

  const formError = part('p', 'field-error form-error', '');
  formError.setAttribute('role', 'alert');
  formError.hidden = true;
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.className = 'primary';
  submit.dataset.i18n = 'refSubmit';
  submit.textContent = t('refSubmit');
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'secondary';
  close.dataset.i18n = 'refCloseForm';
  close.textContent = t('refCloseForm');
  close.addEventListener('click', () => closeReferralForm(chat));
  const row = document.createElement('div');
  row.className = 'actions';
  row.append(submit, close);

  const hint = part('p', 'hint', t('refFormHint'));
  hint.dataset.i18n = 'refFormHint';
  form.replaceChildren(
    hint,
    field(chat, 'province', i18nLabel('refProvince', province), provinceHint),
    field(chat, 'unit', i18nLabel('refUnit', unit), unitText),
    field(chat, 'exploitation_forms', checkGroup('refField_exploitation_forms', 'exploitation_forms', EXPLOITATION_FORMS, 'refExploitation_')),
    field(chat, 'sectors', checkGroup('refSectorsLegend', 'sectors', SECTORS, 'refSector_')),
    field(chat, 'gender', i18nLabel('refField_gender', gender)),
    field(chat, 'age', i18nLabel('refAgeLabel', age)),
    field(chat, 'age_band', i18nLabel('refAgeBandLabel', band), bandHint),
    field(chat, 'nationality', i18nLabel('refNationalityLabel', nationality), dutch.label),
    field(chat, 'contact', i18nLabel('refContactMethod', method), i18nLabel('refContactDetail', detail), detailHint),
    field(chat, 'acutely_unsafe', unsafe.label),
    field(chat, 'trusted_adult', trusted.label),
    field(chat, 'summary', i18nLabel('refSummaryLabel', summary)),
    formError,
    row,
  );
  form.addEventListener('input', () => { form.dataset.touched = '1'; });
  refreshReferralForm(chat);
}

/** One field of the form, with the place its error is shown and announced. */
function field(chat, name, ...children) {
  const block = document.createElement('div');
  block.className = 'rf field';
  block.dataset.field = name;
  const error = part('p', 'field-error', '');
  error.id = `rf-${chat.id}-${name}-error`;
  error.hidden = true;
  block.append(...children, error);
  for (const control of block.querySelectorAll('input, select, textarea')) {
    const described = control.getAttribute('aria-describedby');
    control.setAttribute('aria-describedby', described ? `${described} ${error.id}` : error.id);
  }
  return block;
}

function i18nLabel(key, control) {
  const label = document.createElement('label');
  const span = part('span', '', t(key));
  span.dataset.i18n = key;
  label.append(span, control);
  return label;
}

function checkbox(name, value, key) {
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.name = name;
  input.value = value;
  const span = part('span', '', t(key));
  span.dataset.i18n = key;
  const label = document.createElement('label');
  label.className = 'check';
  label.append(input, span);
  return { input, label };
}

function checkGroup(legendKey, name, codes, prefix) {
  const fieldset = document.createElement('fieldset');
  const legend = part('legend', '', t(legendKey));
  legend.dataset.i18n = legendKey;
  fieldset.append(legend, ...codes.map((code) => checkbox(name, code, `${prefix}${code}`).label));
  return fieldset;
}

function choiceSelect(name, codes, prefix, pickKey) {
  const select = document.createElement('select');
  select.name = name;
  if (pickKey) select.append(option('', pickKey));
  for (const code of codes) select.append(option(code, `${prefix}${code}`));
  return select;
}

function option(value, key) {
  const item = new Option(t(key), value);
  item.dataset.i18n = key;
  return item;
}

/** What the visitor told us in the profile, as a starting point the counsellor checks. */
function prefillReferral(chat) {
  const { elements } = chat.referralForm;
  elements.gender.value = chat.gender ?? 'unknown';
  elements.age.value = chat.age ?? '';
  deriveBand(chat);
}

/** Texts that depend on choices or the language: redrawn on both. */
function refreshReferralForm(chat) {
  if (!chat.referralForm.childElementCount) return;
  renderUnitOptions(chat);
  describeContact(chat);
}

function unitName(code) {
  return referralCatalogue.units.find((unit) => unit.code === code)?.name ?? code;
}

/** The unit list; the chosen province's units first. Units without an endpoint cannot be chosen. */
function renderUnitOptions(chat) {
  const { elements } = chat.referralForm;
  const select = elements.unit;
  const chosen = select.value;
  const province = referralCatalogue.provinces.find((p) => p.code === elements.province.value);
  const unitOption = (unit) => {
    const item = new Option(unit.configured ? unit.name : `${unit.name} (${t('refNotConfigured')})`, unit.code);
    item.disabled = !unit.configured;
    return item;
  };
  const items = [option('', 'refUnitPick')];
  if (province) {
    const near = document.createElement('optgroup');
    near.label = t('refUnitsForProvince', { province: province.name });
    const other = document.createElement('optgroup');
    other.label = t('refUnitsOther');
    for (const unit of referralCatalogue.units) (province.units.includes(unit.code) ? near : other).append(unitOption(unit));
    items.push(near, other);
  } else {
    items.push(...referralCatalogue.units.map(unitOption));
  }
  select.replaceChildren(...items);
  select.value = chosen;
  if (select.selectedOptions[0]?.disabled) select.value = '';
  const names = province ? province.units.map(unitName).join(` ${getLang() === 'nl' ? 'en' : 'and'} `) : '';
  const hint = chat.referralForm.querySelector('.province-hint');
  hint.textContent = province ? t(province.units.length > 1 ? 'refProvinceSplit' : 'refProvinceOne', { province: province.name, units: names }) : '';
  hint.hidden = !province;
  describeUnit(chat);
}

/** A province with one unit picks it (when configured); a split province leaves the choice open. */
function suggestUnits(chat) {
  const { elements } = chat.referralForm;
  const province = referralCatalogue.provinces.find((p) => p.code === elements.province.value);
  renderUnitOptions(chat);
  if (!province) return;
  const configured = province.units.filter((code) => referralCatalogue.units.find((u) => u.code === code)?.configured);
  if (province.units.length === 1 && configured.length === 1) elements.unit.value = configured[0];
  else if (!province.units.includes(elements.unit.value)) elements.unit.value = '';
  describeUnit(chat);
}

/** What the visitor will be told about how this unit makes contact. */
function describeUnit(chat) {
  const { elements } = chat.referralForm;
  const unit = referralCatalogue.units.find((u) => u.code === elements.unit.value);
  const text = chat.referralForm.querySelector('.unit-text');
  text.textContent = unit?.contact_text ?? '';
  text.hidden = !unit;
}

function describeContact(chat) {
  const { elements } = chat.referralForm;
  chat.referralForm.querySelector('.contact-hint').textContent = t(`refContactHint_${elements.contact_method.value}`);
}

/** With an age, the band follows from it (the server derives the same); without one it is asked. */
function deriveBand(chat) {
  const { elements } = chat.referralForm;
  const age = Number(elements.age.value.trim());
  const known = elements.age.value.trim() !== '' && Number.isInteger(age) && age >= 1 && age <= 120;
  if (known) elements.age_band.value = ageBandOf(age);
  else if (elements.age_band.disabled) elements.age_band.value = '';
  elements.age_band.disabled = known;
  chat.referralForm.querySelector('.band-hint').hidden = !known;
}

/** The proposal as the server takes it, or the fields that are wrong. */
function readProposal(form) {
  const { elements } = form;
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
  const errors = {};
  const unit = elements.unit.value;
  if (!unit) errors.unit = t('refErr_unit');
  const forms = checked('exploitation_forms');
  if (!forms.length) errors.exploitation_forms = t('refErr_exploitation_forms');
  const ageText = elements.age.value.trim();
  const age = Number(ageText);
  const ageBad = elements.age.validity.badInput || (ageText !== '' && !(Number.isInteger(age) && age >= 1 && age <= 120));
  if (ageBad) errors.age = t('refErr_age');
  const band = ageText && !ageBad ? ageBandOf(age) : elements.age_band.value;
  if (!ageText && !band) errors.age_band = t('refErr_age_band');
  const nationality = elements.probably_dutch.checked ? PROBABLY_DUTCH : elements.nationality.value.trim().toUpperCase();
  if (nationality !== PROBABLY_DUTCH && !COUNTRY.test(nationality)) errors.nationality = t('refErr_nationality');
  const method = elements.contact_method.value;
  const detail = elements.contact_detail.value.trim();
  if (detail.length > 200 || (method === 'phone' && !PHONE.test(detail)) || (method === 'contact_moment' && !detail)) {
    errors.contact = t('refErr_contact');
  }
  const summary = elements.summary.value.trim();
  if (!summary || summary.length > 2000) errors.summary = t('refErr_summary');
  const body = {
    unit, exploitation_forms: forms, sectors: checked('sectors'), gender: elements.gender.value,
    age: ageText && !ageBad ? age : null, age_band: band || null, nationality,
    contact: { method, detail }, acutely_unsafe: elements.acutely_unsafe.checked, summary,
  };
  if (elements.trusted_adult.checked) body.trusted_adult = true;
  return { body, errors };
}

function showFieldErrors(form, errors) {
  let first = null;
  for (const block of form.querySelectorAll('[data-field]')) {
    const text = errors[block.dataset.field] ?? '';
    const error = block.querySelector(':scope > .field-error');
    error.textContent = text;
    error.hidden = !text;
    for (const control of block.querySelectorAll('input, select, textarea')) {
      control.setAttribute('aria-invalid', String(Boolean(text)));
      if (text && !first && !control.disabled) first = control;
    }
  }
  const unplaced = Object.entries(errors).filter(([name]) => !form.querySelector(`[data-field="${name}"]`));
  const formError = form.querySelector('.form-error');
  formError.textContent = unplaced.map(([, text]) => text).join(' ');
  formError.hidden = !unplaced.length;
  first?.focus();
}

async function proposeReferral(chat) {
  const form = chat.referralForm;
  const { body, errors } = readProposal(form);
  if (Object.keys(errors).length) { showFieldErrors(form, errors); return; }
  showFieldErrors(form, {});
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    const referral = await api('POST', `/api/triage/conversations/${encodeURIComponent(chat.id)}/referrals`, body);
    form.reset();
    delete form.dataset.touched;
    form.elements.nationality.disabled = false;
    refreshReferralForm(chat);
    closeReferralForm(chat, false);
    mergeReferral(chat, referral);
    chat.pane.querySelector('.referral-status')?.focus();
    toast(t('refProposedToast'));
  } catch (error) {
    if (error.status === 401) return; // the session has ended: the login is shown
    const key = `refErr_${error.field}`;
    const text = error.field && t(key) !== key ? t(key) : `${errorText(error)}${error.message ? ` (${error.message})` : ''}`;
    showFieldErrors(form, { [error.field ?? '']: text });
  } finally {
    submit.disabled = false;
  }
}


// -- transcript items ----------------------------------------------------------------------------

function insertMessage(chat, li) {
  const list = chat.transcript;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.insertBefore(li, list.querySelector('.pending, .failed')); // echoes stay last
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function eventItem(frame) {
  const li = document.createElement('li');
  li.className = 'msg system';
  li.dataset.event = frame.text;
  li.dataset.name = frame.author_name ?? '';
  li.append(part('p', 'text', t(`staffEv_${frame.text}`, { name: frame.author_name })));
  return li;
}

function textItem(chat, frame) {
  const li = document.createElement('li');
  li.className = `msg ${frame.author === 'visitor' ? 'theirs' : 'mine'}`;
  const meta = part('p', 'meta', '');
  meta.append(part('span', 'who', frame.author_name), ' ', timeOf(frame.sent_at));
  li.append(meta, part('p', 'text', frame.text));
  chat.quotes.attach(li, meta, frame);
  return li;
}

function echoItem(id, who, text) {
  const li = document.createElement('li');
  li.className = id.startsWith('note') ? 'note pending' : 'msg mine pending';
  li.id = id;
  const meta = part('p', 'meta', '');
  const state = part('span', 'state', t('sending'));
  state.dataset.i18n = 'sending';
  meta.append(part('span', 'who', who), ' ', state);
  li.append(meta, part('p', 'text', text));
  return li;
}



function announce(text) {
  $('announcer').textContent = '';
  setTimeout(() => { $('announcer').textContent = text; }, 50);
}

let toastTimer;
function toast(text) {
  $('toast').textContent = text;
  $('toast').hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { $('toast').hidden = true; }, 6000);
}

// -- language ------------------------------------------------------------------------------------

$('lang').addEventListener('click', () => setLang(getLang() === 'nl' ? 'en' : 'nl'));
document.addEventListener('languagechange', () => {
  $('lang').lang = getLang() === 'nl' ? 'en' : 'nl';
  renderMe();
  renderQueue();
  if (conn) onState(connState);
  for (const chat of chats.values()) {
    renderHead(chat);
    renderTab(chat);
    renderTransfer(chat);
    for (const li of chat.pane.querySelectorAll('[data-event]')) {
      li.querySelector('.text').textContent = t(`staffEv_${li.dataset.event}`, { name: li.dataset.name });
    }
    for (const li of chat.pane.querySelectorAll('.referral-line')) renderReferralLine(li);
    renderReferralPanel(chat);
    refreshReferralForm(chat);
    chat.quotes.redraw();
    chat.coding?.redraw();
    chat.links?.render();
  }
  redrawViews();
});

// -- boot ----------------------------------------------------------------------------------------

translatePage();
if (getToken()) {
  api('GET', '/api/staff/me')
    .then((data) => { me = data.staff; startSession(); })
    .catch((error) => (error.status === 401 ? endSession(t('sessionExpired')) : endSession(errorText(error))));
} else {
  showLogin('');
}
