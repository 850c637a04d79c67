// Counsellor console: log in, take visitors from the queue, hold several chats at once.
// All text from visitors is put on the page with textContent only: it is never markup.

import { ChatConnection, newId } from '/shared/protocol.js';
import { t, errorText, getLang, setLang, translatePage } from '/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const STAFF_ID = /^[A-Za-z0-9_-]{1,64}$/;

let token = sessionStorage.getItem('staffToken'); // sessionStorage: a closed tab is a logged-out tab
let me = null;
let accounts = null; // colleagues for the transfer picker; null when this role may not list them
let conn = null;
let waiting = [];
let selected = null;
let focusNext = null; // the chat just accepted: show it as soon as it arrives
const chats = new Map(); // conversation id -> chat state and its elements

// -- HTTP ----------------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, cache: 'no-store', credentials: 'omit', body: body && JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw { ...(data.error ?? { code: 'unavailable' }), status: response.status };
  return data;
}

// -- login and logout ----------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login').disabled = true;
  try {
    const data = await api('POST', '/api/staff/login', {
      username: $('username').value, password: $('password').value,
    });
    token = data.token;
    sessionStorage.setItem('staffToken', token);
    me = data.staff;
    $('login-form').reset();
    startSession();
  } catch (error) {
    showLogin(t('loginFailed', { reason: errorText(error) }));
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
  token = null;
  me = null;
  sessionStorage.removeItem('staffToken');
  chats.clear();
  selected = null;
  $('tabs').replaceChildren();
  $('panes').replaceChildren();
  showLogin(message);
}

function showLogin(message) {
  $('login-view').hidden = false;
  $('app-view').hidden = $('logout').hidden = $('me').hidden = true;
  $('connection').textContent = '';
  $('retry').hidden = true;
  $('login-error').textContent = message;
  $('login-error').hidden = !message;
  $('username').focus();
}

function startSession() {
  $('login-view').hidden = true;
  $('app-view').hidden = $('logout').hidden = $('me').hidden = false;
  renderMe();
  renderQueue();
  renderChats();
  loadAccounts();
  conn = new ChatConnection('/ws/staff', 'counsellor', () => ({
    type: 'hello', v: 1, token,
    positions: Object.fromEntries([...chats.keys()].map((id) => [id, conn.position(id)])),
  }), { frame: onFrame, message: onMessage, state: onState, settled: onSettled, failed: onFailed });
  conn.start();
}

async function loadAccounts() {
  try {
    const data = await api('GET', '/api/staff/accounts');
    accounts = data.accounts.filter((a) => a.active && a.id !== me?.id
      && (a.role === 'counsellor' || a.role === 'supervisor'));
  } catch {
    accounts = null; // counsellors get 403: they type a colleague's id instead
  }
  for (const chat of chats.values()) renderTransfer(chat);
}

function renderMe() {
  if (!me) return;
  $('me').textContent = t('signedInAs', { name: me.display_name, role: t(`role_${me.role}`) });
  $('my-id').textContent = t('yourId', { id: me.id }); // colleagues need it to transfer a chat to you
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
    case 'queue': {
      if (frame.waiting.length > waiting.length) announce(t('newVisitor'));
      waiting = frame.waiting;
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
  } catch (error) {
    const chat = chats.get(id);
    if (error.status === 403 && chat) setStatus(chat, 'transferred');
    if (error.status === 401) endSession(t('sessionExpired'));
  }
}

function onMessage(frame) {
  const chat = chats.get(frame.conversation_id) ?? upsert({ id: frame.conversation_id, status: 'active' });
  if (frame.client_msg_id) document.getElementById(`echo-${frame.client_msg_id}`)?.remove();
  insertMessage(chat, frame.kind === 'event' ? eventItem(frame) : textItem(frame));
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
    const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(visitor.queued_at)) / 60_000));
    const li = document.createElement('li');
    li.append(part('span', 'who', visitor.pseudonym), ' ', part('span', 'hint', t('waitingFor', { n: minutes })));
    return li;
  }));
  $('accept').disabled = !waiting.length || !conn?.ready;
}
setInterval(renderQueue, 30_000); // keep the waiting times honest

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
  pane.querySelector('.close-tab').addEventListener('click', () => closeChat(chat));
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
  renderHead(chat);
  renderTab(chat);
}

function renderHead(chat) {
  const { pane } = chat;
  pane.querySelector('.pane-title').textContent = chat.pseudonym;
  const gender = chat.gender ? t(`gender_${chat.gender}`) : t('notGiven');
  pane.querySelector('.profile').textContent = t('visitorProfile', { age: chat.age ?? t('notGiven'), gender });
  pane.querySelector('.pane-status').textContent = statusText(chat.status);
  pane.querySelector('.reply-label').textContent = t('replyLabel', { name: chat.pseudonym });
  chat.transcript.setAttribute('aria-label', `${t('transcriptLabel')}: ${chat.pseudonym}`);
}

function renderTab(chat) {
  chat.tab.replaceChildren(part('span', 'who', chat.pseudonym), ' ', part('span', 'tab-status', statusText(chat.status)));
  if (chat.unread) chat.tab.append(' ', part('span', 'badge', `${chat.unread} ${t('unread')}`));
  chat.tab.dataset.status = chat.status;
}

function renderChats() { $('no-chats').hidden = chats.size > 0; }

function statusText(status) {
  return t({ waiting: 'statusWaiting', active: 'statusActive', ended: 'statusEnded', transferred: 'statusTransferred' }[status] ?? 'statusActive');
}

function renderTransfer(chat) {
  const field = chat.transferField;
  if (accounts) {
    const select = document.createElement('select');
    select.append(new Option(t('transferPick'), ''));
    for (const account of accounts) select.append(new Option(`${account.display_name} (${t(`role_${account.role}`)})`, account.id));
    field.replaceChildren(labelled(t('transferTo'), select));
  } else {
    const input = document.createElement('input');
    input.autocomplete = 'off';
    input.spellcheck = false;
    field.replaceChildren(labelled(t('transferIdLabel'), input), part('p', 'hint', t('transferIdHint')));
  }
}

function labelled(text, control) {
  const label = document.createElement('label');
  label.append(part('span', '', text), control);
  return label;
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
  const control = chat.transferField.querySelector('select, input');
  const target = control.value.trim();
  if (!target) { control.focus(); return; }
  if (!STAFF_ID.test(target)) { toast(t('badStaffId')); control.focus(); return; }
  const name = control.tagName === 'SELECT' ? control.selectedOptions[0].textContent : target;
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

function textItem(frame) {
  const li = document.createElement('li');
  li.className = `msg ${frame.author === 'visitor' ? 'theirs' : 'mine'}`;
  const meta = part('p', 'meta', '');
  meta.append(part('span', 'who', frame.author_name), ' ', timeOf(frame.sent_at));
  li.append(meta, part('p', 'text', frame.text));
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

function part(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = text;
  return el;
}

function timeOf(iso) {
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = new Date(iso).toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return time;
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
  }
});

// -- boot ----------------------------------------------------------------------------------------

translatePage();
if (token) {
  api('GET', '/api/staff/me')
    .then((data) => { me = data.staff; startSession(); })
    .catch((error) => (error.status === 401 ? endSession(t('sessionExpired')) : endSession(errorText(error))));
} else {
  showLogin('');
}
