// Duplicate linking: conversations of one and the same visitor form one person, so the research
// counts unique visitors. A counsellor links chats they took part in, or redeems the return code
// a visitor was given in an earlier chat; nothing identifying is needed for either.

import { api, path } from '/console/api.js';
import { dateTime, failure, labelled, statusLine } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

/** Researchers get no pseudonym and only the month: name a chat by its id's start then. */
export function chatName(c) {
  return c.pseudonym ?? c.conversation_id.slice(0, 8);
}

/** When a chat started, as precisely as the reader may know it. */
export function chatStarted(c) {
  return c.started_at ? dateTime(c.started_at) : c.started_month;
}

export class PersonLinks {
  /**
   * @param {string} conversationId
   * @param {() => {id: string, pseudonym: string}[]} candidates other conversations this person may link to
   * @param {() => void} onChange told after a link or unlink
   */
  constructor(conversationId, candidates, onChange = () => {}) {
    this.id = conversationId;
    this.candidates = candidates;
    this.onChange = onChange;
    this.personId = null;
    this.linked = [];
    this.element = document.createElement('div');
    this.element.className = 'person-links';
    this.status = statusLine();
  }

  /** Take the person id from a triage summary (the coding form loads it) and show the links. */
  async update(personId) {
    this.personId = personId;
    this.linked = [];
    if (personId) {
      try {
        const person = await api('GET', path`/api/triage/persons/${personId}`);
        this.linked = person.conversations.filter((c) => c.conversation_id !== this.id);
      } catch (error) {
        this.status.textContent = failure(error);
      }
    }
    this.render();
  }

  async reload() {
    try {
      const summary = await api('GET', path`/api/triage/conversations/${this.id}`);
      await this.update(summary.person_id);
    } catch (error) {
      this.status.textContent = failure(error);
    }
  }

  render() {
    const items = [];
    if (this.linked.length) {
      const list = document.createElement('ul');
      list.className = 'linked-list';
      for (const other of this.linked) {
        const li = document.createElement('li');
        li.append(part('span', 'who', chatName(other)), ' ', chatStarted(other));
        list.append(li);
      }
      items.push(part('p', '', t('personLinkedTo')), list,
        button('secondary', t('personUnlink'), () => this.change('DELETE', path`/api/triage/links/${this.id}`)));
    } else {
      items.push(part('p', 'hint', t('personAlone')));
    }

    const linkedIds = new Set(this.linked.map((c) => c.conversation_id));
    const others = this.candidates().filter((c) => c.id !== this.id && !linkedIds.has(c.id));
    if (others.length) {
      const select = document.createElement('select');
      select.append(new Option(t('personPick'), ''));
      for (const other of others) select.append(new Option(other.pseudonym, other.id));
      const form = this.form(labelled(t('personLinkLabel'), select), t('personLink'), () => {
        if (!select.value) { select.focus(); return null; }
        return ['POST', '/api/triage/links', { conversation_ids: [this.id, select.value] }];
      });
      items.push(form);
    }

    const code = document.createElement('input');
    Object.assign(code, { autocomplete: 'off', spellcheck: false, maxLength: 32, autocapitalize: 'characters' });
    const error = part('p', 'field-error', '');
    error.hidden = true;
    const codeForm = this.form(labelled(t('personCodeLabel'), code), t('personRedeem'), () => {
      if (!code.value.trim()) { code.focus(); return null; }
      return ['POST', path`/api/triage/conversations/${this.id}/return-code`, { code: code.value.trim() }];
    }, (failed) => {
      error.textContent = failed.field === 'code' ? t('personCodeWrong') : failure(failed);
      error.hidden = false;
      code.setAttribute('aria-invalid', 'true');
      code.focus();
    });
    error.id = `return-code-error-${this.id}`;
    code.setAttribute('aria-describedby', error.id);
    codeForm.insertBefore(error, codeForm.lastChild);
    items.push(codeForm, this.status);
    this.element.replaceChildren(...items);
  }

  /** A small form that sends one request and then reloads the links. */
  form(field, label, request, onError = (error) => { this.status.textContent = failure(error); }) {
    const form = document.createElement('form');
    form.className = 'inline-form';
    form.method = 'post';
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = 'secondary';
    submit.textContent = label;
    form.append(field, submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const call = request();
      if (!call) return;
      submit.disabled = true;
      try {
        await api(...call);
        await this.reload();
        this.status.textContent = t('personSaved');
        this.onChange();
      } catch (error) {
        onError(error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  async change(method, url) {
    try {
      await api(method, url);
      await this.reload();
      this.status.textContent = t('personSaved');
      this.onChange();
    } catch (error) {
      this.status.textContent = failure(error);
    }
  }
}
