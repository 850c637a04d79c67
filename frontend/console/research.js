// Researchers and supervisors: export the coded year as a de-identified dataset, make the yearly
// report, read the year's quotes, and the export log (supervisors see everyone's). Exports and
// reports are jobs on the server: started here, followed with a progress bar, downloaded when done.

import '/console/research-strings.js';
import { api, download, path } from '/console/api.js';
import { currentEdition, labelOf } from '/console/coding.js';
import { dateTime, failure, labelled, statusLine, table } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { t } from '/shared/i18n.js';

const EXPORTS = '/api/research/exports';
const REPORTS = '/api/research/reports';
const FIRST_YEAR = 2000;
const THIS_YEAR = new Date().getFullYear();
const MAX_EARLIER_YEARS = 10;
const POLL_MS = 500;
const RETRY_MS = 3000; // after a failed look at a job: the network or a node may be back soon
const TRANSIENT = new Set([0, 502, 503, 504]);

let staff = null;
let section = null;
// What this person chose and started; kept while the view is hidden or redrawn.
let exportOptions, reportOptions, quoteYear, exportJob, reportJob;
const quotesBox = document.createElement('div');
const quotesStatus = statusLine();
const logBox = document.createElement('div');
const logStatus = statusLine();

export function render(target, person) {
  if (person.id !== staff?.id) reset(person);
  section = target;
  section.replaceChildren(
    part('h1', '', t('researchHeading')),
    part('p', 'hint', t('researchIntro')),
    block('research-export', t('exportHeading'), exportForm(), exportJob.element),
    block('research-report', t('reportHeading'), part('p', 'hint', t('reportHint')), reportForm(), reportJob.element),
    block('research-quotes', t('quotesHeading'), part('p', 'hint', t('quotesIntro')), quotesForm(), quotesStatus, quotesBox),
    block('research-log', t('logHeading'), button('secondary', t('logRefresh'), refreshLog), logStatus, logBox),
  );
  exportJob.draw();
  reportJob.draw();
  showQuotes();
  refreshLog();
}

/** A new person at this page starts from nothing that the last one chose. */
function reset(person) {
  staff = person;
  exportJob?.stop();
  reportJob?.stop();
  const year = THIS_YEAR - 1; // the yearly work is about the year that has ended
  exportOptions = { year, level: 'person', format: 'csv', language: 'nl', k_anonymity: 'refuse' };
  reportOptions = { year, language: 'nl', small_cells: 'suppress', earlier_years: 4 };
  quoteYear = year;
  exportJob = new Job(EXPORTS, 'exportProgress', exportSummary, retryWithSuppression);
  reportJob = new Job(REPORTS, 'reportProgress', reportSummary);
  quotesBox.replaceChildren();
  logBox.replaceChildren();
  quotesStatus.textContent = logStatus.textContent = '';
}

function block(id, heading, ...children) {
  const el = document.createElement('section');
  const title = part('h2', '', heading);
  title.id = `${id}-heading`;
  el.setAttribute('aria-labelledby', title.id);
  el.append(title, ...children);
  return el;
}

// -- the forms -----------------------------------------------------------------------------------

function exportForm() {
  const kHint = part('p', 'hint', t('exportKAnonymityHint'));
  return optionsForm('exportStart', startExport, [
    wholeField(exportOptions, 'year', 'researchYear'),
    choiceField(exportOptions, 'level', ['person', 'conversation'], 'exportLevel'),
    choiceField(exportOptions, 'format', ['csv', 'sav'], 'exportFormat'),
    choiceField(exportOptions, 'language', ['nl', 'en'], 'researchLanguage'),
    choiceField(exportOptions, 'k_anonymity', ['refuse', 'suppress'], 'exportKAnonymity', kHint),
  ], kHint);
}

function reportForm() {
  const cellsHint = part('p', 'hint', t('reportSmallCellsHint'));
  return optionsForm('reportStart', startReport, [
    wholeField(reportOptions, 'year', 'researchYear'),
    choiceField(reportOptions, 'language', ['nl', 'en'], 'reportLanguage'),
    choiceField(reportOptions, 'small_cells', ['suppress', 'flag'], 'reportSmallCells', cellsHint),
    wholeField(reportOptions, 'earlier_years', 'reportEarlierYears'),
  ], cellsHint);
}

/** A form of option fields, its hint, a line for what is wrong, and the button that starts. */
function optionsForm(startKey, start, fields, hint) {
  const form = document.createElement('form');
  form.className = 'research-form';
  form.method = 'post';
  form.noValidate = true; // checked below, with our own words
  const fieldRow = document.createElement('div');
  fieldRow.className = 'research-fields';
  fieldRow.append(...fields);
  const error = part('p', 'field-error', '');
  error.id = `${startKey}-error`;
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.className = 'primary';
  submit.textContent = t(startKey);
  form.append(fieldRow, hint, error, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.busy) return; // one start per click, however fast the clicks
    form.dataset.busy = '1';
    try {
      showFormError(form, await start());
    } catch (error) {
      showFormError(form, { field: error.field, text: failure(error) });
    } finally {
      delete form.dataset.busy;
    }
  });
  return form;
}

/** What is wrong with the form ({ field?, text }), or nothing; the wrong field gets the focus. */
function showFormError(form, problem) {
  const error = form.querySelector('.field-error');
  error.textContent = problem?.text ?? '';
  error.hidden = !problem;
  for (const control of form.elements) {
    const wrong = Boolean(problem?.field) && control.name === problem.field;
    if (wrong) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', error.id);
      control.focus();
    } else if (control.getAttribute('aria-describedby') === error.id) {
      control.removeAttribute('aria-invalid');
      control.removeAttribute('aria-describedby');
    }
  }
}

/** A select bound to options[name]; its texts are key_value. */
function choiceField(options, name, values, key, hint) {
  const select = document.createElement('select');
  select.name = name;
  for (const value of values) select.append(new Option(t(`${key}_${value}`), value));
  select.value = options[name];
  select.addEventListener('change', () => { options[name] = select.value; });
  if (hint) {
    hint.id = `${key}-hint`;
    select.setAttribute('aria-describedby', hint.id);
  }
  return labelled(t(key), select);
}

/** A whole number bound to options[name], kept as typed and checked when the form is sent. */
function wholeField(options, name, key) {
  const input = Object.assign(document.createElement('input'), {
    type: 'number', name, step: 1, inputMode: 'numeric', autocomplete: 'off', value: String(options[name]),
  });
  input.addEventListener('input', () => { options[name] = input.value.trim(); });
  return labelled(t(key), input);
}

function whole(text, min, max) {
  const number = Number(text);
  return String(text).trim() !== '' && Number.isInteger(number) && number >= min && number <= max ? number : null;
}

async function startExport() {
  const year = whole(exportOptions.year, FIRST_YEAR, THIS_YEAR);
  if (year === null) return { field: 'year', text: t('researchYearInvalid', { min: FIRST_YEAR, max: THIS_YEAR }) };
  await exportJob.start({ ...exportOptions, year });
  return null;
}

async function startReport() {
  const year = whole(reportOptions.year, FIRST_YEAR, THIS_YEAR);
  if (year === null) return { field: 'year', text: t('researchYearInvalid', { min: FIRST_YEAR, max: THIS_YEAR }) };
  const earlier = whole(reportOptions.earlier_years, 0, MAX_EARLIER_YEARS);
  if (earlier === null) return { field: 'earlier_years', text: t('reportEarlierYearsInvalid') };
  await reportJob.start({ ...reportOptions, year, earlier_years: earlier });
  return null;
}

function retryWithSuppression() {
  return button('secondary', t('exportRetrySuppress'), () => {
    exportOptions.k_anonymity = 'suppress';
    section.querySelector('select[name="k_anonymity"]').value = 'suppress';
    startExport()
      .then((problem) => (problem ? exportJob.fail({ code: 'invalid', message: problem.text }) : exportJob.bar.focus()))
      .catch((error) => exportJob.fail(error)); // the button goes with the refusal: focus the new bar
  });
}

function exportSummary(summary) {
  const suppressed = Object.values(summary.disclosure?.suppressed ?? {}).reduce((sum, n) => sum + n, 0);
  return t('exportDone', { rows: summary.rows, columns: summary.columns, suppressed });
}

function reportSummary(summary) {
  return t('reportDone', { tables: summary.tables, suppressed: summary.suppressed_cells, flagged: summary.flagged_cells });
}

// -- a job: progress, outcome, download ----------------------------------------------------------

class Job {
  constructor(base, progressKey, summarize, onRefused = null) {
    this.base = base;
    this.progressKey = progressKey;
    this.summarize = summarize;
    this.onRefused = onRefused;
    this.job = null;
    this.following = 0; // which start the polling belongs to: a new start ends the old loop
    this.element = document.createElement('div');
    this.element.className = 'job';
    this.element.hidden = true;
    this.label = document.createElement('label');
    this.bar = Object.assign(document.createElement('progress'), { id: `${progressKey}-bar`, max: 100, value: 0 });
    this.bar.tabIndex = -1;
    this.label.htmlFor = this.bar.id;
    this.status = statusLine();
    this.result = document.createElement('div');
    this.result.className = 'job-result';
    this.note = statusLine(); // the outcome of a download
    this.element.append(this.label, this.bar, this.status, this.result);
  }

  async start(body) {
    this.stop();
    const job = await api('POST', this.base, body); // a refused request throws to the form
    this.note.textContent = '';
    this.follow(job, this.following);
  }

  stop() { this.following += 1; clearTimeout(this.timer); }

  follow(job, run) {
    if (run !== this.following) return;
    this.job = job;
    this.draw();
    if (job.status === 'done' || job.status === 'failed') { refreshLog(); return; }
    this.timer = setTimeout(() => this.look(run), POLL_MS);
  }

  async look(run) {
    try {
      this.follow(await api('GET', `${this.base}/${encodeURIComponent(this.job.id)}`), run);
    } catch (error) {
      if (run !== this.following || error.status === 401) return; // replaced, or logged out
      if (!TRANSIENT.has(error.status)) { this.fail(error); return; }
      this.status.textContent = failure(error);
      this.timer = setTimeout(() => this.look(run), RETRY_MS);
    }
  }

  /** A job that could not be followed or started shows as failed, with the reason. */
  fail(error) {
    this.stop();
    this.job = { ...(this.job ?? { progress: 0 }), status: 'failed', error: { code: error.code, message: error.message } };
    this.draw();
  }

  draw() {
    const { job } = this;
    this.element.hidden = !job;
    if (!job) return;
    this.label.textContent = t(this.progressKey);
    this.bar.value = job.status === 'done' ? 100 : job.progress;
    this.label.hidden = this.bar.hidden = job.status === 'failed'; // a half bar is no outcome
    const status = {
      done: () => this.summarize(job.summary ?? {}),
      failed: () => '', // the alert below says it
    }[job.status]?.() ?? t(`job_${job.status}`, { progress: job.progress });
    if (this.status.textContent !== status) this.status.textContent = status; // read out on change only
    const outcome = job.status === 'done' ? this.done(job) : job.status === 'failed' ? this.failed(job) : [];
    this.result.replaceChildren(...outcome);
  }

  done(job) {
    return job.download ? [button('primary', t('jobDownload'), (event) => this.save(event.currentTarget)), this.note] : [];
  }

  failed(job) {
    const box = document.createElement('div');
    box.className = 'job-error';
    box.setAttribute('role', 'alert');
    const error = job.error ?? {};
    if (error.code === 'k_anonymity') {
      // The server names up to 20 combinations, '; ' between them: one a line, in a box that scrolls.
      const message = part('p', 'server-message', (error.message ?? '').replaceAll('; ', ';\n'));
      message.tabIndex = 0; // scrolled with the keyboard too
      message.setAttribute('aria-label', t('exportServerMessage'));
      box.append(part('p', '', t('exportRefused')), message);
      if (this.onRefused) box.append(this.onRefused());
    } else {
      box.append(part('p', '', t('jobFailed', { reason: failure(error) })));
    }
    return [box];
  }

  async save(control) {
    control.disabled = true;
    try {
      this.note.textContent = t('jobDownloaded', { name: await download(this.job.download) });
      refreshLog();
    } catch (error) {
      this.note.textContent = failure(error);
    } finally {
      control.disabled = false;
    }
  }
}

// -- quotes --------------------------------------------------------------------------------------

function quotesForm() {
  const form = document.createElement('form');
  form.className = 'inline-form quotes-form';
  form.method = 'get';
  const year = Object.assign(document.createElement('input'), {
    type: 'number', name: 'year', step: 1, inputMode: 'numeric', autocomplete: 'off', value: String(quoteYear),
  });
  year.addEventListener('input', () => { quoteYear = year.value.trim(); });
  const show = document.createElement('button');
  show.type = 'submit';
  show.className = 'secondary';
  show.textContent = t('quotesShow');
  const csv = button('secondary', t('quotesCsv'), async () => {
    const chosen = checkedQuoteYear();
    if (chosen === null) return;
    try {
      quotesStatus.textContent = t('jobDownloaded', { name: await download(`/api/research/quotes?year=${chosen}&format=csv`) });
    } catch (error) {
      quotesStatus.textContent = failure(error);
    }
  });
  form.append(labelled(t('researchYear'), year), show, csv);
  form.addEventListener('submit', (event) => { event.preventDefault(); showQuotes(); });
  return form;
}

function checkedQuoteYear() {
  const year = whole(quoteYear, FIRST_YEAR, THIS_YEAR);
  if (year === null) quotesStatus.textContent = t('researchYearInvalid', { min: FIRST_YEAR, max: THIS_YEAR });
  return year;
}

async function showQuotes() {
  const year = checkedQuoteYear();
  if (year === null) return;
  try {
    const [{ quotes }, edition] = await Promise.all([api('GET', `/api/research/quotes?year=${year}&format=json`), currentEdition()]);
    const variables = new Map(edition.variables.map((v) => [v.name, labelOf(v)]));
    const rows = quotes.map((quote) => {
      const remove = button('secondary danger', t('quotesRemove'), () => removeQuote(quote.quote_id));
      remove.setAttribute('aria-label', t('quotesRemoveLabel', { id: quote.quote_id }));
      return [
        quote.month,
        t(`speaker_${quote.speaker}`),
        quote.variable ? variables.get(quote.variable) ?? quote.variable : '',
        part('span', 'quote-text', quote.text),
        remove,
      ];
    });
    quotesBox.replaceChildren(rows.length
      ? table(t('quotesCaption', { year, n: rows.length }), [t('colMonth'), t('colSpeaker'), t('colVariable'), t('colText'), t('colAction')], rows)
      : part('p', 'hint', t('quotesEmpty', { year })));
  } catch (error) {
    quotesBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

async function removeQuote(id) {
  if (!confirm(t('quotesConfirmRemove'))) return;
  try {
    await api('DELETE', path`/api/triage/quotes/${id}`);
    quotesStatus.textContent = t('quotesRemoved');
    await showQuotes();
  } catch (error) {
    quotesStatus.textContent = failure(error);
  }
}

// -- the export log ------------------------------------------------------------------------------

async function refreshLog() {
  const person = staff;
  try {
    const { exports } = await api('GET', EXPORTS);
    if (person !== staff) return; // someone else logged in meanwhile
    const caption = t(staff.role === 'supervisor' ? 'logCaptionAll' : 'logCaptionOwn', { n: exports.length });
    const rows = exports.map((job) => [
      dateTime(job.requested_at),
      job.requested_via === 'cli' ? t('logCli') : job.requested_by ?? '',
      String(job.year),
      t(`logKind_${job.level}`),
      describeOptions(job),
      statusOf(job),
      logDownload(job),
    ]);
    logBox.replaceChildren(rows.length
      ? table(caption, [t('colRequested'), t('colBy'), t('colYear'), t('colKind'), t('colOptions'), t('colStatus'), t('colAction')], rows)
      : part('p', 'hint', t('logEmpty')));
  } catch (error) {
    logBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

function describeOptions(job) {
  const options = job.options ?? {};
  const parts = job.level === 'report' ? [] : [t(`exportFormat_${job.format}`)];
  if (options.language) parts.push(t('logOption_language', { value: options.language.toUpperCase() }));
  for (const name of ['k_anonymity', 'small_cells']) {
    if (options[name]) parts.push(t(`logOption_${name}`, { value: t(`logValue_${options[name]}`) }));
  }
  if (options.earlier_years !== undefined) parts.push(t('logOption_earlier_years', { value: options.earlier_years }));
  return parts.join(', ');
}

function statusOf(job) {
  if (job.status === 'failed') return t(job.error?.code === 'k_anonymity' ? 'logRefused' : 'logStatus_failed');
  const status = t(`logStatus_${job.status}`, { progress: job.progress });
  if (job.purged_at) return `${status}, ${t('logPurged')}`;
  return job.downloaded_at ? `${status}, ${t('logDownloaded')}` : status;
}

/** Only the one who asked downloads, while the file is kept. */
function logDownload(job) {
  if (!job.download || job.requested_via !== 'api' || job.requested_by !== staff.username) return '';
  const control = button('secondary', t('logDownload'), async () => {
    try {
      logStatus.textContent = t('jobDownloaded', { name: await download(job.download) });
      refreshLog();
    } catch (error) {
      logStatus.textContent = failure(error);
    }
  });
  const time = dateTime(job.requested_at).textContent;
  control.setAttribute('aria-label', t('logDownloadLabel', { kind: t(`logKind_${job.level}`), year: job.year, time }));
  return control;
}
