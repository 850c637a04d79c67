// Review (supervisors and researchers): every conversation marked as a trafficking help question,
// how complete its coding is, whether it is excluded and why, and its links to other chats.
// Opening one shows its codebook form; reviewers never see a transcript here.

import { api, path } from '/console/api.js';
import { CodingForm, currentEdition, labelOf } from '/console/coding.js';
import { chatName, chatStarted, PersonLinks } from '/console/persons.js';
import { failure, labelled, statusLine, table } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

let section = null;
let listed = []; // the review list as last loaded
let openId = null;
const listBox = document.createElement('div');
const detail = document.createElement('section');
detail.className = 'review-detail';
detail.setAttribute('aria-labelledby', 'review-detail-heading');

export function render(target) {
  section = target;
  const heading = part('h1', '', t('reviewHeading'));
  section.replaceChildren(heading, part('p', 'hint', t('reviewIntro')), listBox, detail);
  refresh().then(() => { if (openId) openConversation(openId, false); });
}

/** The list only: an open conversation's form keeps what is being typed. */
async function refresh() {
  try {
    const [{ conversations }, edition] = await Promise.all([api('GET', '/api/triage/review'), currentEdition()]);
    listed = conversations;
    const reasons = new Map(edition.exclusion_reasons.map((r) => [r.code, labelOf(r)]));
    const rows = conversations.map((c) => {
      const open = button('secondary', t('reviewOpen'), () => openConversation(c.conversation_id));
      open.setAttribute('aria-label', t('reviewOpenLabel', { name: chatName(c) }));
      return [
        part('span', 'who', chatName(c)),
        chatStarted(c),
        t('codingProgress', { filled: c.completeness.filled, applicable: c.completeness.applicable }),
        c.person_id ? t('reviewLinked') : '',
        c.excluded_reason ? reasons.get(c.excluded_reason) ?? c.excluded_reason : '',
        open,
      ];
    });
    listBox.replaceChildren(rows.length
      ? table(t('reviewCaption', { n: rows.length }), [t('colPseudonym'), t('colStarted'), t('colCoded'), t('colPerson'), t('colExcluded'), t('colAction')], rows)
      : part('p', 'hint', t('reviewEmpty')));
  } catch (error) {
    listBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

async function openConversation(id, focus = true) {
  openId = id;
  const summary = listed.find((c) => c.conversation_id === id);
  const heading = part('h2', '', t('reviewDetailHeading', { name: summary ? chatName(summary) : id }));
  heading.id = 'review-detail-heading';
  heading.tabIndex = -1;
  const coding = new CodingForm(id, (state) => { links.update(state.person_id); exclusion.show(state); });
  const links = new PersonLinks(id, () => listed.map((c) => ({ id: c.conversation_id, pseudonym: chatName(c) })), refresh);
  const exclusion = new Exclusion(id, refresh);
  detail.replaceChildren(
    heading,
    part('h3', '', t('exclusionHeading')), exclusion.element,
    part('h3', '', t('personHeading')), links.element,
    part('h3', '', t('codingHeading')), coding.element,
  );
  await Promise.all([coding.load(), exclusion.load()]);
  if (focus) heading.focus();
}

/** Exclude a conversation from the research figures with a codebook reason, or count it again. */
class Exclusion {
  constructor(id, onChange) {
    this.id = id;
    this.onChange = onChange;
    this.element = document.createElement('form');
    this.element.className = 'inline-form exclusion-form';
    this.element.method = 'post';
    this.status = statusLine();
  }

  async load() {
    this.edition = await currentEdition();
    const reason = document.createElement('select');
    reason.append(new Option(t('exclusionNone'), ''));
    for (const r of this.edition.exclusion_reasons) reason.append(new Option(labelOf(r), r.code));
    const note = Object.assign(document.createElement('input'), { maxLength: 2000, autocomplete: 'off' });
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'secondary';
    save.textContent = t('exclusionSave');
    this.reason = reason;
    this.note = note;
    this.element.replaceChildren(labelled(t('exclusionReason'), reason), labelled(t('exclusionNote'), note), save, this.status);
    this.element.onsubmit = (event) => { event.preventDefault(); this.save(); };
    if (this.state) this.show(this.state);
  }

  show(state) {
    this.state = state;
    if (!this.reason) return;
    this.reason.value = state.excluded_reason ?? '';
    this.note.value = state.exclusion_note ?? '';
  }

  async save() {
    const reason = this.reason.value;
    try {
      await (reason
        ? api('PUT', path`/api/triage/conversations/${this.id}/exclusion`, { reason, note: this.note.value.trim() || null })
        : api('DELETE', path`/api/triage/conversations/${this.id}/exclusion`));
      this.status.textContent = t(reason ? 'exclusionSaved' : 'exclusionCleared');
      this.onChange();
    } catch (error) {
      this.status.textContent = failure(error);
    }
  }
}
