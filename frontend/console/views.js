// The console's views and who sees them. The chats view is the console itself (console.js);
// the others are modules with render(section, staff), drawn each time they are shown.
// A new view is one entry here and one module; showView gives it its own <section>.

import * as audit from '/console/audit.js';
import * as referrals from '/console/referral-overview.js';
import * as research from '/console/research.js';
import * as review from '/console/review.js';
import * as team from '/console/team.js';
import { t } from '/shared/i18n.js';

export const VIEWS = [
  { id: 'chats', label: 'navChats', roles: ['counsellor', 'supervisor'] },
  { id: 'team', label: 'navTeam', roles: ['supervisor'], render: team.render },
  { id: 'review', label: 'navReview', roles: ['supervisor', 'researcher'], render: review.render },
  { id: 'research', label: 'navResearch', roles: ['researcher', 'supervisor'], render: research.render },
  { id: 'referrals', label: 'navReferrals', roles: ['supervisor'], render: referrals.render },
  { id: 'audit', label: 'navAudit', roles: ['supervisor'], render: audit.render },
];

let current = null;
let staff = null;

/** The views this person may open. */
export function viewsFor(role) { return VIEWS.filter((view) => view.roles.includes(role)); }

/** Draw the navigation for this person and open their first view. */
export function startViews(person) {
  staff = person;
  const nav = document.getElementById('nav');
  const mine = viewsFor(staff.role);
  nav.hidden = mine.length < 2;
  nav.replaceChildren(...mine.map((view) => {
    const link = document.createElement('a');
    link.href = `#${view.id}`;
    link.dataset.view = view.id;
    link.textContent = t(view.label);
    link.addEventListener('click', (event) => { event.preventDefault(); showView(view.id); });
    return link;
  }));
  const asked = location.hash.slice(1);
  showView(mine.some((view) => view.id === asked) ? asked : mine[0]?.id);
}

export function stopViews() {
  current = null;
  staff = null;
  for (const section of document.querySelectorAll('[data-view-section]')) section.remove();
}

export function showView(id) {
  const view = VIEWS.find((v) => v.id === id);
  if (!view || !staff) return;
  current = id;
  history.replaceState(null, '', `#${id}`); // replace: views do not pile up in the history
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.view === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.getElementById('app-view').hidden = id !== 'chats';
  for (const section of document.querySelectorAll('[data-view-section]')) section.hidden = section.dataset.viewSection !== id;
  if (!view.render) return;
  let section = document.querySelector(`[data-view-section="${id}"]`);
  if (!section) {
    section = document.createElement('section');
    section.className = 'page';
    section.dataset.viewSection = id;
    document.querySelector('main').append(section);
  }
  section.hidden = false;
  view.render(section, staff);
}

/** Redraw what depends on the language. */
export function redrawViews() {
  for (const link of document.querySelectorAll('#nav a')) link.textContent = t(VIEWS.find((v) => v.id === link.dataset.view).label);
  if (current) showView(current);
}
