// The console's one HTTP client. The session token lives in sessionStorage, so a closed tab is
// a logged-out tab. Any 401 ends the session: the page hears it as a 'sessionexpired' event.

let token = sessionStorage.getItem('staffToken');

export function getToken() { return token; }

export function setToken(next) {
  token = next;
  if (next) sessionStorage.setItem('staffToken', next);
  else sessionStorage.removeItem('staffToken');
}

/** JSON in, JSON out; a failure throws { code, message, field?, errors?, status }. */
export async function api(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store', credentials: 'omit', body: body && JSON.stringify(body),
    });
  } catch {
    throw { code: 'unavailable', status: 0 };
  }
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = { ...(data.error ?? { code: 'unavailable' }), status: response.status };
    if (response.status === 401 && token) document.dispatchEvent(new CustomEvent('sessionexpired'));
    throw error;
  }
  return data;
}

/** A path with its variable parts escaped: path`/api/x/${id}`. */
export function path(strings, ...parts) {
  return strings.reduce((out, text, i) => out + text + (i < parts.length ? encodeURIComponent(parts[i]) : ''), '');
}
