// The console's only way to the server: ordinary App Mesh API calls (and the console's own reads), authenticated by
// the session cookie the browser holds (HttpOnly: this script never sees it). The CSRF token is kept in memory only
// and sent on every call that changes state.

export const API = '/v20190125';

let csrfToken = '';
let onSignedOut = () => {};
let onRefused = async () => {};

/**
 * The answers that mean this browser is no longer signed in: a session the server does not know (ended, expired, a
 * restarted host), and no session cookie at all, which is what the browser sends once the cookie has expired (it
 * lives as long as the session) or another tab's sign-out has removed it.
 */
const SIGNED_OUT = new Set(['UnrecognizedClientException', 'MissingAuthenticationTokenException']);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Starts using a session's token. `signedOut` is called when the server no longer knows the session; `refused` when
 * a call that changes state is refused as forbidden, which is also how a stale CSRF token is answered: the browser's
 * cookie may by then stand for another sign-in (another tab), whose identity and token the page must re-read.
 */
export function useSession(session, signedOut, refused) {
  csrfToken = session ? session.csrfToken : '';
  if (signedOut) onSignedOut = signedOut;
  if (refused) onRefused = refused;
}

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-Mesh-Csrf'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = (response.headers.get('x-amzn-ErrorType') || '').split(':')[0];
    const error = new ApiError(response.status, code, (data && (data.message || data.Message)) || text || response.statusText);
    if (SIGNED_OUT.has(code) && !path.startsWith('/console/session')) onSignedOut();
    else if (response.status === 403 && method !== 'GET') await onRefused();
    throw error;
  }
  return data;
}

/** Every item of a paged App Mesh list. */
export async function listAll(path, key) {
  const items = [];
  let token = null;
  do {
    const query = new URLSearchParams({ limit: '100' });
    if (token) query.set('nextToken', token);
    const page = await call('GET', `${path}?${query}`);
    items.push(...(page[key] || []));
    token = page.nextToken;
  } while (token);
  return items;
}

/** Runs tasks with at most `width` in flight (describing a 200-node mesh must not trip the rate limit). */
export async function inParallel(items, width, task) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

export const session = {
  current: () => call('GET', '/console/session'),
  signIn: (accessKeyId, secretAccessKey) => call('POST', '/console/session', { accessKeyId, secretAccessKey }),
  signOut: () => call('DELETE', '/console/session'),
};

export const proxyStatus = mesh => call('GET', `/console/api/proxy-status?meshName=${encodeURIComponent(mesh)}`);

export const auditRecords = before => call('GET', `/console/api/audit?limit=100${before ? `&before=${before}` : ''}`);
