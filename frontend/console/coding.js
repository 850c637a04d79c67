// The codebook form: one conversation coded against the current codebook edition.
//
// Built from the codebook the server serves (GET /api/triage/codebook), never from a copy here.
// Three states stay apart, as in the server (triage/codebook/model.py): empty (not filled in),
// "unknown" (looked, unknown or not discussed: a choice of its own in every field) and a value.
// A field whose condition does not hold is hidden, and a value left in it is cleared on saving.
// Mistakes are shown next to their field, found here first and otherwise named by the server.

import { api, path } from '/console/api.js';
import { failure, labelled, statusLine } from '/console/ui.js';
import { part } from '/shared/dom.js';
import { getLang, t } from '/shared/i18n.js';

export const UNKNOWN = 'unknown';
const SUBJECTS = ['conversation', 'chatter', 'victim'];
const DATE = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;
const TEXT_MAX = 2000;

let codebook = null; // { current, editions }: one fetch per console

export async function currentEdition() {
  codebook ??= await api('GET', '/api/triage/codebook');
  return codebook.editions[codebook.current];
}

/** The label of a codebook item (variable or category) in the page's language. */
export function labelOf(item) { return getLang() === 'en' ? item.label_en : item.label_nl; }
function helpOf(item) { return getLang() === 'en' ? item.help_en : item.help_nl; }

// -- conditions, as triage/codebook/validate.py judges them -----------------------------------------

function holds(condition, valueOf) {
  if (condition.op === 'all_of') return condition.conditions.every((inner) => holds(inner, valueOf));
  const value = valueOf(condition.variable);
  const chosen = typeof value === 'string' && value !== UNKNOWN ? [value] : Array.isArray(value) ? value : [];
  if (condition.op === 'in') return condition.codes.some((code) => chosen.includes(code));
  if (condition.op === 'excludes') return !condition.codes.some((code) => chosen.includes(code));
  return new Set(chosen.map(String)).size >= condition.count; // min_selected
}

/** Per variable: does it apply? A gate that does not apply itself counts as empty. */
export function applicability(edition, values) {
  const byName = new Map(edition.variables.map((variable) => [variable.name, variable]));
  const result = {};
  const applies = (name) => {
    if (!(name in result)) {
      const condition = byName.get(name).applies_when;
      result[name] = !condition || holds(condition, effective);
    }
    return result[name];
  };
  const effective = (name) => (applies(name) ? values[name] : undefined);
  for (const variable of edition.variables) applies(variable.name);
  return result;
}

// -- one field per variable -------------------------------------------------------------------------

function option(value, text) { return new Option(text, value); }

function unknownBox(onChange) {
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.value = UNKNOWN;
  input.addEventListener('change', onChange);
  const label = document.createElement('label');
  label.className = 'check unknown';
  label.append(input, part('span', '', t('codingUnknown')));
  return { input, label };
}

/** A select for single choices and yes/no: empty, the choices, and unknown as its own entry. */
function selectField(variable, choices) {
  const select = document.createElement('select');
  const fill = (allowed) => {
    const keep = select.value;
    select.replaceChildren(
      option('', t('codingEmpty')),
      ...choices.filter(([code]) => !allowed || allowed.includes(code)).map(([code, text]) => option(code, text)),
      option(UNKNOWN, t('codingUnknown')),
    );
    select.value = keep;
    if (select.value !== keep) select.value = ''; // no longer among the choices
  };
  fill(null);
  return {
    control: select,
    body: [labelled(labelOf(variable), select)],
    read: () => (select.value === '' ? undefined : variable.kind === 'boolean' && select.value !== UNKNOWN ? select.value === 'true' : select.value),
    write(value) { select.value = value === undefined || value === null ? '' : String(value); },
    restrict: fill,
  };
}

/** Checkboxes for several choices; "unknown" excludes the others. */
function multiField(variable, changed) {
  const fieldset = document.createElement('fieldset');
  fieldset.append(part('legend', '', labelOf(variable)));
  const boxes = variable.categories.map((category) => {
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = category.code;
    const label = document.createElement('label');
    label.className = 'check';
    label.append(input, part('span', '', labelOf(category)));
    fieldset.append(label);
    return input;
  });
  const unknown = unknownBox(() => { sync(); changed(); });
  fieldset.append(unknown.label);
  const sync = () => { for (const box of boxes) { box.disabled = unknown.input.checked; if (box.disabled) box.checked = false; } };
  return {
    control: boxes[0],
    body: [fieldset],
    read() {
      if (unknown.input.checked) return UNKNOWN;
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      return chosen.length ? chosen : undefined;
    },
    write(value) {
      unknown.input.checked = value === UNKNOWN;
      for (const box of boxes) box.checked = Array.isArray(value) && value.includes(box.value);
      sync();
    },
  };
}

/** A number, date or text with an "unknown" box beside it that empties and locks the input. */
function inputField(variable, changed) {
  const input = document.createElement(variable.kind === 'text' ? 'textarea' : 'input');
  if (variable.kind === 'integer') Object.assign(input, { type: 'number', inputMode: 'numeric', step: '1', min: variable.minimum, max: variable.maximum });
  if (variable.kind === 'date') Object.assign(input, { type: 'text', placeholder: t('codingDateHint'), inputMode: 'numeric', maxLength: 10 });
  if (variable.kind === 'text') Object.assign(input, { rows: 3, maxLength: TEXT_MAX });
  input.autocomplete = 'off';
  const unknown = unknownBox(() => { sync(); changed(); });
  const sync = () => { input.disabled = unknown.input.checked; if (input.disabled) input.value = ''; };
  return {
    control: input,
    body: [labelled(labelOf(variable), input), unknown.label],
    read() {
      if (unknown.input.checked) return UNKNOWN;
      const text = input.value.trim();
      if (!text && !input.validity.badInput) return undefined;
      return variable.kind === 'integer' ? (text === '' ? Number.NaN : Number(text)) : text;
    },
    write(value) {
      unknown.input.checked = value === UNKNOWN;
      input.value = value === undefined || value === null || value === UNKNOWN ? '' : String(value);
      sync();
    },
  };
}

function buildField(variable, edition, changed) {
  const field = variable.kind === 'multi' ? multiField(variable, changed)
    : ['integer', 'date', 'text'].includes(variable.kind) ? inputField(variable, changed)
      : selectField(variable, variable.kind === 'boolean'
        ? [['true', t('codingYes')], ['false', t('codingNo')]]
        : variable.categories.map((category) => [category.code, labelOf(category)]));
  const block = document.createElement('div');
  block.className = `field coding-field${variable.parent ? ' sub' : ''}`;
  block.dataset.variable = variable.name;
  const help = helpOf(variable);
  const hint = part('p', '', help); // long definitions fold away; screen readers still hear them
  const details = document.createElement('details');
  details.className = 'help';
  details.append(part('summary', '', t('codingHelp')), hint);
  details.hidden = !help;
  const error = part('p', 'field-error', '');
  error.hidden = true;
  block.append(...field.body, error, details);
  const id = `coding-${edition.id}-${variable.name}-${Math.random().toString(36).slice(2, 8)}`;
  hint.id = `${id}-hint`;
  error.id = `${id}-error`;
  for (const control of block.querySelectorAll('input, select, textarea')) {
    control.setAttribute('aria-describedby', `${help ? `${hint.id} ` : ''}${error.id}`);
  }
  block.addEventListener('change', changed);
  block.addEventListener('input', changed);
  return { ...field, variable, block, error };
}

/** What is wrong with one value before the server sees it, or ''. */
function problem(variable, value) {
  if (value === undefined || value === UNKNOWN) return '';
  if (variable.kind === 'integer' && !(Number.isInteger(value) && value >= variable.minimum && value <= variable.maximum)) {
    return t('codingErr_integer', { min: variable.minimum, max: variable.maximum });
  }
  if (variable.kind === 'date' && !DATE.test(value)) return t('codingErr_date');
  if (variable.kind === 'text' && value.length > TEXT_MAX) return t('codingErr_text', { n: TEXT_MAX });
  return '';
}

// -- the form -------------------------------------------------------------------------------------

export class CodingForm {
  /**
   * @param {string} conversationId
   * @param {(summary) => void} onSummary told each time the server sends the conversation's triage state
   */
  constructor(conversationId, onSummary = () => {}) {
    this.id = conversationId;
    this.onSummary = onSummary;
    this.element = document.createElement('form');
    this.element.className = 'coding-form';
    this.element.method = 'post';
    this.element.noValidate = true;
    this.element.addEventListener('submit', (event) => { event.preventDefault(); this.save(); });
    this.fields = new Map();
    this.summary = null;
  }

  async load() {
    try {
      const [edition, summary] = await Promise.all([
        currentEdition(),
        api('GET', path`/api/triage/conversations/${this.id}`),
      ]);
      this.edition = edition;
      this.build();
      this.show(summary);
    } catch (error) {
      this.element.replaceChildren(part('p', 'field-error', `${t('codingLoadFailed')} ${failure(error)}`));
    }
  }

  /** Redraw in the current language, keeping what was typed. */
  redraw() {
    if (!this.edition) return;
    const values = this.values();
    this.build();
    for (const [name, value] of Object.entries(values)) this.fields.get(name)?.write(value);
    this.refresh();
    this.renderProgress();
  }

  build() {
    const { edition } = this;
    const changed = () => { this.refresh(); this.status.textContent = t('codingUnsaved'); };
    this.fields.clear();
    this.progress = part('p', 'coding-progress', '');
    this.status = statusLine();
    const sections = SUBJECTS.map((subject) => {
      const fieldset = document.createElement('fieldset');
      fieldset.className = 'coding-subject';
      fieldset.append(part('legend', '', t(`codingSubject_${subject}`)));
      for (const variable of edition.variables.filter((v) => v.subject === subject)) {
        const field = buildField(variable, edition, changed);
        this.fields.set(variable.name, field);
        fieldset.append(field.block);
      }
      return fieldset;
    });
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'primary';
    save.textContent = t('codingSave');
    this.saveButton = save;
    const actions = document.createElement('div');
    actions.className = 'actions sticky-actions';
    actions.append(save, this.status);
    this.element.replaceChildren(
      part('p', 'hint', t('codingEdition', { title: edition.title })),
      this.helpQuestion(),
      this.progress,
      ...sections,
      actions,
    );
  }

  /** The inclusion flag: saved at once, apart from the coding. */
  helpQuestion() {
    const variable = this.edition.help_question;
    const fieldset = document.createElement('fieldset');
    fieldset.className = 'help-question';
    fieldset.append(part('legend', '', labelOf(variable)), part('p', 'hint', helpOf(variable)));
    const name = `help-${this.id}`;
    this.helpInputs = [['true', 'codingYes'], ['false', 'codingNo'], ['', 'codingHelpUnset']].map(([value, key]) => {
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = name;
      input.value = value;
      input.addEventListener('change', () => this.saveHelpQuestion(value === '' ? null : value === 'true'));
      const label = document.createElement('label');
      label.className = 'check';
      label.append(input, part('span', '', t(key)));
      fieldset.append(label);
      return input;
    });
    return fieldset;
  }

  /** The server's state; the fields too, unless only the help question changed. */
  show(summary, fields = true) {
    this.summary = summary;
    if (fields) for (const field of this.fields.values()) field.write(summary.values[field.variable.name]);
    const help = summary.help_question === null ? '' : String(summary.help_question);
    for (const input of this.helpInputs) input.checked = input.value === help;
    this.refresh();
    this.renderProgress();
    this.onSummary(summary);
  }

  renderProgress() {
    if (!this.summary) return;
    const { filled, applicable } = this.summary.completeness;
    this.progress.textContent = t('codingProgress', { filled, applicable });
  }

  /** Every field's value as read now (missing when empty). */
  values() {
    const values = {};
    for (const [name, field] of this.fields) {
      const value = field.read();
      if (value !== undefined) values[name] = value;
    }
    return values;
  }

  /** Show the fields that apply; narrow choices that come from another field. */
  refresh() {
    const values = this.values();
    const applies = applicability(this.edition, values);
    for (const [name, field] of this.fields) {
      field.block.hidden = !applies[name];
      const from = field.variable.choices_from;
      if (from && field.restrict) field.restrict(Array.isArray(values[from]) ? values[from] : []);
    }
  }

  showErrors(errors) {
    let first = null;
    for (const [name, field] of this.fields) {
      const text = errors[name] ?? '';
      field.error.textContent = text;
      field.error.hidden = !text;
      for (const control of field.block.querySelectorAll('input, select, textarea')) control.setAttribute('aria-invalid', String(Boolean(text)));
      if (text && !first) first = field.block.querySelector('input:not(:disabled), select, textarea:not(:disabled)');
    }
    first?.focus();
    const count = Object.keys(errors).length;
    if (count) this.status.textContent = t('codingErrors', { n: count });
  }

  async save() {
    const values = this.values();
    const applies = applicability(this.edition, values);
    const errors = {};
    const body = {};
    for (const [name, field] of this.fields) {
      let value = values[name];
      if (!applies[name] && value !== UNKNOWN) value = undefined; // hidden: not part of the coding
      const wrong = problem(field.variable, value);
      if (wrong) errors[name] = wrong;
      body[name] = value ?? null; // null clears what was saved before
    }
    this.showErrors(errors);
    if (Object.keys(errors).length) return;
    this.saveButton.disabled = true;
    try {
      const summary = await api('PATCH', path`/api/triage/conversations/${this.id}/coding`, { edition: this.edition.id, values: body });
      this.show(summary);
      this.status.textContent = t('codingSaved', { time: new Date().toLocaleTimeString(getLang(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }) });
    } catch (error) {
      const named = Object.fromEntries((error.errors ?? (error.field ? [{ field: error.field, reason: error.message }] : []))
        .filter((e) => this.fields.has(e.field)).map((e) => [e.field, e.reason]));
      this.showErrors(named);
      if (!Object.keys(named).length) this.status.textContent = failure(error);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  async saveHelpQuestion(value) {
    try {
      this.show(await api('PUT', path`/api/triage/conversations/${this.id}/help-question`, { help_question: value }), false);
      this.status.textContent = t('codingHelpSaved');
    } catch (error) {
      this.status.textContent = failure(error);
    }
  }
}
