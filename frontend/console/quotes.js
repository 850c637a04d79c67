// Research quotes in a chat: staff who took part keep a message as a quote. The server keeps
// only a de-identified copy; the counsellor first sees that copy as a preview, may strike more
// words (never fewer: the tags the server put in are plain text, not buttons), and after
// keeping it sees the quote exactly as stored and can remove it.

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
    this.box.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.preview) return;
      event.preventDefault(); // Escape closes the preview, like a dialog
      this.cancel();
    });
    this.line = part('p', 'quote-line', '');
    this.line.setAttribute('role', 'status');
  }

  get quote() { return this.quotes.kept.get(this.frame.seq); }

  draw() {
    const { quote } = this;
    this.keep.textContent = t('quoteKeep');
    const time = timeOf(this.frame.sent_at).textContent;
    this.keep.setAttribute('aria-label', t('quoteKeepLabel', { name: this.frame.author_name, time }));
    this.keep.hidden = Boolean(quote || this.preview);
    let items = [];
    if (quote) {
      this.preview = null; // kept meanwhile (a colleague, another tab): the stored text wins
      items = [part('p', 'quote-label', t('quoteKept')), part('blockquote', 'quote-text', quote.text),
        button('link-button quote-remove', t('quoteRemove'), () => this.remove(quote))];
    } else if (this.preview) {
      items = this.preview.parts();
    }
    this.box.replaceChildren(...items, this.line);
    this.box.classList.toggle('previewing', Boolean(this.preview));
    // Never hidden, so the status line is read out when it changes; empty, it takes no room.
    this.box.classList.toggle('open', Boolean(quote || this.preview || this.line.textContent));
  }

  say(text) {
    this.line.textContent = text;
    this.draw();
  }

  /** Ask for the de-identified text and show it; nothing is stored until it is confirmed. */
  async keepQuote() {
    if (this.keep.disabled) return;
    this.keep.disabled = true;
    this.say(t('quoteKeeping')); // the first quote on a server may wait for de-identification to load
    try {
      const { text } = await api('POST', path`/api/triage/conversations/${this.quotes.id}/quotes/preview`, { seq: this.frame.seq });
      this.preview = new QuotePreview(text, () => this.confirm(), () => this.cancel());
      this.say('');
      this.box.focus(); // the preview's label and text are read out; Tab goes on to the words
    } catch (error) {
      this.say(problem(error));
    } finally {
      this.keep.disabled = false;
    }
  }

  /** Keep the previewed text with the struck words; the server refuses any other text. */
  async confirm() {
    const { preview } = this;
    if (!preview || preview.busy) return;
    preview.busy = true;
    this.say(t('quoteKeeping'));
    try {
      const quote = await api('POST', path`/api/triage/conversations/${this.quotes.id}/quotes`, {
        seq: this.frame.seq, remove: preview.removals(), text: preview.result(),
      });
      this.quotes.kept.set(this.frame.seq, quote);
      this.preview = null;
      this.say('');
      this.box.focus();
    } catch (error) {
      if (error.status === 409) await this.quotes.load(); // kept already: show it as stored
      this.say(this.quote ? '' : problem(error));
      if (this.preview) this.box.focus(); // redrawn: the status line says what went wrong
    } finally {
      preview.busy = false;
    }
  }

  /** Close the preview: nothing was stored, so there is nothing to undo. */
  cancel() {
    this.preview = null;
    this.say(t('quoteCancelled'));
    this.keep.focus();
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

// A tag the server put in, such as [NAAM]: text, never a button, so it cannot be put back.
const TAG = /(\[[A-Z]+\])/;
// A word as the server's whole-word match sees one (Python's \w: letters, digits, marks, _).
const WORD = /([\p{L}\p{N}\p{M}_]+)/u;
const STRUCK = '[ANONIEM]';

/**
 * The de-identified text with every word a toggle: pressed, the word is struck. The server
 * strikes a word everywhere it occurs (case-blind), so pressing one occurrence presses all.
 */
class QuotePreview {
  constructor(text, onConfirm, onCancel) {
    this.struck = new Set(); // lower-cased words to strike
    this.busy = false;
    this.pieces = text.split(TAG).flatMap((chunk, i) => (i % 2 ? [{ tag: chunk }] : chunk.split(WORD)
      .map((bit, j) => (j % 2 ? { word: bit } : { text: bit }))))
      .filter((piece) => (piece.text ?? piece.word ?? piece.tag) !== '');
    this.words = [];
    this.text = part('blockquote', 'quote-text quote-preview', '');
    this.text.setAttribute('role', 'group');
    this.text.setAttribute('aria-label', t('quotePreviewWords'));
    for (const piece of this.pieces) {
      if (piece.word === undefined) {
        this.text.append(piece.tag ? part('span', 'quote-tag', piece.tag) : piece.text);
        continue;
      }
      const toggle = button('quote-word', piece.word, () => this.toggle(piece.word));
      toggle.setAttribute('aria-pressed', 'false');
      this.words.push(toggle);
      this.text.append(toggle);
    }
    this.actions = part('div', 'quote-actions', '');
    this.actions.append(button('primary quote-confirm', t('quoteConfirm'), onConfirm),
      button('secondary quote-cancel', t('quoteCancel'), onCancel));
  }

  parts() {
    const hint = this.words.length ? t('quotePreviewHint') : t('quotePreviewNoWords');
    return [part('p', 'quote-label', t('quotePreview')), part('p', 'quote-hint', hint), this.text, this.actions];
  }

  toggle(word) {
    const key = word.toLowerCase();
    if (this.struck.has(key)) this.struck.delete(key); else this.struck.add(key);
    for (const toggle of this.words) {
      toggle.setAttribute('aria-pressed', String(this.struck.has(toggle.textContent.toLowerCase())));
    }
  }

  /** The words to strike, as ``remove`` takes them. */
  removals() { return [...this.struck]; }

  /** The text the server will store: what the counsellor sees, struck words as [ANONIEM]. */
  result() {
    return this.pieces.map((piece) => {
      if (piece.word === undefined) return piece.tag ?? piece.text;
      return this.struck.has(piece.word.toLowerCase()) ? STRUCK : piece.word;
    }).join('');
  }
}

function problem(error) {
  if (error.status === 503) return t('quoteLoading');
  if (error.status === 403) return t('quoteNotAllowed');
  return failure(error);
}
