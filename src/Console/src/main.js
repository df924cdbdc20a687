// The console's pages, chosen by the URL's hash: sign in, meshes, a mesh's resources, the editor, the service map,
// traffic shifting and the audit log.
import { h, show } from './dom.js';
import { auditRecords, session as sessionApi, useSession } from './api.js';
import { KINDS, MESH_CHILD_KINDS, list, remove } from './kinds.js';
import { editorPage } from './editor.js';
import { detailPanel, loadMesh, renderMap, strayProxiesSection, unreadSection } from './map.js';
import { shiftPage } from './shift.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let session = null;
/** A message about the session itself (a sign-out that did not happen, another tab's sign-in), shown in the header. */
let sessionNotice = '';
/** Counts renders: a page that finishes loading after the user moved on must not replace the page they moved to. */
let renders = 0;
/** The page asked for when a sign-in was needed (a deep link, or the page the session ended on): shown after it. */
let afterSignIn = null;

const go = hash => {
  if (location.hash === hash) render();
  else location.hash = hash;
};
const q = encodeURIComponent;

/** No session (a deep link opened signed out, or the session ended under the page): sign in, then show that page. */
function signedOut() {
  if (!location.hash.startsWith('#/signin')) afterSignIn = location.hash;
  session = null;
  useSession(null);
  go('#/signin');
}

/**
 * Asks the server who this browser is signed in as, and shows that: after a refused write or sign-out, the cookie
 * may stand for another sign-in (another tab's, with another key) or for none.
 */
async function rereadSession() {
  let current;
  try {
    current = await sessionApi.current();
  } catch (e) {
    if (e.code === 'UnrecognizedClientException') signedOut();
    return;
  }
  if (session && (current.accessKeyId !== session.accessKeyId || current.csrfToken !== session.csrfToken)) {
    sessionNotice = `This browser is now signed in as ${current.accessKeyId} (account ${current.accountId}), by another sign-in.`;
  }
  session = current;
  useSession(session, signedOut, rereadSession);
  renderNav();
}

/** A navigation link, marked as the current page's for screen readers (and the style) when it is. */
function navLink(href, text) {
  const path = location.hash.split('?')[0];
  const current = href === path || (href === '#/meshes' && (path === '' || path === '#' || path === '#/'));
  return h('a', { href, 'aria-current': current ? 'page' : null }, text);
}

function renderNav() {
  show(nav, session
    ? [
      navLink('#/meshes', 'Meshes'),
      navLink('#/audit', 'Audit log'),
      h('span', { class: 'who', id: 'who' }, `${session.accessKeyId || 'no authentication'} · account ${session.accountId}${session.canWrite ? '' : ' · read-only'}`),
      session.authMode === 'None' ? null : h('button', { type: 'button', id: 'signout', onclick: signOut }, 'Sign out'),
      sessionNotice ? h('p', { role: 'alert', class: 'notice', id: 'session-notice' }, sessionNotice) : null,
    ]
    : []);
}

/** Signs out, and shows signed out only when the server says this browser no longer is signed in. */
async function signOut() {
  try {
    await sessionApi.signOut();
    sessionNotice = '';
    session = null;
    useSession(null);
    afterSignIn = null;
    go('#/signin');
    return;
  } catch (e) {
    sessionNotice = `Sign out failed (${e.code || 'Error'}: ${e.message}).`;
  }
  await rereadSession();
}

function signInPage() {
  const id = h('input', { id: 'access-key-id', name: 'accessKeyId', autocomplete: 'username', required: true });
  const secret = h('input', { id: 'secret-access-key', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('p', { role: 'alert', class: 'status', id: 'signin-status' });
  async function submit(event) {
    event.preventDefault();
    status.textContent = 'Signing in…';
    try {
      session = await sessionApi.signIn(id.value.trim(), secret.value);
      secret.value = '';
      sessionNotice = '';
      useSession(session, signedOut, rereadSession);
      const next = afterSignIn;
      afterSignIn = null;
      go(next && next.startsWith('#/') ? next : '#/meshes');
    } catch (e) {
      status.textContent = e.message;
    }
  }
  return [
    h('h1', null, 'Sign in'),
    h('p', null, 'Use an access key of this API (as made by ', h('code', null, 'Mesh.Api keys create'), '). The secret is checked by the server and never kept by this page.'),
    h('form', { id: 'signin', onsubmit: submit },
      h('div', { class: 'field' }, h('label', { for: 'access-key-id' }, 'Access key id'), id),
      h('div', { class: 'field' }, h('label', { for: 'secret-access-key' }, 'Secret access key'), secret),
      h('button', { type: 'submit', id: 'signin-submit' }, 'Sign in'),
      status),
  ];
}

function deleteButton(label, action) {
  const button = h('button', { type: 'button', class: 'danger', 'aria-label': label }, 'Delete');
  button.addEventListener('click', async () => {
    if (!confirm(`${label}?`)) return;
    try {
      await action();
      render();
    } catch (e) {
      alert(`${e.code || 'Error'}: ${e.message}`);
    }
  });
  return button;
}

async function meshesPage() {
  const meshes = await list('mesh');
  return [
    h('h1', null, 'Meshes'),
    session.canWrite ? h('p', null, h('a', { href: '#/edit?kind=mesh', class: 'button', id: 'new-mesh' }, 'New mesh')) : null,
    meshes.length
      ? h('table', { id: 'meshes' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Mesh'), h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Actions'))),
        h('tbody', null, meshes.map(m => h('tr', null,
          h('td', null, h('a', { href: `#/mesh?mesh=${q(m.meshName)}` }, m.meshName)),
          h('td', null, m.version),
          h('td', null,
            h('a', { href: `#/map?mesh=${q(m.meshName)}` }, 'Map'), ' ',
            h('a', { href: `#/edit?kind=mesh&name=${q(m.meshName)}` }, 'Edit'), ' ',
            session.canWrite ? deleteButton(`Delete mesh ${m.meshName}`, () => remove('mesh', null, null, m.meshName)) : null)))))
      : h('p', null, 'No meshes yet.'),
  ];
}

async function meshPage(mesh) {
  const sections = [];
  for (const kindName of MESH_CHILD_KINDS) {
    const kind = KINDS[kindName];
    const items = await list(kindName, mesh);
    const childKind = kindName === 'virtualRouter' ? 'route' : kindName === 'virtualGateway' ? 'gatewayRoute' : null;
    const rows = [];
    for (const item of items) {
      const name = item[kind.nameMember];
      rows.push(h('tr', null,
        h('td', null, name),
        h('td', null,
          h('a', { href: `#/edit?mesh=${q(mesh)}&kind=${kindName}&name=${q(name)}` }, 'Edit'), ' ',
          session.canWrite ? deleteButton(`Delete ${kind.label.toLowerCase()} ${name}`, () => remove(kindName, mesh, null, name)) : null,
          childKind && session.canWrite ? [' ', h('a', { href: `#/edit?mesh=${q(mesh)}&kind=${childKind}&parent=${q(name)}` }, `New ${KINDS[childKind].label.toLowerCase()}`)] : null)));
      if (childKind) {
        for (const child of await list(childKind, mesh, name)) {
          const childName = child[KINDS[childKind].nameMember];
          rows.push(h('tr', { class: 'child' },
            h('td', null, `↳ ${KINDS[childKind].label.toLowerCase()} ${childName}`),
            h('td', null,
              h('a', { href: `#/edit?mesh=${q(mesh)}&kind=${childKind}&parent=${q(name)}&name=${q(childName)}` }, 'Edit'), ' ',
              childKind === 'route' ? [h('a', { href: `#/shift?mesh=${q(mesh)}&router=${q(name)}&route=${q(childName)}` }, 'Shift traffic'), ' '] : null,
              session.canWrite ? deleteButton(`Delete ${KINDS[childKind].label.toLowerCase()} ${childName}`, () => remove(childKind, mesh, name, childName)) : null)));
        }
      }
    }
    sections.push(h('section', { 'aria-labelledby': `h-${kindName}` },
      h('h2', { id: `h-${kindName}` }, kind.plural),
      session.canWrite ? h('p', null, h('a', { href: `#/edit?mesh=${q(mesh)}&kind=${kindName}`, id: `new-${kindName}` }, `New ${kind.label.toLowerCase()}`)) : null,
      rows.length
        ? h('table', { id: `list-${kindName}` }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Actions'))), h('tbody', null, rows))
        : h('p', null, 'None.')));
  }
  return [h('h1', null, `Mesh ${mesh}`), h('p', null, h('a', { href: `#/map?mesh=${q(mesh)}`, id: 'map-link' }, 'Service map')), sections];
}

async function mapPage(mesh) {
  const fetchStarted = performance.now();
  const data = await loadMesh(mesh);
  const fetched = performance.now();
  // Routes and gateway routes live in routers and gateways: without these four kinds there is nothing to draw (and an
  // empty graph's layout has no size an SVG can take).
  if ([data.nodes, data.services, data.routers, data.gateways].every(items => items.length === 0)) {
    return [
      h('h1', null, `Service map: ${mesh}`),
      h('p', { id: 'map-empty' }, 'This mesh has no virtual nodes, services, routers or gateways yet: there is nothing to draw. ',
        h('a', { href: `#/mesh?mesh=${q(mesh)}` }, 'Resources')),
      unreadSection(data),
      strayProxiesSection(data),
    ];
  }
  const detail = h('div', { id: 'detail' });
  const links = { shift: node => `#/shift?mesh=${q(mesh)}&router=${q(node.router)}&route=${q(node.title)}` };
  const { svg, layoutMs, drawMs, nodeCount } = renderMap(data, node => show(detail, detailPanel(data, node, links)));
  const unreachable = data.status.unreachable || [];
  const container = h('div', { class: 'map-scroll', id: 'map' }, svg);
  // A map up to twice the window's width is shown whole; a larger one at full size, scrolled, so labels stay readable.
  const fit = h('button', { type: 'button', id: 'zoom', 'aria-pressed': 'false' }, 'Fit to width');
  const setFit = on => {
    svg.classList.toggle('fit', on);
    fit.setAttribute('aria-pressed', String(on));
  };
  fit.addEventListener('click', () => setFit(!svg.classList.contains('fit')));
  setFit(Number(svg.getAttribute('width')) <= 2 * window.innerWidth);
  // Measured for the benchmark (benchmarks/console): layout and drawing, and the first paint after them.
  requestAnimationFrame(() => {
    window.meshMapTiming = { nodes: nodeCount, fetchMs: fetched - fetchStarted, layoutMs, drawMs, renderMs: performance.now() - fetched };
    container.dataset.rendered = 'true';
  });
  return [
    h('h1', null, `Service map: ${mesh}`),
    h('p', null, `${nodeCount} resources. Select one for its proxies and warnings. `, h('a', { href: `#/mesh?mesh=${q(mesh)}` }, 'Resources'), ' · ',
      // The link names the page it is on, so following it changes no hash: it renders the page again itself.
      h('a', { href: `#/map?mesh=${q(mesh)}`, id: 'refresh', onclick: event => { event.preventDefault(); render(); } }, 'Refresh'), ' ', fit),
    data.status.configured ? null : h('p', { class: 'notice' }, 'Proxy status is not configured on the API host (Mesh:Console:ProxyStatusUrls): no proxies are shown.'),
    unreachable.length ? h('p', { class: 'notice' }, `Proxy status missing from: ${unreachable.map(u => `${u.url} (${u.error})`).join('; ')}`) : null,
    unreadSection(data),
    h('p', { class: 'legend' }, h('span', { class: 'sync synced' }, '■ in sync'), ' ', h('span', { class: 'sync waiting' }, '■ waiting'), ' ', h('span', { class: 'sync nacked' }, '■ NACKed')),
    container,
    strayProxiesSection(data),
    detail,
  ];
}

async function auditPage() {
  const table = h('tbody');
  const more = h('button', { type: 'button', id: 'older' }, 'Older records');
  const status = h('p', { role: 'status', class: 'status', id: 'audit-status', 'aria-live': 'polite' });
  let before = null;
  async function load() {
    const page = await auditRecords(before);
    for (const r of page.records) {
      table.append(h('tr', { class: r.errorCode ? 'failed' : '' },
        h('td', null, new Date(r.at).toISOString().replace('T', ' ').replace('Z', ' UTC')),
        h('td', null, r.accessKeyId || '(none)'),
        h('td', null, r.action),
        h('td', { class: 'arn' }, r.resourceArn),
        h('td', null, r.errorCode ? `${r.statusCode} ${r.errorCode}: ${r.message}` : String(r.statusCode)),
        h('td', null, r.sourceAddress)));
    }
    before = page.nextBefore;
    more.hidden = !before;
  }
  // One page at a time: a second click while one loads would ask for the same page again and list it twice. A
  // failure is shown beside the button (a click handler's error would otherwise go nowhere).
  more.addEventListener('click', async () => {
    if (more.disabled) return;
    more.disabled = true;
    status.textContent = 'Loading older records…';
    try {
      await load();
      status.textContent = '';
    } catch (e) {
      status.textContent = `Older records could not be read (${e.code || 'Error'}: ${e.message}).`;
    } finally {
      more.disabled = false;
    }
  });
  await load();
  return [
    h('h1', null, 'Audit log'),
    h('p', null, 'Who changed what in this account, newest first: every write, every refused call and every console sign-in.'),
    // Six columns do not fit a phone: the table scrolls sideways by itself (and by keyboard), the page does not.
    h('div', { class: 'scroll-x', tabindex: 0, role: 'region', 'aria-label': 'Audit records' },
      h('table', { id: 'audit' }, h('thead', null, h('tr', null, ['When', 'Access key', 'Action', 'Resource', 'Result', 'From'].map(t => h('th', { scope: 'col' }, t)))), table)),
    more,
    status,
  ];
}

/** What an address that names no page, or lacks what its page needs, shows: rather than ask the API about 'null'. */
function notFound(message) {
  return [h('h1', { id: 'not-found' }, 'Not found'), h('p', null, message, ' ', h('a', { href: '#/meshes' }, 'Meshes'))];
}

/** What each address parameter names, for saying which one an address lacks. */
const PARAMETERS = { mesh: 'mesh', router: 'virtual router', route: 'route' };

async function page(path, params) {
  const canWrite = session.canWrite;
  // The parameters a page needs and the address lacks (or leaves empty): "Not found" names them.
  const needs = (...names) => {
    const missing = names.filter(name => !params.get(name)).map(name => PARAMETERS[name] ?? name);
    return missing.length ? notFound(`This address names no ${missing.join(' and no ')}.`) : null;
  };
  switch (path) {
    case '/meshes': return meshesPage();
    case '/mesh': return needs('mesh') || meshPage(params.get('mesh'));
    case '/map': return needs('mesh') || mapPage(params.get('mesh'));
    case '/audit': return auditPage();
    case '/shift': return needs('mesh', 'router', 'route') || shiftPage({ mesh: params.get('mesh'), router: params.get('router'), route: params.get('route'), canWrite });
    case '/edit': {
      const kindName = params.get('kind');
      if (!Object.hasOwn(KINDS, kindName ?? '')) return notFound(`No resource kind ${kindName}.`);
      const kind = KINDS[kindName];
      const missing = needs(...(kindName === 'mesh' ? [] : ['mesh']));
      if (missing) return missing;
      // A route lives in a virtual router, a gateway route in a virtual gateway: the address names it as `parent`.
      if (kind.parent && !params.get('parent')) return notFound(`This address names no ${KINDS[kind.parent].label.toLowerCase()} (parent).`);
      return editorPage({
        kindName,
        mesh: kindName === 'mesh' ? params.get('name') : params.get('mesh'),
        parent: params.get('parent'),
        name: params.get('name'),
        canWrite,
        go,
      });
    }
    default: return notFound(`The console has no page ${path}.`);
  }
}

const TITLES = { '/signin': 'Sign in', '/meshes': 'Meshes', '/mesh': 'Mesh', '/map': 'Service map', '/audit': 'Audit log', '/shift': 'Traffic shifting', '/edit': 'Editor' };

async function render() {
  // Only the newest render may show what it loaded: after each wait, an older one stops.
  const generation = ++renders;
  const current = () => generation === renders;
  const [hashPath, query] = location.hash.slice(1).split('?');
  const path = hashPath === '' || hashPath === '/' ? '/meshes' : hashPath;
  const params = new URLSearchParams(query || '');
  document.title = `${TITLES[path] || 'Console'} · Mesh console`;
  if (!session && path !== '/signin') {
    try {
      const signedIn = await sessionApi.current();
      if (!current()) return;
      session = signedIn;
      useSession(session, signedOut, rereadSession);
    } catch {
      if (current()) signedOut();
      return;
    }
  }
  renderNav();
  if (path === '/signin') {
    show(main, signInPage());
    main.dataset.page = 'signin';
    focusHeading();
    return;
  }
  main.dataset.page = 'loading';
  show(main, h('p', { role: 'status' }, 'Loading…'));
  try {
    const content = await page(path, params);
    if (!current()) return;
    show(main, content);
    main.dataset.page = path.slice(1);
    // The heading names the page's resource (a mesh, a route): so does the window's title, which names the tab.
    const heading = main.querySelector('h1')?.textContent;
    if (heading) document.title = `${heading} · Mesh console`;
  } catch (e) {
    if (!current()) return;
    show(main, h('h1', null, 'Error'), h('p', { role: 'alert', class: 'status' }, `${e.code || 'Error'}: ${e.message}`));
    main.dataset.page = 'error';
  }
  focusHeading();
}

/**
 * Moves the keyboard's focus to the new page's heading: the link or button that led here is gone with the page it
 * was on, which would leave the focus at the top of the document, and a screen reader silent about the new page.
 */
function focusHeading() {
  const heading = main.querySelector('h1');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}

window.addEventListener('hashchange', render);
render();
