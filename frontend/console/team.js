// Supervisors: who is on, how many chats each holds, and the staff accounts.

import { api, path } from '/console/api.js';
import { failure, labelled, statusLine, table } from '/console/ui.js';
import { button, part } from '/shared/dom.js';
import { getLang, t } from '/shared/i18n.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const ROLES = ['counsellor', 'supervisor', 'researcher'];
const REFRESH_MS = 15_000;

let me = null;
let section = null;
let builtIn = ''; // the language the static parts were built in
let timer = null;
const status = statusLine();
const loadBox = document.createElement('div');
const accountsBox = document.createElement('div');
let form = null;

export function render(target, staff) {
  me = staff;
  if (section !== target || builtIn !== getLang()) {
    section = target;
    builtIn = getLang();
    form = accountForm();
    section.replaceChildren(
      heading('h1', 'teamHeading'),
      heading('h2', 'loadHeading'), loadBox,
      heading('h2', 'accountsHeading'), accountsBox, status,
      heading('h2', 'newAccountHeading'), form,
    );
  }
  refresh();
}

function heading(tag, key) {
  const el = part(tag, '', t(key));
  el.dataset.i18n = key;
  return el;
}

async function refresh() {
  clearTimeout(timer);
  if (!section?.isConnected || section.hidden) return; // another view, or logged out
  await Promise.all([renderLoad(), renderAccounts()]);
  timer = setTimeout(refresh, REFRESH_MS); // the load changes all the time
}

async function renderLoad() {
  try {
    const data = await api('GET', '/api/staff/colleagues');
    const rows = data.colleagues.map((c) => {
      const meter = document.createElement('meter');
      Object.assign(meter, { min: 0, max: data.max_chats, value: c.chats, high: data.max_chats - 0.5 });
      const cell = document.createElement('span');
      cell.className = 'load';
      cell.append(meter, ` ${t('loadChats', { n: c.chats, max: data.max_chats })}`);
      return [c.display_name, t(`role_${c.role}`), cell];
    });
    loadBox.replaceChildren(table(t('loadCaption'), [t('colName'), t('colRole'), t('colChats')], rows));
  } catch (error) {
    loadBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

async function renderAccounts() {
  try {
    const { accounts } = await api('GET', '/api/staff/accounts');
    const rows = accounts.map((account) => {
      const action = account.id === me?.id ? part('span', 'hint', t('accountYou'))
        : button('secondary', t(account.active ? 'accountDeactivate' : 'accountActivate'), () => setActive(account));
      return [account.username, account.display_name, t(`role_${account.role}`),
        t(account.active ? 'accountActive' : 'accountInactive'), action];
    });
    accountsBox.replaceChildren(table(t('accountsCaption'),
      [t('colUsername'), t('colName'), t('colRole'), t('colStatus'), t('colAction')], rows));
  } catch (error) {
    accountsBox.replaceChildren(part('p', 'field-error', failure(error)));
  }
}

async function setActive(account) {
  if (account.active && !confirm(t('accountConfirmDeactivate', { name: account.display_name }))) return;
  try {
    await api('POST', path`/api/staff/accounts/${account.id}/${account.active ? 'deactivate' : 'activate'}`);
    status.textContent = t(account.active ? 'accountDeactivated' : 'accountActivated', { name: account.display_name });
  } catch (error) {
    status.textContent = failure(error);
  }
  refresh();
}

function accountForm() {
  const el = document.createElement('form');
  el.className = 'account-form';
  el.method = 'post';
  el.noValidate = true;
  const input = (name, attrs) => Object.assign(document.createElement('input'), { name, ...attrs });
  const controls = {
    username: input('username', { autocomplete: 'off', autocapitalize: 'none', spellcheck: false, maxLength: 64 }),
    display_name: input('display_name', { autocomplete: 'off', maxLength: 64 }),
    role: document.createElement('select'),
    password: input('password', { type: 'password', autocomplete: 'new-password', minLength: 12, maxLength: 1024 }),
  };
  controls.role.name = 'role';
  for (const role of ROLES) controls.role.append(new Option(t(`role_${role}`), role));
  const errors = {};
  const blocks = Object.entries(controls).map(([name, control]) => {
    const block = document.createElement('div');
    block.className = 'field';
    const error = part('p', 'field-error', '');
    error.id = `account-${name}-error`;
    error.hidden = true;
    errors[name] = error;
    const hint = part('p', 'hint', t(`account_${name}_hint`));
    hint.id = `account-${name}-hint`;
    control.setAttribute('aria-describedby', `${hint.id} ${error.id}`);
    block.append(labelled(t(`account_${name}`), control), hint, error);
    return block;
  });
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.className = 'primary';
  submit.textContent = t('accountCreate');
  const done = statusLine();
  el.append(...blocks, submit, done);

  const show = (found) => {
    for (const [name, error] of Object.entries(errors)) {
      error.textContent = found[name] ?? '';
      error.hidden = !found[name];
      controls[name].setAttribute('aria-invalid', String(Boolean(found[name])));
    }
    const first = Object.keys(controls).find((name) => found[name]);
    if (first) controls[first].focus();
  };
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));
    body.username = body.username.trim().toLowerCase();
    const found = {};
    if (!USERNAME.test(body.username)) found.username = t('account_username_hint');
    if (!body.display_name.trim()) found.display_name = t('account_display_name_hint');
    if (body.password.length < 12) found.password = t('account_password_hint');
    show(found);
    if (Object.keys(found).length) return;
    submit.disabled = true;
    try {
      const { staff } = await api('POST', '/api/staff/accounts', body);
      el.reset();
      done.textContent = t('accountCreated', { name: staff.display_name });
      refresh();
    } catch (error) {
      if (error.field in controls) show({ [error.field]: error.code === 'conflict' ? t('accountTaken') : failure(error) });
      else done.textContent = failure(error);
    } finally {
      submit.disabled = false;
    }
  });
  return el;
}
