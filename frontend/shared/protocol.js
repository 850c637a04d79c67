// The one WebSocket client for the visitor page and the counsellor console.
//
// Why it looks like this: phones drop connections all the time, and a message
// typed on a bad train connection must arrive exactly once. So the client
// keeps its position (last seq) per conversation, resumes from it, drops
// anything it has already seen, and resends unacknowledged frames with the
// same id (the server stores each id once).

const CAP_MS = 30_000;
const CONNECT_TIMEOUT_MS = 15_000; // a socket that gets no welcome in time is treated as dead
const ACK_WAIT_MS = 4_000; // a frame that must arrive and is not answered by then: is the line alive?
const PONG_WAIT_MS = 5_000; // ...a ping that gets no pong in this time means it is not
const RETRYABLE = new Set(['rate_limited', 'unavailable', 'internal']);
const FATAL_CLOSE = new Set([4400, 4401, 4403]); // bad hello, unauthenticated, forbidden: retrying cannot help

/** A random id for client_msg_id, client_note_id and ref (32 hex chars). */
export function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // works without a secure context too
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ChatConnection {
  /**
   * @param {string} path       '/ws/visitor' or '/ws/staff'
   * @param {string} self       author of our own messages: 'visitor' or 'counsellor'
   * @param {() => object} hello builds the hello frame from the current positions
   * @param {object} on         handlers: frame(f), message(f), state(name, info), settled(id, f), failed(id, f)
   */
  constructor(path, self, hello, on) {
    this.path = path;
    this.self = self;
    this.hello = hello;
    this.on = on;
    this.positions = new Map(); // conversation_id -> last seq delivered to the page
    this.pending = new Map(); // id -> frame that must reach the server (sends, notes)
    this.ws = null;
    this.attempt = 0;
    this.running = false;
    this.ready = false;
    this.timers = {};
    this.syncing = new Set();
    this.wake = () => { if (this.running && !this.ws) this.connect(); };
    // The browser knows the network is gone (a tunnel, flight mode): a socket can look open for
    // a minute more, so drop it now and show it; 'online' brings the reconnect.
    this.lost = () => { if (this.ws) this.drop(); };
  }

  start() {
    if (this.running) return;
    this.running = true;
    addEventListener('online', this.wake); // the network is back: no need to sit out the backoff
    addEventListener('offline', this.lost);
    document.addEventListener('visibilitychange', this.wake);
    this.connect();
  }

  stop() {
    this.running = false;
    removeEventListener('online', this.wake);
    removeEventListener('offline', this.lost);
    document.removeEventListener('visibilitychange', this.wake);
    this.clearTimers();
    this.detach(1000);
  }

  retryNow() { if (this.running) { this.clearTimers(); this.detach(); this.connect(); } }

  position(id) { return this.positions.get(id) ?? 0; }
  forget(id) { this.positions.delete(id); }

  /** Fire-and-forget (typing, requests). Returns the ref, or null when offline. */
  send(frame, ref = newId()) {
    if (!this.ready) return null;
    this.ws.send(JSON.stringify({ ...frame, ref }));
    return ref;
  }

  /** Must arrive: kept until the server answers with this id as ref, resent after reconnects. */
  submit(id, frame) {
    this.pending.set(id, { ...frame, ref: id });
    if (!this.ready) return;
    this.ws.send(JSON.stringify(this.pending.get(id)));
    // A half-open socket swallows frames without a word: if no answer comes soon, ask.
    clearTimeout(this.timers.ack);
    this.timers.ack = setTimeout(() => { if (this.pending.size) this.probe(); }, ACK_WAIT_MS);
  }

  /** Ping now; no pong in time means the socket is dead, and it is dropped and resumed. */
  probe() {
    if (!this.ready || this.timers.probe) return;
    this.awaitingPong = true;
    this.send({ type: 'ping' });
    this.timers.probe = setTimeout(() => {
      this.timers.probe = null;
      if (this.awaitingPong) this.drop();
    }, PONG_WAIT_MS);
  }

  /** Deliver a message frame once, in order (also used for transcripts fetched over HTTP). */
  accept(frame, live = false) {
    const id = frame.conversation_id;
    const last = this.position(id);
    if (frame.seq <= last) return; // already shown
    if (live && frame.seq > last + 1) {
      // A gap: ask for everything after what we have; the repeats will be dropped here.
      if (!this.syncing.has(id)) {
        this.syncing.add(id);
        this.send(this.self === 'visitor' ? { type: 'sync', last_seq: last }
          : { type: 'sync', conversation_id: id, last_seq: last });
      }
      return;
    }
    this.syncing.delete(id);
    this.positions.set(id, frame.seq);
    if (frame.author === this.self && frame.client_msg_id) this.pending.delete(frame.client_msg_id);
    this.on.message(frame);
  }

  // -- internals --------------------------------------------------------------------------------

  connect() {
    this.clearTimers();
    this.state('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.path}`;
    let ws;
    try { ws = new WebSocket(url); } catch { this.scheduleRetry(); return; }
    this.ws = ws;
    this.timers.connect = setTimeout(() => this.drop(), CONNECT_TIMEOUT_MS);
    ws.onopen = () => ws.send(JSON.stringify(this.hello()));
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(event.code);
  }

  receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    switch (frame.type) {
      case 'welcome':
        clearTimeout(this.timers.connect);
        this.ready = true;
        this.attempt = 0;
        this.syncing.clear();
        this.schedulePing();
        this.on.frame(frame); // the page learns its conversations before the catch-up arrives
        this.state('open');
        for (const pending of this.pending.values()) this.ws.send(JSON.stringify(pending));
        return;
      case 'message':
        this.accept(frame, true);
        return;
      case 'pong':
        this.awaitingPong = false;
        return;
      case 'error':
        if (!this.ready && frame.code === 'unavailable') { // hello refused for now: same socket
          this.helloAgainSoon();
          return;
        }
        if (this.pending.has(frame.ref)) {
          if (RETRYABLE.has(frame.code)) {
            this.retryPendingSoon();
          } else {
            this.pending.delete(frame.ref);
            this.on.failed(frame.ref, frame);
          }
          return;
        }
        break;
      default:
        if (frame.ref && this.pending.has(frame.ref)) { // ack, note_saved
          this.pending.delete(frame.ref);
          this.on.settled(frame.ref, frame);
        }
    }
    this.on.frame(frame);
  }

  closed(code) {
    this.ws = null;
    this.ready = false;
    this.clearTimers();
    if (!this.running) return;
    if (FATAL_CLOSE.has(code)) {
      this.running = false;
      this.state('closed', { code });
      return;
    }
    this.scheduleRetry();
  }

  /** The store was briefly unavailable at hello: the server keeps the socket; say hello again. */
  helloAgainSoon() {
    clearTimeout(this.timers.connect);
    const ws = this.ws;
    this.timers.hello = setTimeout(() => {
      if (this.ws !== ws || this.ready) return;
      this.timers.connect = setTimeout(() => this.drop(), CONNECT_TIMEOUT_MS);
      ws.send(JSON.stringify(this.hello()));
    }, Math.round(1000 * (0.5 + Math.random())));
  }

  /** Forget a socket that seems dead without waiting for a close handshake that may never come. */
  drop() {
    this.detach();
    this.closed(1006);
  }

  detach(code) {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(code); } catch { /* already closing */ }
    this.ws = null;
    this.ready = false;
  }

  scheduleRetry() {
    // Jittered exponential backoff: the first wait is 0.5-1.5 s, later ones double up to 30 s,
    // and the jitter keeps a thousand phones from coming back at the same instant.
    const delay = Math.min(CAP_MS, 1000 * 2 ** this.attempt) * (0.5 + Math.random());
    this.attempt = Math.min(this.attempt + 1, 10);
    const ms = Math.min(CAP_MS, Math.round(delay));
    this.timers.retry = setTimeout(() => this.connect(), ms);
    this.state('retrying', { ms });
  }

  schedulePing() {
    // The server pings at the WebSocket level, but browsers do not tell pages about dead
    // sockets quickly; an application ping finds a half-open connection within a minute.
    this.awaitingPong = false;
    const tick = () => {
      if (this.awaitingPong) { this.drop(); return; }
      this.awaitingPong = true;
      this.send({ type: 'ping' });
      this.timers.ping = setTimeout(tick, 45_000 + Math.random() * 10_000);
    };
    this.timers.ping = setTimeout(tick, 45_000 + Math.random() * 10_000);
  }

  retryPendingSoon() {
    if (this.timers.resend) return;
    this.timers.resend = setTimeout(() => {
      this.timers.resend = null;
      if (this.ready) for (const pending of this.pending.values()) this.ws.send(JSON.stringify(pending));
    }, 2000 + Math.random() * 1000);
  }

  clearTimers() {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    this.timers = {};
  }

  state(name, info = {}) { this.on.state?.(name, info); }
}
