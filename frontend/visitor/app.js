// Visitor page: start an anonymous chat, talk, leave fast.
//
// Privacy rules this file keeps: nothing goes to localStorage or cookies; sessionStorage holds
// only the resume token, the conversation id and the last sequence seen (never message text),
// and the quick exit clears it and replaces this page in the tab history.

import { ChatConnection, newId } from '/shared/protocol.js';
import { t, errorText, getLang, setLang, translatePage } from '/shared/i18n.js';
import { button, part, timeOf } from '/shared/dom.js';
import { isNewer, sharesList } from '/shared/referral.js';
import { dangerAnswer, renderHelp } from '/visitor/door.js';
import { exitUrl, listenForExitKeys } from '/visitor/exit.js';
import { solvePuzzle } from '/visitor/work.js';

const $ = (id) => document.getElementById(id);

let session = loadSession(); // { token, cid, seen }
let conn = null;
let status = null; // waiting | active | ended
let pseudonym = '';
let queueInfo = null;
let serverLast = 0; // highest seq the server says exists: the replay is complete once we reach it
let replayUntil = 0; // messages up to here were seen before a reload: show them, do not announce
let everOpen = false;

// -- session: sessionStorage only, so it dies with the tab --------------------------------------

function loadSession() {
  try { return JSON.parse(sessionStorage.getItem('chat')); } catch { return null; }
}
function saveSession() { if (session) sessionStorage.setItem('chat', JSON.stringify(session)); }
function clearSession() { session = null; sessionStorage.removeItem('chat'); }

// -- quick exit: button, Esc twice or Shift three times (frontend/visitor/exit.js) ----------------

function quickExit() {
  document.documentElement.classList.add('leaving'); // hide the chat at once, before navigating
  const token = session?.token;
  if (token) {
    // A keepalive fetch outlives the page and can carry the Authorization header; where it
    // is missing or refused at once, a beacon carries the token in its body. Neither is awaited.
    let sent = false;
    try {
      fetch('/api/visitor/exit', {
        method: 'POST', keepalive: true, cache: 'no-store', credentials: 'omit',
        headers: { Authorization: `Bearer ${token}` },
      }).catch(() => {});
      sent = true;
    } catch { /* try the beacon */ }
    if (!sent) {
      try {
        navigator.sendBeacon('/api/visitor/exit', new Blob([JSON.stringify({ resume_token: token })], { type: 'application/json' }));
      } catch { /* leave anyway */ }
    }
    conn?.send({ type: 'end', quick_exit: true }); // second route, in case the fetch is blocked
  }
  // Forget before leaving: a message arriving in the last instant must not write it back.
  conn?.stop();
  conn = null;
  session = null;
  sessionStorage.clear();
  location.replace(exitUrl()); // replace: the chat page leaves no back-button entry
}

listenForExitKeys(quickExit, $('quick-exit-live'));
$('quick-exit').addEventListener('click', quickExit);

// -- language ------------------------------------------------------------------------------------

$('lang').addEventListener('click', () => setLang(getLang() === 'nl' ? 'en' : 'nl'));
document.addEventListener('languagechange', () => {
  $('lang').lang = getLang() === 'nl' ? 'en' : 'nl';
  if (pseudonym) $('pseudonym').textContent = t('pseudonym', { name: pseudonym });
  renderQueue();
  for (const li of document.querySelectorAll('[data-event]')) li.querySelector('.text').textContent = eventText(li.dataset.event, li.dataset.name);
  for (const li of document.querySelectorAll('[data-referral]')) renderReferral(li);
  renderAvailability();
  renderReturnCode();
});

// -- closed or full: said before the visitor types anything ---------------------------------------

let availability = null; // { open, reason, opens_at } from the server; null until known
let availabilityTimer;

async function checkAvailability() {
  clearTimeout(availabilityTimer);
  try {
    const response = await fetch('/api/visitor/status', { cache: 'no-store', credentials: 'omit' });
    if (response.ok) availability = await response.json();
  } catch { /* offline: let the start itself tell */ }
  renderAvailability();
  // While closed or full, look again now and then, so the form comes back by itself.
  if (availability && !availability.open) availabilityTimer = setTimeout(checkAvailability, 30_000);
}

function renderAvailability() {
  const refused = Boolean(availability && !availability.open);
  $('availability').hidden = !refused;
  $('start-form').hidden = refused;
  if (!refused) return;
  $('availability-text').textContent = t(availability.reason === 'closed' ? 'serviceClosed' : 'serviceFull');
  const opens = availability.opens_at && new Date(availability.opens_at);
  $('availability-when').textContent = opens ? t('serviceOpensAt', {
    day: opens.toLocaleDateString(getLang(), { weekday: 'long', day: 'numeric', month: 'long' }),
    time: opens.toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  }) : '';
  $('availability-when').hidden = !opens;
  renderHelp(availability.reason === 'closed' ? availability : null);
}

$('check-again').addEventListener('click', checkAvailability);

// -- start ---------------------------------------------------------------------------------------

$('start-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const ageInput = $('age');
  const body = {};
  const ageText = ageInput.value.trim();
  const age = Number(ageText);
  const ageBad = ageInput.validity.badInput || (ageText && !(Number.isInteger(age) && age >= 1 && age <= 120));
  $('age-error').hidden = !ageBad;
  ageInput.setAttribute('aria-invalid', String(Boolean(ageBad)));
  if (ageBad) { ageInput.focus(); return; }
  // Only what the visitor actually chose is sent: empty stays empty, never a default.
  if (ageText) body.age = age;
  if ($('gender').value) body.gender = $('gender').value;
  const inDanger = dangerAnswer();
  if (inDanger !== null) body.in_danger = inDanger;

  const button = $('start');
  button.disabled = true;
  button.textContent = t('starting');
  try {
    const data = await startChat(body);
    session = { token: data.resume_token, cid: data.conversation_id, seen: 0 };
    saveSession();
    pseudonym = data.pseudonym;
    $('start-form').reset();
    openChat();
    $('message').focus();
  } catch (error) {
    if (error?.code === 'service_closed' || error?.code === 'queue_full') {
      showNotice('');
      checkAvailability(); // the status says when it opens again
      return;
    }
    showNotice(error?.code ? errorText(error) : t('startFailed'));
  } finally {
    $('start-working').hidden = true;
    button.disabled = false;
    button.textContent = t('startChat');
  }
});

// Solving takes a second at most; a puzzle that went stale meanwhile comes back with a fresh
// one, so a few tries are enough for anyone who is not flooding.
const WORK_TRIES = 3;

async function startChat(body) {
  for (let tries = 0; ; tries += 1) {
    const response = await fetch('/api/visitor/chats', {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 201) return data;
    const work = response.status === 428 && tries < WORK_TRIES ? data.error?.work : null;
    if (!work) throw data.error ?? {};
    $('start-working').hidden = false;
    body = { ...body, work: await solvePuzzle(work) };
  }
}

function showNotice(text) {
  $('start-notice').textContent = text;
  $('start-notice').hidden = !text;
}

function showView(name) {
  $('start-view').hidden = name !== 'start';
  $('chat-view').hidden = name !== 'chat';
  if (name === 'start') checkAvailability();
  else clearTimeout(availabilityTimer);
}

// -- the chat ------------------------------------------------------------------------------------

function openChat() {
  $('transcript').replaceChildren();
  latestCards.clear();
  $('ended').hidden = true;
  $('composer').hidden = $('chat-actions').hidden = false;
  returnCode = null;
  $('return-code-ask').disabled = false;
  renderReturnCode();
  $('pseudonym').textContent = pseudonym ? t('pseudonym', { name: pseudonym }) : '';
  status = null;
  queueInfo = null;
  everOpen = false;
  renderQueue();
  showNotice('');
  showView('chat');
  // After a reload the page holds no transcript (it is never stored on the device), so it asks
  // for the whole conversation again; the stored position only decides what is announced as new.
  replayUntil = session.seen ?? 0;
  conn = new ChatConnection('/ws/visitor', 'visitor',
    () => ({ type: 'hello', v: 1, token: session.token, last_seq: conn.position(session.cid) }),
    { frame: onFrame, message: onMessage, state: onState, settled() {}, failed: onFailed });
  conn.start();
}

function onFrame(frame) {
  switch (frame.type) {
    case 'welcome':
      session.cid = frame.conversation_id;
      pseudonym = frame.pseudonym;
      $('pseudonym').textContent = t('pseudonym', { name: pseudonym });
      serverLast = Math.max(serverLast, frame.last_seq);
      setStatus(frame.status);
      break;
    case 'queue':
      queueInfo = frame;
      renderQueue();
      break;
    case 'typing':
      if (frame.who === 'counsellor') showTyping(frame.active);
      break;
    case 'error':
      announce(errorText(frame));
      break;
  }
}

function onMessage(frame) {
  serverLast = Math.max(serverLast, frame.seq);
  if (frame.client_msg_id) document.getElementById(`echo-${frame.client_msg_id}`)?.remove();
  const referral = frame.kind === 'referral' && frame.referral;
  const li = frame.kind === 'event' ? eventItem(frame) : referral ? referralItem(referral) : textItem(frame);
  insertMessage(li);
  if (referral) focusCardIfAsked(li);
  if (session) { session.seen = Math.max(session.seen ?? 0, frame.seq); saveSession(); }
  if (frame.kind === 'event') {
    if (frame.text === 'counsellor_joined' || frame.text === 'transferred') setStatus('active');
    if (frame.text.startsWith('ended_')) setStatus('ended');
  } else if (frame.author === 'counsellor') {
    showTyping(false);
  }
  if (frame.seq > replayUntil && frame.author !== 'visitor') {
    const news = frame.kind === 'event' ? li.textContent
      : referral ? cards.get(li).news : t('newMessage', { name: frame.author_name, text: frame.text });
    if (news) announce(news);
  }
  finishIfEnded();
}

function onFailed(id, error) {
  const li = document.getElementById(`echo-${id}`);
  if (!li) return;
  li.classList.replace('pending', 'failed');
  const state = li.querySelector('.state');
  state.removeAttribute('data-i18n');
  state.textContent = t('notSent', { reason: errorText(error) });
}

function onState(name, info) {
  const banner = $('connection');
  const text = $('connection-text');
  if (status === 'ended') { banner.hidden = true; return; }
  if (name === 'open') {
    text.textContent = everOpen ? t('reconnected') : '';
    banner.hidden = !everOpen;
    $('retry').hidden = true;
    everOpen = true;
    setTimeout(() => { if (conn?.ready) banner.hidden = true; }, 3000);
  } else if (name === 'connecting') {
    if (!everOpen) { text.textContent = t('connecting'); banner.hidden = false; }
  } else if (name === 'retrying') {
    text.textContent = t('reconnecting');
    $('retry').hidden = false;
    banner.hidden = false;
  } else if (name === 'closed') {
    // 4401: the token is gone (chat ended, expired or revoked). Start afresh.
    conn = null;
    clearSession();
    showView('start');
    showNotice(t('resumeImpossible'));
  }
}
$('retry').addEventListener('click', () => conn?.retryNow());

function setStatus(next) {
  status = next;
  $('chat-view').dataset.status = next;
  renderQueue();
  const ended = next === 'ended';
  $('ended').hidden = !ended;
  $('composer').hidden = $('chat-actions').hidden = ended;
  if (ended) { showTyping(false); $('connection').hidden = true; }
  if (ended) for (const li of latestCards.values()) renderReferral(li); // no answers once the chat is over
  finishIfEnded();
}

/** Once the chat has ended and its last message is shown, close the socket and forget the token. */
function finishIfEnded() {
  if (status !== 'ended' || !conn || !session || conn.position(session.cid) < serverLast) return;
  conn.stop();
  conn = null;
  clearSession(); // the transcript stays on screen until the visitor leaves; a reload starts fresh
}

function renderQueue() {
  const waiting = status === 'waiting' && queueInfo;
  $('queue').hidden = !waiting;
  if (!waiting) return;
  $('queue-position').textContent = t('queuePosition', { position: queueInfo.position });
  $('queue-wait').textContent = t('queueWait', { wait: formatWait(queueInfo.estimated_wait_s) });
}

function formatWait(seconds) {
  if (seconds == null) return t('waitUnknown');
  if (seconds < 60) return t('waitUnderMinute');
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? t('waitOneMinute') : t('waitMinutes', { n: minutes });
}

// -- transcript ----------------------------------------------------------------------------------

function eventText(code, name) {
  const key = `ev_${code}`;
  return t(key, { name: name || t('counsellor') });
}

function eventItem(frame) {
  const li = document.createElement('li');
  li.className = 'msg system';
  li.dataset.event = frame.text;
  li.dataset.name = frame.author_name ?? '';
  li.append(part('p', 'text', eventText(frame.text, frame.author_name)));
  return li;
}

function textItem(frame) {
  const mine = frame.author === 'visitor';
  const li = document.createElement('li');
  li.className = `msg ${mine ? 'mine' : 'theirs'}`;
  const meta = part('p', 'meta', '');
  const who = part('span', 'who', mine ? t('you') : frame.author_name);
  if (mine) who.dataset.i18n = 'you';
  meta.append(who, ' ', timeOf(frame.sent_at));
  li.append(meta, part('p', 'text', frame.text));
  return li;
}

function addEcho(id, text) {
  const li = document.createElement('li');
  li.className = 'msg mine pending';
  li.id = `echo-${id}`;
  const meta = part('p', 'meta', '');
  const who = part('span', 'who', t('you'));
  who.dataset.i18n = 'you';
  const state = part('span', 'state', t('sending'));
  state.dataset.i18n = 'sending';
  meta.append(who, ' ', state);
  li.append(meta, part('p', 'text', text));
  $('transcript').append(li); // echoes stay below every confirmed message
  scrollDown(true);
}

function insertMessage(li) {
  const list = $('transcript');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.insertBefore(li, list.querySelector('.pending, .failed'));
  scrollDown(nearBottom);
}

function scrollDown(force) { if (force) $('transcript').scrollTop = $('transcript').scrollHeight; }



let typingHide;
function showTyping(active) {
  clearTimeout(typingHide);
  $('typing').hidden = !active;
  // A lost "stopped typing" frame must not leave the indicator on forever.
  if (active) typingHide = setTimeout(() => { $('typing').hidden = true; }, 8000);
}

function announce(text) {
  const region = $('announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50); // a fresh change, so repeats are read too
}

// -- referral to the police ---------------------------------------------------------------------
//
// Each change of a referral arrives as a new message with the same referral id. The newest one is
// a card with the unit, exactly what would be shared and the visitor's choices; earlier ones
// shrink to a read-only line, so nobody answers a proposal that has moved on. Consent is given to
// what the card shows, so the card shows every shared field, labelled, and nothing is guessed.

const latestCards = new Map(); // referral id -> the li of its newest card
const cards = new WeakMap(); // li -> { origin: the message's referral, shown: newest known, line, news }
let focusReferral = null; // the visitor just acted on this referral: its next card takes the focus

function referralItem(referral) {
  const previousLi = latestCards.get(referral.id);
  const previous = previousLi && cards.get(previousLi);
  const li = document.createElement('li');
  li.dataset.referral = referral.id;
  const changed = isNewer(referral, previous?.shown); // an HTTP answer may have shown it already
  cards.set(li, {
    origin: referral, shown: changed ? referral : previous.shown,
    line: referral.status, news: '',
  });
  if (previousLi?.contains(document.activeElement)) focusReferral = referral.id;
  latestCards.set(referral.id, li);
  if (previousLi) renderReferral(previousLi);
  renderReferral(li);
  if (changed) cards.get(li).news = referral.status === 'proposed' ? t('refState_proposed') : stateText(cards.get(li));
  return li;
}

function renderReferral(li) {
  const card = cards.get(li);
  if (!card) return;
  if (latestCards.get(card.origin.id) === li) renderCard(li, card);
  else renderLine(li, card);
}

/** An earlier state of a referral: one read-only line, as it was when it was news. */
function renderLine(li, card) {
  li.className = 'msg system referral-line';
  li.removeAttribute('aria-labelledby');
  delete li.dataset.status;
  const key = ['proposed', 'consented'].includes(card.line) ? `refLine_${card.line}` : `refState_${card.line}`;
  li.replaceChildren(part('p', 'text', t(key, { name: card.origin.unit?.name ?? '' })));
}

function stateText(card) {
  const { status, unit } = card.shown;
  return t(`refState_${status}`, { name: unit?.name ?? '' });
}

function renderCard(li, card) {
  const referral = card.shown;
  const { id, status, unit } = referral;
  li.className = 'msg referral-card';
  li.dataset.status = status;
  const headingId = `referral-${id}-heading`;
  const heading = part('h2', 'card-title', t('refHeading'));
  heading.id = headingId;
  heading.tabIndex = -1; // focus lands here after an answer, so a screen reader reads on from the top
  li.setAttribute('aria-labelledby', headingId);
  const body = [heading, part('p', 'text', status === 'proposed' ? t('refProposedIntro') : stateText(card))];
  if (status === 'proposed' || status === 'consented') {
    const shared = [
      part('h3', 'unit', t('refUnitLine', { name: unit.name })),
      part('p', 'contact-text', unit.contact_text),
      part('h3', '', t('refSharedHeading')),
      sharesList(referral.shares),
      part('p', 'hint', t('refNothingElse')),
    ];
    if (status === 'proposed') {
      body.push(...shared);
    } else { // what was agreed to stays one click away, not in the way
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = t('refSharedHeading');
      details.append(summary, ...shared);
      body.push(details);
    }
  } else if (status === 'sent' || status === 'received') {
    body.push(part('p', 'contact-text', unit.contact_text));
  }
  if (canAnswer() && status === 'proposed') body.push(answerControls(li, referral));
  if (canAnswer() && status === 'consented') body.push(actionRow(button('secondary', t('refWithdraw'), () => withdraw(li, id))));
  const error = part('p', 'card-error', '');
  error.hidden = true;
  body.push(error);
  const hadFocus = li.contains(document.activeElement);
  li.replaceChildren(...body);
  if (hadFocus) heading.focus(); // redrawn (language, end of chat): the reader stays on the card
}

function canAnswer() { return status !== 'ended' && Boolean(session?.token); }

function answerControls(li, referral) {
  const box = document.createElement('div');
  box.className = 'card-answer';
  box.append(part('p', 'question', t('refQuestion')));
  box.append(actionRow(
    button('primary', t('refAccept'), () => answer(li, referral.id, true)),
    button('secondary', t('refRefuse'), () => answer(li, referral.id, false)),
  ));
  return box;
}

function actionRow(...buttons) {
  const row = document.createElement('div');
  row.className = 'card-actions';
  row.append(...buttons);
  return row;
}


function answer(li, id, consent) {
  referralRequest(li, id, 'consent', { consent }); // her own answer, at every age
}

function withdraw(li, id) { referralRequest(li, id, 'withdraw', {}); }

async function referralRequest(li, id, action, body) {
  if (!session?.token) return;
  const controls = [...li.querySelectorAll('button, input')];
  for (const control of controls) control.disabled = true;
  li.setAttribute('aria-busy', 'true');
  showCardError(li, '');
  focusReferral = id;
  try {
    const response = await fetch(`/api/visitor/referrals/${encodeURIComponent(id)}/${action}`, {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw data.error ?? { code: 'unavailable' };
    showReferralState(data); // the socket brings the same news as a message; whichever comes first
  } catch (error) {
    focusReferral = null;
    for (const control of controls) control.disabled = false;
    const text = errorText(error?.code ? error : { code: 'unavailable' });
    showCardError(li, text);
    announce(text);
  } finally {
    li.removeAttribute('aria-busy');
  }
}

function showReferralState(referral) {
  const li = latestCards.get(referral.id);
  const card = li && cards.get(li);
  if (!card || !isNewer(referral, card.shown)) return; // its message came first and is shown
  card.shown = referral;
  renderCard(li, card);
  focusCardIfAsked(li);
  announce(stateText(card));
}

function focusCardIfAsked(li) {
  const card = cards.get(li);
  if (!card || focusReferral !== card.origin.id || latestCards.get(card.origin.id) !== li) return;
  focusReferral = null;
  li.querySelector('.card-title')?.focus();
}

function showCardError(li, text) {
  const error = li.querySelector('.card-error');
  if (!error) return;
  error.textContent = text;
  error.hidden = !text;
}

// -- composing -----------------------------------------------------------------------------------

$('composer').addEventListener('submit', (event) => { event.preventDefault(); sendMessage(); });
$('message').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});

function sendMessage() {
  const text = $('message').value.trim();
  if (!text || !conn || status === 'ended') return;
  const id = newId();
  addEcho(id, text);
  // Kept until acknowledged and resent with the same id after a reconnect: never lost, never twice.
  conn.submit(id, { type: 'send', client_msg_id: id, text });
  $('message').value = '';
  stopTyping();
}

let typingSentAt = 0;
let typingIdle;
$('message').addEventListener('input', () => {
  if (status !== 'active' || !conn) return;
  const now = Date.now();
  if (now - typingSentAt > 3000) { // at most one "typing" frame every 3 s
    conn.send({ type: 'typing', active: true });
    typingSentAt = now;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 4000);
});

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingSentAt && conn) conn.send({ type: 'typing', active: false });
  typingSentAt = 0;
}

$('end').addEventListener('click', () => {
  if (!conn || !confirm(t('confirmEnd'))) return;
  conn.submit(newId(), { type: 'end' });
});

// -- return code: the next chat can be linked to this one without a name -----------------------

let returnCode = null;

$('return-code-ask').addEventListener('click', async () => {
  if (!session?.token) return;
  $('return-code-ask').disabled = true;
  try {
    const response = await fetch('/api/visitor/return-code', {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { Authorization: `Bearer ${session.token}` },
    });
    const data = await response.json().catch(() => ({}));
    if (response.status !== 201) throw data.error ?? {};
    returnCode = data.code; // shown once, kept only on the screen
    renderReturnCode();
  } catch (error) {
    $('return-code-ask').disabled = false;
    announce(errorText(error?.code ? error : { code: 'unavailable' }));
  }
});

function renderReturnCode() {
  $('return-code').hidden = !returnCode;
  $('return-code-ask').hidden = Boolean(returnCode);
  if (returnCode) $('return-code-text').textContent = t('returnCodeShow', { code: returnCode });
}

// Nobody looking over a shoulder should read it later: once noted, it goes from the screen.
$('return-code-hide').addEventListener('click', () => {
  returnCode = null;
  $('return-code').hidden = true;
  $('return-code-ask').hidden = false;
  $('return-code-ask').disabled = false;
  $('return-code-ask').focus();
});

$('new-chat').addEventListener('click', () => {
  conn?.stop();
  conn = null;
  clearSession();
  status = null;
  showView('start');
  $('age').focus();
});

// -- boot ----------------------------------------------------------------------------------------

translatePage();
if (session?.token) openChat(); // a reload in the same tab resumes the chat
else showView('start');
