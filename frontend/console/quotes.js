// Research quotes in a chat: staff who took part keep a message as a quote. The server keeps
// only a de-identified copy; the counsellor sees that copy, exactly as stored, and can remove it.

import '/console/research-strings.js';
import { api, path } from '/console/api.js';
import { failure } from '/console/ui.js';
import { button, part, timeOf } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

/** One chat's quotes and the quote controls on its typed messages. */
export class ChatQuotes {
  constructor(conversationId) {
    this.id = conversationId;
    this.kept = new Map(); // seq -> the quote as stored
    this.controls = [];
  }

  /** The quotes already kept (before a reload, or by a colleague who had this chat). */
  async load() {
    try {
      const { quotes } = await api('GET', path`/api/triage/conversations/${this.id}/quotes`);
      this.kept = new Map(quotes.map((quote) => [quote.seq, quote]));
    } catch {
      return; // no triage access (any more): keeping a quote says why, if it is tried
    }
    this.redraw();
  }

  /** Give a typed message its control: the action in its meta line, the quote below its text. */
  attach(item, meta, frame) {
    const control = new QuoteControl(this, frame);
    this.controls.push(control);
    meta.append(' ', control.keep);
    item.append(control.box);
    control.draw();
  }

  redraw() {
    for (const control of this.controls) control.draw();
  }
}

class QuoteControl {
  constructor(quotes, frame) {
    this.quotes = quotes;
    this.frame = frame;
    this.keep = button('link-button quote-keep', '', () => this.keepQuote());
    this.box = document.createElement('div');
    this.box.className = 'quote-box';
    this.box.tabIndex = -1; // focused once kept, so the stored text is read out
    this.line = part('p', 'quote-line', '');
    this.line.setAttribute('role', 'status');
  }

  get quote() { return this.quotes.kept.get(this.frame.seq); }

  draw() {
    const { quote } = this;
    this.keep.textContent = t('quoteKeep');
    const time = timeOf(this.frame.sent_at).textContent;
    this.keep.setAttribute('aria-label', t('quoteKeepLabel', { name: this.frame.author_name, time }));
    this.keep.hidden = Boolean(quote);
    const items = quote
      ? [part('p', 'quote-label', t('quoteKept')), part('blockquote', 'quote-text', quote.text),
        button('link-button quote-remove', t('quoteRemove'), () => this.remove(quote))]
      : [];
    this.box.replaceChildren(...items, this.line);
    // Never hidden, so the status line is read out when it changes; empty, it takes no room.
    this.box.classList.toggle('open', Boolean(quote || this.line.textContent));
  }

  say(text) {
    this.line.textContent = text;
    this.draw();
  }

  async keepQuote() {
    if (this.keep.disabled) return;
    this.keep.disabled = true;
    this.say(t('quoteKeeping')); // the first quote on a server may wait for de-identification to load
    try {
      const quote = await api('POST', path`/api/triage/conversations/${this.quotes.id}/quotes`, { seq: this.frame.seq });
      this.quotes.kept.set(this.frame.seq, quote);
      this.say('');
      this.box.focus();
    } catch (error) {
      if (error.status === 409) await this.quotes.load(); // kept already: show it as stored
      this.say(this.quote ? '' : problem(error));
    } finally {
      this.keep.disabled = false;
    }
  }

  async remove(quote) {
    try {
      await api('DELETE', path`/api/triage/quotes/${quote.id}`);
      this.quotes.kept.delete(this.frame.seq);
      this.say(t('quoteRemoved'));
      this.keep.focus();
    } catch (error) {
      this.say(problem(error));
    }
  }
}

function problem(error) {
  if (error.status === 503) return t('quoteLoading');
  if (error.status === 403) return t('quoteNotAllowed');
  return failure(error);
}
