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
  const response = await send(method, path, body);
  return response.status === 204 ? {} : response.json().catch(() => ({}));
}

/**
 * A file from the API saved on this computer. The request needs the token, so a plain link
 * cannot fetch it: the answer becomes a blob handed to the browser's download. The name is the
 * server's (Content-Disposition); it is returned.
 */
export async function download(path) {
  const response = await send('GET', path);
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'download';
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the browser reads the blob after click()
  return name;
}

async function send(method, path, body) {
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
  if (response.ok) return response;
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && token) document.dispatchEvent(new CustomEvent('sessionexpired'));
  throw { ...(data.error ?? { code: 'unavailable' }), status: response.status };
}

/** A path with its variable parts escaped: path`/api/x/${id}`. */
export function path(strings, ...parts) {
  return strings.reduce((out, text, i) => out + text + (i < parts.length ? encodeURIComponent(parts[i]) : ''), '');
}
