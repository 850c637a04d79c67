// Referral to the police (AVIM): the codes a referral carries and how to show them to people.
// Used by the visitor widget (the consent card) and the counsellor console (the form and panel).
// The codes are the server's (docs/referrals.md section 3); every label comes from i18n.js.
// Everything here builds elements with textContent: server data never becomes markup.

import { t, getLang } from '/shared/i18n.js';

export const EXPLOITATION_FORMS = ['sexual', 'criminal', 'labour'];
export const SECTORS = ['home', 'escort_hotel', 'brothel_club', 'window', 'street', 'online_webcam', 'other'];
export const GENDERS = ['female', 'male', 'neutral', 'unknown'];
export const AGE_BANDS = ['minor', '18-22', '23-29', '30-39', '40+'];
export const CONTACT_METHODS = ['phone', 'contact_moment', 'via_organisation'];
export const PROBABLY_DUTCH = 'probably_dutch';
/** A referral in one of these may still change before it reaches the unit. */
export const OPEN = new Set(['proposed', 'consented', 'sending']);

// The order a referral's states follow; an update never moves a referral back in it. Replayed
// or late frames (and HTTP answers racing the socket) can therefore be applied in any order.
const RANK = { proposed: 1, consented: 2, sending: 3, sent: 4, failed: 4, received: 5, closed: 6, refused: 9, withdrawn: 9, cancelled: 9 };

/** True when `next` is newer than `shown` (same referral). */
export function isNewer(next, shown) {
  if (!shown) return true;
  const a = RANK[next.status] ?? 0;
  const b = RANK[shown.status] ?? 0;
  return a > b;
}

export function ageBandOf(age) {
  if (age < 18) return 'minor';
  if (age <= 22) return '18-22';
  if (age <= 29) return '23-29';
  if (age <= 39) return '30-39';
  return '40+';
}

export function nationalityText(code) {
  if (code === PROBABLY_DUTCH) return t('ref_probably_dutch');
  try {
    const name = new Intl.DisplayNames([getLang()], { type: 'region' }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return String(code);
  }
}

export function contactText(contact) {
  const method = contact?.method;
  const detail = contact?.detail ?? '';
  const label = t(`refContact_${method}`);
  return detail ? `${label}: ${detail}` : label;
}

function list(codes, prefix) {
  return codes?.length ? codes.map((code) => t(`${prefix}${code}`)).join(', ') : t('refNone');
}

/** [label, value] for every field the referral shares, in the order of the contract. */
export function shareRows(shares, staff = false) {
  return [
    [t('refField_exploitation_forms'), list(shares.exploitation_forms, 'refExploitation_')],
    [t('refField_sectors'), list(shares.sectors, 'refSector_')],
    [t('refField_gender'), t(`refGender_${shares.gender}`)],
    [t('refField_age'), shares.age == null ? t('refUnknown') : String(shares.age)],
    [t('refField_age_band'), t(`refBand_${shares.age_band}`)],
    [t('refField_nationality'), nationalityText(shares.nationality)],
    [t(staff ? 'refField_contact_staff' : 'refField_contact'), contactText(shares.contact)],
    [t('refField_acutely_unsafe'), shares.acutely_unsafe ? t('refYes') : t('refNo')],
    [t('refField_summary'), shares.summary ?? ''],
  ];
}

/** A <dl> of what is shared. */
export function sharesList(shares, staff = false) {
  const dl = document.createElement('dl');
  dl.className = 'shares';
  for (const [label, value] of shareRows(shares, staff)) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
  }
  return dl;
}
