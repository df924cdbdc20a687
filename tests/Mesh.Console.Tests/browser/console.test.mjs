// Drives the web console in Debian's headless Chromium through puppeteer-core, one scenario per run:
//   node console.test.mjs resources | shift | readonly | backends | ports | errors | unfollowed | unreachable |
//   signout | identity | late | refresh | warnings | expired | deeplink | audit | emptymap | narrow |
//   strays | conflict | jsonspec | addresses | mapnames | focus | shiftpair | gateway | partialmap | streams |
//   shiftrange | titles | benchmark
// Environment: MESH_API_URL, MESH_ADMIN_KEY_ID/SECRET, MESH_READONLY_KEY_ID/SECRET, MESH_XDS_GRPC (host:port, for
// the proxyless client), MESH_SCREENSHOTS (a directory), CHROMIUM (default /usr/bin/chromium).
// Every page visited is screenshotted and checked by axe-core; a serious or critical violation fails the run.
// Exits 0 when every expectation held; otherwise prints the one that did not and exits 1.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';
import grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const API = process.env.MESH_API_URL;
const SHOTS = process.env.MESH_SCREENSHOTS || 'screenshots';
const scenario = process.argv[2];
// Mesh names get MESH_TEST_SUFFIX, so a scenario can run again against the same stack.
const DEMO = `demo${process.env.MESH_TEST_SUFFIX || ''}`;
const SHOP = `shop${process.env.MESH_TEST_SUFFIX || ''}`;
const FORMS = `forms${process.env.MESH_TEST_SUFFIX || ''}`;
const FOLLOW = `follow${process.env.MESH_TEST_SUFFIX || ''}`;
const NAV = `nav${process.env.MESH_TEST_SUFFIX || ''}`;
const PARTIAL = `partial${process.env.MESH_TEST_SUFFIX || ''}`;
const TARGETS = 'Targets (node[:port]:weight, ...)';
const BACKENDS = 'Backends (virtual service names, comma-separated)';
const axeFindings = [];

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

async function launch() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Tests run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1400, height: 900 },
  });
}

async function newPage(browser) {
  const page = await browser.newPage();
  // The console's Content-Security-Policy allows only its own scripts; axe is injected by the test itself.
  await page.setBypassCSP(true);
  page.on('dialog', dialog => dialog.accept());
  page.on('pageerror', error => console.log(`page error: ${error.message}`));
  page.setDefaultTimeout(30000);
  return page;
}

async function waitPage(page, name) {
  await page.waitForSelector(`main[data-page="${name}"]`);
}

/** Screenshot of the page as it is, and axe-core's serious and critical findings on it. */
async function capture(page, name) {
  await page.screenshot({ path: `${SHOTS}/${scenario}-${name}.png`, fullPage: true });
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
  });
  const bad = violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  console.log(`page ${name}: screenshot ${scenario}-${name}.png, axe: ${violations.length} violations, ${bad.length} serious or critical`);
  for (const v of bad) {
    axeFindings.push(`${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
    console.log(`  ${axeFindings[axeFindings.length - 1]}`);
  }
}

async function go(page, hash, name) {
  await page.goto(`${API}/console${hash}`, { waitUntil: 'domcontentloaded' });
  await page.evaluate(h => { if (location.hash !== h) location.hash = h; }, hash);
  await waitPage(page, name);
}

/** Signs in through the form; `hash` '#/signin' reaches it in a browser another tab has already signed in. */
async function signIn(page, id, secret, hash = '') {
  await page.goto(`${API}/console${hash}`, { waitUntil: 'domcontentloaded' });
  await waitPage(page, 'signin');
  await capture(page, 'signin');
  await page.type('#access-key-id', id);
  await page.type('#secret-access-key', secret);
  await page.click('#signin-submit');
  await waitPage(page, 'meshes');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  expect(!stored.includes(secret), 'the secret is not kept where a script can read it (storage, readable cookies)');
}

async function setField(page, selector, value) {
  await page.$eval(selector, (element, v) => {
    element.value = v;
    element.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function fieldByLabel(page, label) {
  const id = await page.evaluate(text => [...document.querySelectorAll('label')].find(l => l.textContent.trim() === text)?.htmlFor, label);
  expect(id, `the editor has a field labelled "${label}"`);
  return `#${id}`;
}

/** Creates a resource through the editor form: name, then form fields by label. */
async function createThroughForm(page, hash, name, fields) {
  await go(page, hash, 'edit');
  await setField(page, '#f-name', name);
  for (const [label, value] of Object.entries(fields)) await setField(page, await fieldByLabel(page, label), value);
  await page.click('#save');
  await page.waitForFunction(() => ['mesh', 'error'].includes(document.querySelector('main').dataset.page) || /Error|Exception/.test(document.querySelector('#editor .status')?.textContent || ''));
  const status = await page.$eval('main', m => m.dataset.page === 'mesh' ? 'ok' : m.textContent);
  expect(status === 'ok', `creating ${name} succeeded (${status})`);
}

/** An App Mesh call made from the signed-in page, as the console makes it (cookie and CSRF token); returns status and body. */
async function appmesh(page, method, path, body) {
  return page.evaluate(async (method, path, body) => {
    const csrf = (await (await fetch('/console/session')).json()).csrfToken;
    const r = await fetch(`/v20190125${path}`, {
      method, headers: { 'Content-Type': 'application/json', 'X-Mesh-Csrf': csrf }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }, method, path, body);
}

/** appmesh(), expecting success. */
async function must(page, method, path, body) {
  const r = await appmesh(page, method, path, body);
  expect(r.status === 200, `${method} ${path} succeeds (${r.status} ${JSON.stringify(r.body)})`);
  return r.body;
}

/** appmesh() creating a resource that an earlier scenario or run may have made already (409). */
async function ensure(page, path, body) {
  const r = await appmesh(page, 'PUT', path, body);
  expect(r.status === 200 || r.status === 409, `PUT ${path} succeeds or finds it there (${r.status} ${JSON.stringify(r.body)})`);
}

/** The editor's field whose label starts with `prefix` (a label that says more than its name, e.g. the targets' syntax). */
async function fieldStartingWith(page, prefix) {
  const id = await page.evaluate(text => [...document.querySelectorAll('label')].find(l => l.textContent.trim().startsWith(text))?.htmlFor, prefix);
  expect(id, `the editor has a field labelled "${prefix}..."`);
  return `#${id}`;
}

/** The text of the error shown under a field (selector #f-N; its error is #e-N). */
async function errorAt(page, field) {
  return page.$eval(`#e-${field.slice('#f-'.length)}`, e => e.textContent);
}

// --- scenarios ------------------------------------------------------------------------------------------------

async function resources(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  await capture(page, 'meshes-empty');

  // A mesh through the form.
  await go(page, '#/edit?kind=mesh', 'edit');
  await capture(page, 'editor-new-mesh');
  await createThroughForm(page, '#/edit?kind=mesh', SHOP, { 'Egress filter': 'ALLOW_ALL' });

  // A validation error lands next to the field it names.
  await go(page, `#/edit?mesh=${SHOP}&kind=virtualNode`, 'edit');
  await setField(page, '#f-name', 'catalog');
  await setField(page, await fieldByLabel(page, 'Listener port'), '70000');
  await page.click('#save');
  const portError = `#e-${(await fieldByLabel(page, 'Listener port')).slice('#f-'.length)}`;
  await page.waitForFunction(sel => document.querySelector(sel)?.textContent.length > 0, {}, portError);
  const message = await page.$eval(portError, e => e.textContent);
  expect(/port/i.test(message), `the port's error names the port: ${message}`);
  await capture(page, 'editor-validation-error');

  // Fixed, it saves; the node then appears in the mesh's list.
  await setField(page, await fieldByLabel(page, 'Listener port'), '8080');
  await setField(page, await fieldByLabel(page, 'DNS hostname'), 'catalog.shop.local');
  await page.click('#save');
  await waitPage(page, 'mesh');
  await createThroughForm(page, `#/edit?mesh=${SHOP}&kind=virtualRouter`, 'catalog-router', { 'Listener port': '8080', 'Listener protocol': 'http' });
  await createThroughForm(page, `#/edit?mesh=${SHOP}&kind=route&parent=catalog-router`, 'all', { 'Match prefix (HTTP)': '/', [TARGETS]: 'catalog:1' });
  await createThroughForm(page, `#/edit?mesh=${SHOP}&kind=virtualService`, 'catalog.shop.local', { 'Provider: virtual router': 'catalog-router' });
  await createThroughForm(page, `#/edit?mesh=${SHOP}&kind=virtualGateway`, 'ingress', { 'Listener port': '9080', 'Listener protocol': 'http' });
  await createThroughForm(page, `#/edit?mesh=${SHOP}&kind=gatewayRoute&parent=ingress`, 'to-catalog', { 'Match prefix (HTTP)': '/catalog', 'Target virtual service': 'catalog.shop.local' });
  const listed = await page.$eval('main', m => m.textContent);
  for (const name of ['catalog', 'catalog-router', 'all', 'catalog.shop.local', 'ingress', 'to-catalog']) expect(listed.includes(name), `the mesh page lists ${name}`);
  await capture(page, 'mesh-resources');

  // The map of every kind: gateway → gateway route → service → router → route → node.
  await go(page, `#/map?mesh=${SHOP}`, 'map');
  for (const id of ['vg:ingress', 'gr:ingress/to-catalog', 'vs:catalog.shop.local', 'vr:catalog-router', 'rt:catalog-router/all', 'vn:catalog']) {
    expect(await page.$(`g.node[data-id="${id}"]`), `the map shows ${id}`);
  }
  await capture(page, 'map');

  // Edit through the JSON: the form follows, and the saved spec has the change.
  await go(page, `#/edit?mesh=${SHOP}&kind=virtualNode&name=catalog`, 'edit');
  const spec = JSON.parse(await page.$eval('#f-json', e => e.value));
  spec.serviceDiscovery.dns.hostname = 'catalog-v2.shop.local';
  await setField(page, '#f-json', JSON.stringify(spec, null, 2));
  expect(await page.$eval(await fieldByLabel(page, 'DNS hostname'), e => e.value) === 'catalog-v2.shop.local', 'the form follows the JSON');
  await capture(page, 'editor-edit-node');
  await page.click('#save');
  await waitPage(page, 'mesh');
  await go(page, `#/edit?mesh=${SHOP}&kind=virtualNode&name=catalog`, 'edit');
  expect(await page.$eval(await fieldByLabel(page, 'DNS hostname'), e => e.value) === 'catalog-v2.shop.local', 'the edit was saved');

  // A state-changing call without the CSRF token is refused, even with the session cookie.
  const forged = await page.evaluate(async () => {
    const r = await fetch('/v20190125/meshes', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ meshName: 'forged' }) });
    return r.status;
  });
  expect(forged === 403, `a write without the CSRF token is refused (status ${forged})`);

  // Delete: the service goes.
  await go(page, `#/mesh?mesh=${SHOP}`, 'mesh');
  await page.click('button[aria-label="Delete gateway route to-catalog"]');
  await page.waitForFunction(() => document.querySelector('main').dataset.page === 'mesh' && !document.querySelector('main').textContent.includes('to-catalog'));
  await page.click('button[aria-label="Delete virtual service catalog.shop.local"]');
  await page.waitForFunction(() => document.querySelector('main').dataset.page === 'mesh' && !document.querySelector('#list-virtualService'));

  // The audit log shows who did it.
  await go(page, '#/audit', 'audit');
  const audit = await page.$eval('#audit', t => t.textContent);
  for (const action of ['appmesh:CreateMesh', 'appmesh:UpdateVirtualNode', 'appmesh:CreateGatewayRoute', 'appmesh:DeleteGatewayRoute', 'appmesh:DeleteVirtualService', 'console:SignIn']) {
    expect(audit.includes(action), `the audit log shows ${action}`);
  }
  expect(audit.includes(process.env.MESH_ADMIN_KEY_ID), 'the audit log names the admin key');
  await capture(page, 'audit');
  await page.click('#signout');
  await waitPage(page, 'signin');
}

/** A gRPC server answering /mesh.Echo/Who with its name. */
function startBackend(name) {
  const server = new grpc.Server();
  const identity = b => b;
  server.addService({ Who: { path: '/mesh.Echo/Who', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { Who: (_call, callback) => callback(null, Buffer.from(name)) });
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve({ server, port }))));
}

function startProxyless(nodeId, target) {
  const bootstrap = {
    xds_servers: [{ server_uri: process.env.MESH_XDS_GRPC, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, cluster: 'console-test', locality: {} },
  };
  const child = spawn(process.execPath, ['proxyless.mjs', target], { env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const recent = [];
  createInterface({ input: child.stdout }).on('line', line => {
    recent.push(JSON.parse(line));
    if (recent.length > 400) recent.shift();
  });
  return { child, recent };
}

async function mapNode(page, id) {
  return page.$eval(`g.node[data-id="${id}"] .sync`, e => e.dataset.sync).catch(() => null);
}

/** Reloads the map until the web node shows `state`. */
async function waitForSync(page, id, state) {
  for (let i = 0; i < 60; i++) {
    await go(page, `#/map?mesh=${DEMO}&t=${Date.now()}`, 'map');
    if ((await mapNode(page, id)) === state) return;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`expectation failed: ${id} shows ${state} on the map (it shows ${await mapNode(page, id)})`);
}

async function shift(browser) {
  const v1 = await startBackend('backend-v1');
  const v2 = await startBackend('backend-v2');
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  await createThroughForm(page, '#/edit?kind=mesh', `${DEMO}`, {});
  for (const [name, port] of [['api-v1', v1.port], ['api-v2', v2.port]]) {
    await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualNode`, name, { 'Listener port': String(port), 'Listener protocol': 'grpc', 'DNS hostname': '127.0.0.1' });
  }
  await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualRouter`, 'api-router', { 'Listener port': '7000', 'Listener protocol': 'grpc' });
  await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=route&parent=api-router`, 'split', {
    Type: 'grpcRoute', 'Match prefix (HTTP)': '', 'Match service name (gRPC)': 'mesh.Echo', [TARGETS]: 'api-v1:97, api-v2:3',
  });
  await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualService`, 'api.demo.local', { 'Provider: virtual router': 'api-router' });
  // Only the other provider filled in: the form must not send an empty router beside it.
  await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualService`, 'v1.demo.local', { 'Provider: virtual node': 'api-v1' });
  await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualNode`, 'web', {
    'Listener port': '8080', 'Listener protocol': 'http', 'DNS hostname': '10.0.0.1', [BACKENDS]: 'api.demo.local',
  });
  await capture(page, 'mesh-resources');

  // A real proxyless client connects as the web node and calls the service.
  const client = startProxyless(`mesh/${DEMO}/virtualNode/web`, 'xds:///api.demo.local');
  let rejecting = null;
  try {
    await waitForSync(page, 'vn:web', 'synced');
    const weights = await page.$$eval('text.weight', ts => ts.map(t => t.textContent).sort());
    expect(JSON.stringify(weights) === JSON.stringify(['3', '97']), `the map shows the route's weights 97 and 3 (${weights})`);
    await page.click('g.node[data-id="vn:web"]');
    await page.waitForSelector('#detail table.proxies');
    const detail = await page.$eval('#detail', d => d.textContent);
    expect(detail.includes(`mesh/${DEMO}/virtualNode/web`) && detail.includes('in sync'), `the web node's panel lists its proxy in sync: ${detail}`);
    await capture(page, 'map-synced');

    // Shift 97/3 → 50/50 from the route's panel.
    await page.click('g.node[data-id="rt:api-router/split"]');
    await page.waitForSelector('#shift-link');
    await page.click('#shift-link');
    await waitPage(page, 'shift');
    expect(await page.$eval('#w-0', e => e.value) === '97' && await page.$eval('#w-1', e => e.value) === '3', 'the shift page starts at 97/3');
    await capture(page, 'shift-before');
    await setField(page, '#w-0', '50');
    expect(await page.$eval('#w-1', e => e.value) === '50', 'moving one weight moves the other (50/50)');
    await page.click('#apply');
    await page.waitForSelector('#shift-status[data-state="acked"]', { timeout: 60000 });
    const acked = await page.$eval('#shift-status', e => e.textContent);
    expect(/all 1 affected proxy has ACKed/.test(acked), `the shift page says the proxy ACKed: ${acked}`);
    expect(await page.$eval('#acks', (e, id) => e.textContent.includes(id), `mesh/${DEMO}/virtualNode/web`), 'the ACK is the web proxy\'s');
    await capture(page, 'shift-acked');

    // The client's traffic follows: both backends answer now (at 97/3, v2 got about 3 in 100).
    client.recent.length = 0;
    await new Promise(r => setTimeout(r, 8000));
    const seen = client.recent.map(r => r.backend).filter(Boolean);
    const v2share = seen.filter(b => b === 'backend-v2').length / Math.max(1, seen.length);
    console.log(`after the shift: ${seen.length} calls, ${(v2share * 100).toFixed(0)}% to backend-v2`);
    expect(seen.length >= 20 && v2share > 0.2 && v2share < 0.8, `traffic is split about 50/50 after the shift (${(v2share * 100).toFixed(0)}% of ${seen.length} to v2)`);

    // A configuration the client rejects: web also dials a service whose name, as a route configuration's domain,
    // has a wildcard in the middle, which gRPC refuses (A28); the API and the translation let it through.
    await createThroughForm(page, `#/edit?mesh=${DEMO}&kind=virtualService`, 'bad*name.demo.local', { 'Provider: virtual router': 'api-router' });
    await go(page, `#/edit?mesh=${DEMO}&kind=virtualNode&name=web`, 'edit');
    await setField(page, await fieldByLabel(page, BACKENDS), 'api.demo.local, bad*name.demo.local');
    await page.click('#save');
    await waitPage(page, 'mesh');
    rejecting = startProxyless(`mesh/${DEMO}/virtualNode/web`, 'xds:///bad*name.demo.local');
    await waitForSync(page, 'vn:web', 'nacked');
    await page.click('g.node[data-id="vn:web"]');
    await page.waitForSelector('#detail td.nack-error');
    const error = await page.$eval('#detail', d => d.textContent);
    expect(/NACKed/.test(error) && /rds|wildcard/i.test(error), `the web node's panel shows the NACK with the client's error: ${error}`);
    await capture(page, 'map-nacked');
  } finally {
    client.child.kill();
    rejecting?.child.kill();
    v1.server.forceShutdown();
    v2.server.forceShutdown();
  }
}

async function readonly(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_READONLY_KEY_ID, process.env.MESH_READONLY_SECRET);
  expect((await page.$eval('#who', e => e.textContent)).includes('read-only'), 'the console says it is read-only');
  expect(!(await page.$('#new-mesh')), 'a read-only console offers no "New mesh"');
  await capture(page, 'meshes');

  // Writing anyway (the form reached by its address) is refused by the API, which names the missing permission.
  await go(page, '#/edit?kind=mesh', 'edit');
  await setField(page, '#f-name', 'not-allowed');
  await page.click('#save');
  await page.waitForFunction(() => /Forbidden/.test(document.querySelector('#editor .status').textContent));
  const refusal = await page.$eval('#editor .status', e => e.textContent);
  expect(refusal.includes('not authorized to perform appmesh:CreateMesh'), `the write is refused: ${refusal}`);
  await capture(page, 'write-refused');

  // Reading works; the refused write is in the audit log.
  await go(page, '#/meshes', 'meshes');
  expect(!(await page.$eval('main', m => m.textContent)).includes('not-allowed'), 'the refused mesh does not exist');
  await go(page, '#/audit', 'audit');
  const audit = await page.$eval('#audit', t => t.textContent);
  expect(audit.includes('ForbiddenException') && audit.includes(process.env.MESH_READONLY_KEY_ID), 'the audit log shows the refused write by the read-only key');
  await capture(page, 'audit');
}

/** The forms mesh: node api listening on 8080 and 8081, services provided by it, a router (each kept when there). */
async function formsMesh(page) {
  const mesh = FORMS;
  const listeners = [8080, 8081].map(port => ({ portMapping: { port, protocol: 'http' } }));
  await ensure(page, '/meshes', { meshName: mesh, spec: {} });
  await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: 'api', spec: { listeners, serviceDiscovery: { dns: { hostname: 'api.forms.local' } } } });
  for (const name of ['api.forms.local', 'other.forms.local']) {
    await ensure(page, `/meshes/${mesh}/virtualServices`, { virtualServiceName: name, spec: { provider: { virtualNode: { virtualNodeName: 'api' } } } });
  }
  await ensure(page, `/meshes/${mesh}/virtualRouters`, { virtualRouterName: 'api-router', spec: { listeners: [listeners[0]] } });
  return { mesh, listeners };
}

/** Editing a node's backends by name keeps what the form does not show: a backend's TLS client policy. */
async function backends(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const { mesh, listeners } = await formsMesh(page);
  const tls = { enforce: true, ports: [8080], validation: { trust: { file: { certificateChain: '/certs/ca.pem' } } } };
  await must(page, 'PUT', `/meshes/${mesh}/virtualNodes`, {
    virtualNodeName: 'web',
    spec: { listeners: [listeners[0]], serviceDiscovery: { dns: { hostname: 'web.forms.local' } }, backends: [{ virtualService: { virtualServiceName: 'api.forms.local', clientPolicy: { tls } } }] },
  });

  await go(page, `#/edit?mesh=${mesh}&kind=virtualNode&name=web`, 'edit');
  await setField(page, await fieldByLabel(page, BACKENDS), 'api.forms.local, other.forms.local');
  await capture(page, 'editor-backends');
  await page.click('#save');
  await waitPage(page, 'mesh');
  const saved = (await must(page, 'GET', `/meshes/${mesh}/virtualNodes/web`)).spec.backends;
  expect(saved.map(b => b.virtualService.virtualServiceName).join() === 'api.forms.local,other.forms.local', `both backends are saved: ${JSON.stringify(saved)}`);
  expect(saved[0].virtualService.clientPolicy?.tls?.validation?.trust?.file?.certificateChain === '/certs/ca.pem' && saved[0].virtualService.clientPolicy.tls.enforce === true,
    `editing the backends kept api.forms.local's TLS client policy: ${JSON.stringify(saved)}`);
}

/** A route to one node on two of its ports: the form keeps each target's port, the map and the shift page show it. */
async function ports(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const { mesh } = await formsMesh(page);
  await must(page, 'PUT', `/meshes/${mesh}/virtualRouter/api-router/routes`, {
    routeName: 'by-port',
    spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'api', port: 8080, weight: 70 }, { virtualNode: 'api', port: 8081, weight: 30 }] } } },
  });

  await go(page, `#/edit?mesh=${mesh}&kind=route&parent=api-router&name=by-port`, 'edit');
  const field = await fieldStartingWith(page, 'Targets');
  const shown = await page.$eval(field, e => e.value);
  expect(shown === 'api:8080:70, api:8081:30', `the targets field shows each target's port (${shown})`);
  await setField(page, field, 'api:8080:50, api:8081:50');
  await page.click('#save');
  await waitPage(page, 'mesh');
  const targets = (await must(page, 'GET', `/meshes/${mesh}/virtualRouter/api-router/routes/by-port`)).spec.httpRoute.action.weightedTargets;
  expect(JSON.stringify(targets.map(t => [t.virtualNode, t.port, t.weight])) === JSON.stringify([['api', 8080, 50], ['api', 8081, 50]]),
    `the new weights are saved with their ports: ${JSON.stringify(targets)}`);

  await go(page, `#/map?mesh=${mesh}`, 'map');
  const edges = await page.$$eval('text.weight', ts => ts.map(t => t.textContent).sort());
  expect(JSON.stringify(edges) === JSON.stringify([':8080 50', ':8081 50']), `the map draws one edge per port, labelled with it (${edges})`);
  await capture(page, 'map-ports');
  await go(page, `#/shift?mesh=${mesh}&router=api-router&route=by-port`, 'shift');
  const rows = await page.$$eval('table.weights tbody th', ths => ths.map(t => t.textContent));
  expect(JSON.stringify(rows) === JSON.stringify(['api:8080', 'api:8081']), `the shift page names each target with its port (${rows})`);
  await capture(page, 'shift-ports');
}

/** Errors go to the field that owns their member most closely; a cleared field leaves no empty object behind. */
async function errors(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const { mesh } = await formsMesh(page);
  await ensure(page, `/meshes/${mesh}/virtualRouter/api-router/routes`, {
    routeName: 'plain', spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'api', weight: 60 }] } } },
  });

  // An error on the targets goes next to the targets, not to "Type" (whose member, the spec, contains everything).
  await go(page, `#/edit?mesh=${mesh}&kind=route&parent=api-router&name=plain`, 'edit');
  const route = JSON.parse(await page.$eval('#f-json', e => e.value));
  route.httpRoute.action.weightedTargets = [{ virtualNode: 'api', weight: 90 }, { virtualNode: 'api', weight: 50 }];
  await setField(page, '#f-json', JSON.stringify(route, null, 2));
  await page.click('#save');
  await page.waitForFunction(() => /Exception/.test(document.querySelector('#editor .status')?.textContent || ''));
  const targetsError = await errorAt(page, await fieldStartingWith(page, 'Targets'));
  expect(/add up/.test(targetsError), `the weights' error is shown at the targets: "${targetsError}"`);
  const typeError = await errorAt(page, await fieldByLabel(page, 'Type'));
  expect(typeError === '', `nothing is shown at "Type": "${typeError}"`);
  await capture(page, 'editor-targets-error');

  // An error on the second listener is not the form's "Listener port" (the first listener's): it goes to the JSON.
  await go(page, `#/edit?mesh=${mesh}&kind=virtualNode&name=api`, 'edit');
  const node = JSON.parse(await page.$eval('#f-json', e => e.value));
  node.listeners[1].portMapping.port = 70000;
  await setField(page, '#f-json', JSON.stringify(node, null, 2));
  await page.click('#save');
  await page.waitForFunction(() => /Exception/.test(document.querySelector('#editor .status')?.textContent || ''));
  const jsonError = await page.$eval('#e-json', e => e.textContent);
  expect(/listeners\[1\]/.test(jsonError), `the second listener's error is shown at the JSON: "${jsonError}"`);
  const portError = await errorAt(page, await fieldByLabel(page, 'Listener port'));
  expect(portError === '', `nothing is shown at the first listener's port: "${portError}"`);

  // Clearing a field leaves no empty object behind: a service moved from a node to a router saves.
  await go(page, `#/edit?mesh=${mesh}&kind=virtualService&name=other.forms.local`, 'edit');
  await setField(page, await fieldByLabel(page, 'Provider: virtual node'), '');
  await setField(page, await fieldByLabel(page, 'Provider: virtual router'), 'api-router');
  const provider = JSON.parse(await page.$eval('#f-json', e => e.value)).provider;
  expect(JSON.stringify(provider) === '{"virtualRouter":{"virtualRouterName":"api-router"}}', `the cleared provider leaves nothing behind: ${JSON.stringify(provider)}`);
  await page.click('#save');
  await waitPage(page, 'mesh');
  await go(page, `#/edit?kind=mesh&name=${mesh}`, 'edit');
  await setField(page, await fieldByLabel(page, 'Egress filter'), 'DROP_ALL');
  await setField(page, await fieldByLabel(page, 'Egress filter'), '');
  const meshSpec = await page.$eval('#f-json', e => e.value);
  expect(JSON.stringify(JSON.parse(meshSpec)) === '{}', `the cleared egress filter leaves nothing behind: ${meshSpec}`);
  await page.click('#save');
  await waitPage(page, 'mesh');
}

/**
 * A page counting the describes its own fetch has in flight at once (wrapped before the console's scripts run), and
 * the follow mesh: 20 nodes, a route splitting n0/n1, service svc.local on its router, and web calling svc.local.
 */
async function followPage(browser) {
  const page = await newPage(browser);
  await page.evaluateOnNewDocument(() => {
    const counts = { inFlight: 0, max: 0 };
    window.describes = counts;
    const original = window.fetch;
    window.fetch = async (input, init) => {
      const describe = /\/(virtualNodes|virtualServices)\/[^/?]+$/.test(String(input)) && (!init?.method || init.method === 'GET');
      if (describe) counts.max = Math.max(counts.max, ++counts.inFlight);
      try {
        return await original(input, init);
      } finally {
        if (describe) counts.inFlight--;
      }
    };
  });
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = FOLLOW;
  const listener = [{ portMapping: { port: 8080, protocol: 'http' } }];
  await ensure(page, '/meshes', { meshName: mesh, spec: {} });
  for (let i = 0; i < 20; i++) {
    await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: `n${i}`, spec: { listeners: listener, serviceDiscovery: { dns: { hostname: `n${i}.local` } } } });
  }
  await ensure(page, `/meshes/${mesh}/virtualRouters`, { virtualRouterName: 'router', spec: { listeners: listener } });
  await ensure(page, `/meshes/${mesh}/virtualRouter/router/routes`, {
    routeName: 'split', spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'n0', weight: 90 }, { virtualNode: 'n1', weight: 10 }] } } },
  });
  await ensure(page, `/meshes/${mesh}/virtualServices`, { virtualServiceName: 'svc.local', spec: { provider: { virtualRouter: { virtualRouterName: 'router' } } } });
  await ensure(page, `/meshes/${mesh}/virtualNodes`, {
    virtualNodeName: 'web', spec: { listeners: listener, serviceDiscovery: { dns: { hostname: 'web.local' } }, backends: [{ virtualService: { virtualServiceName: 'svc.local' } }] },
  });
  const shiftTo = async weight => {
    await go(page, `#/shift?mesh=${mesh}&router=router&route=split`, 'shift');
    await page.evaluate(() => { window.describes.max = 0; });
    await setField(page, '#w-0', String(weight));
    await page.click('#apply');
  };
  const statusText = () => page.$eval('#shift-status', e => `${e.dataset.state}: ${e.textContent}`);
  return { page, mesh, shiftTo, statusText };
}

/** After the weights are applied, finding the proxies describes a few at a time, and its failure is not the shift's. */
async function unfollowed(browser) {
  const { page, mesh, shiftTo, statusText } = await followPage(browser);
  // One describe is throttled once the route is updated, as a large mesh's burst of describes would be.
  let updated = false;
  await page.setRequestInterception(true);
  page.on('request', request => {
    if (request.method() === 'PUT') updated = true;
    if (updated && request.method() === 'GET' && request.url().endsWith('/virtualNodes/n7')) {
      return request.respond({ status: 429, contentType: 'application/json', headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' }, body: '{"message":"Account 111122223333 is over its limit; retry with backoff."}' });
    }
    return request.continue();
  });

  await shiftTo(60);
  await page.waitForFunction(() => !['applying', 'waiting'].includes(document.querySelector('#shift-status').dataset.state));
  const status = await statusText();
  expect(/^unfollowed: Weights applied \(.*\), but following the proxies failed: TooManyRequestsException/.test(status), `the page says the weights were applied and following failed: ${status}`);
  const weights = (await must(page, 'GET', `/meshes/${mesh}/virtualRouter/router/routes/split`)).spec.httpRoute.action.weightedTargets.map(t => t.weight).join('/');
  expect(weights === '60/40', `the route has the new weights (${weights})`);
  const widest = await page.evaluate(() => window.describes.max);
  expect(widest > 0 && widest <= 8, `at most 8 describes are in flight at once while finding the proxies (${widest})`);
  await capture(page, 'shift-unfollowed');
}

/** The shift page never says all proxies ACKed while an xDS server did not answer, and retries a failed read. */
async function unreachable(browser) {
  const { page, mesh, shiftTo, statusText } = await followPage(browser);
  const pageErrors = [];
  page.on('pageerror', error => pageErrors.push(error.message));
  // The proxy status as the API host might answer it: a replica missing, or a 503.
  let answer = null;
  const webProxy = { replica: 'xds-1', streamId: 1, nodeId: `mesh/${mesh}/virtualNode/web`, mesh, kind: 'virtualNode', name: 'web', types: { rds: { sync: 'SYNCED', lastAck: new Date(Date.now() + 3600e3).toISOString() } } };
  const missing = [{ url: 'http://xds-2.example:18001', error: 'Connection refused' }];
  await page.setRequestInterception(true);
  page.on('request', request => {
    if (!answer || !request.url().includes('/console/api/proxy-status')) return request.continue();
    return answer === 503
      ? request.respond({ status: 503, contentType: 'application/json', headers: { 'x-amzn-ErrorType': 'ServiceUnavailableException' }, body: '{"message":"The database is unavailable."}' })
      : request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(answer) });
  });
  const seen = (selector, what) => page.waitForSelector(selector, { timeout: 15000 }).catch(() => expect(false, what));

  answer = { configured: true, proxies: [], unreachable: missing };
  await shiftTo(70);
  await seen('#acks-unreachable', 'the page names the xDS server whose proxy status is missing');
  const none = await page.$eval('#acks', e => e.textContent);
  expect(none.includes('xds-2.example') && !none.includes('No connected proxy routes through this router.'), `with no proxy seen, the page does not say none routes through the router: ${none}`);
  answer = { configured: true, proxies: [webProxy], unreachable: missing };
  await page.waitForFunction(() => ['partial', 'acked'].includes(document.querySelector('#shift-status').dataset.state));
  const partial = await statusText();
  expect(partial.startsWith('partial:') && !/all 1 affected proxy has ACKed/.test(partial), `the ACK of the proxy seen is not called all: ${partial}`);
  await capture(page, 'shift-partial');
  answer = { configured: true, proxies: [webProxy], unreachable: [] };
  await seen('#shift-status[data-state="acked"]', 'once every xDS server answers, the ACK is called all');

  answer = 503;
  await shiftTo(80);
  await seen('#shift-status[data-state="retrying"]', 'a proxy status that cannot be read is shown and retried');
  const retrying = await statusText();
  expect(/ServiceUnavailableException/.test(retrying), `the failed read is shown: ${retrying}`);
  await capture(page, 'shift-retrying');
  answer = { configured: true, proxies: [webProxy], unreachable: [] };
  await seen('#shift-status[data-state="acked"]', 'after the failed reads, following goes on until the proxy ACKs');
  expect(pageErrors.length === 0, `no error escaped the page: ${pageErrors.join('; ')}`);
}

/** Two tabs of one browser; the first's token is stale once the second signs in. */
async function twoTabs(browser) {
  const a = await newPage(browser);
  await signIn(a, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const b = await newPage(browser);
  await signIn(b, process.env.MESH_READONLY_KEY_ID, process.env.MESH_READONLY_SECRET, '#/signin');
  await a.bringToFront();
  return { a, b, signedIn: page => page.evaluate(async () => (await fetch('/console/session')).status) };
}

/** Signing out from a tab whose token is stale still signs the browser out. */
async function signout(browser) {
  const { a, b, signedIn } = await twoTabs(browser);
  await a.click('#signout');
  await waitPage(a, 'signin');
  expect((await signedIn(b)) === 403, 'after "Sign out" in the first tab the browser is signed out');
}

/** A write refused for a stale token makes the tab show who the browser is signed in as now, with that key's token. */
async function identity(browser) {
  const { a } = await twoTabs(browser);
  await a.evaluate(() => { location.hash = '#/edit?kind=mesh'; });
  await waitPage(a, 'edit');
  await setField(a, '#f-name', 'two-tabs');
  await a.click('#save');
  await a.waitForFunction(() => /Forbidden/.test(document.querySelector('#editor .status')?.textContent || ''));
  await a.waitForFunction(id => document.querySelector('#who')?.textContent.startsWith(id), { timeout: 10000 }, process.env.MESH_READONLY_KEY_ID)
    .catch(() => expect(false, 'after the refused write the first tab shows the read-only key the browser is signed in with'));
  const notice = await a.$eval('#session-notice', e => e.textContent);
  expect(notice.includes(process.env.MESH_READONLY_KEY_ID), `the tab says the browser is now signed in with another key: ${notice}`);
  await capture(a, 'tab-identity-changed');
  await a.click('#signout');
  await waitPage(a, 'signin');
  expect((await a.evaluate(async () => (await fetch('/console/session')).status)) === 403, 'signing out with the token re-read signs the browser out');
}

/** Moving on while a page loads keeps the page moved to and what was typed there. */
async function late(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  // The map's proxy status is held back until the user has moved to the editor and typed in it.
  const held = [];
  await page.setRequestInterception(true);
  page.on('request', request => (request.url().includes('/console/api/proxy-status') ? held.push(request) : request.continue()));
  await page.evaluate(m => { window.meshMapTiming = undefined; location.hash = `#/map?mesh=${m}`; }, mesh);
  while (held.length === 0) await new Promise(r => setTimeout(r, 50));
  await page.evaluate(m => { location.hash = `#/edit?mesh=${m}&kind=virtualNode&name=node`; }, mesh);
  await waitPage(page, 'edit');
  await setField(page, await fieldByLabel(page, 'DNS hostname'), 'typed-while-the-map-loaded.local');
  for (const request of held) await request.continue();
  // The map's load has finished (it times its first paint) once this is set: by then it would have shown itself.
  await page.waitForFunction(() => window.meshMapTiming !== undefined);
  const [shown, json] = await page.evaluate(() => [document.querySelector('main').dataset.page, document.querySelector('#f-json')?.value || '']);
  expect(shown === 'edit', `the editor moved to is still shown after the map finished loading (${shown})`);
  expect(json.includes('typed-while-the-map-loaded.local'), 'the edit made meanwhile is kept');
  await capture(page, 'editor-after-late-map');
}

/** The map's Refresh link names the page it is on, and loads the map again. */
async function refresh(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  await go(page, `#/map?mesh=${mesh}`, 'map');
  await page.$eval('#map', m => { m.dataset.marker = 'before-refresh'; });
  await page.click('#refresh');
  await page.waitForFunction(() => document.querySelector('main').dataset.page === 'map' && document.querySelector('#map') && !document.querySelector('#map').dataset.marker,
    { timeout: 10000 }).catch(() => expect(false, 'clicking Refresh loads the map again'));
}

/** The map's panel shows each translation warning's kind, and the messages alone from an xDS server that sends no kinds. */
async function warnings(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const noRoute = 'virtualNode/node backend virtualService/api.nav.local: no route of virtualRouter/api serves port 8080 (http), so requests to virtualService/api.nav.local there get 404 (no route) until one is added';
  const missing = 'virtualNode/node backend virtualService/ghost.nav.local: virtualService/ghost.nav.local does not exist';
  const older = 'virtualNode/node listener 8080: its outlier detection is not applied';
  const proxy = (replica, warningFields) => ({
    replica, streamId: 1, nodeId: `mesh/${mesh}/virtualNode/node`, mesh, kind: 'virtualNode', name: 'node', types: { cds: { sync: 'SYNCED' } }, ...warningFields,
  });
  // The proxy status as the API host passes it on: one xDS server gives each warning's kind, an older one does not.
  const status = {
    configured: true,
    unreachable: [],
    proxies: [
      proxy('xds-new', { warnings: [noRoute, missing], warningKinds: { missing_resource: 1, no_route: 1 }, warningDetails: [{ kind: 'no_route', message: noRoute }, { kind: 'missing_resource', message: missing }] }),
      proxy('xds-old', { warnings: [missing, older] }),
    ],
  };
  await page.setRequestInterception(true);
  page.on('request', request => (request.url().includes('/console/api/proxy-status')
    ? request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(status) })
    : request.continue()));
  await go(page, `#/map?mesh=${mesh}`, 'map');
  const counted = await page.$eval('g.node[data-id="vn:node"] .warn', e => e.textContent);
  expect(counted === '3 translation warnings', `the node counts each message once over its proxies (${counted})`);
  await page.click('g.node[data-id="vn:node"]');
  await page.waitForSelector('#detail ul.warnings');
  const shown = await page.$$eval('#detail ul.warnings li', items => items.map(li => ({ kind: li.querySelector('.warning-kind')?.textContent ?? null, text: li.textContent })));
  const expected = [
    { kind: 'no_route', text: `no_route ${noRoute}` },
    { kind: 'missing_resource', text: `missing_resource ${missing}` },
    { kind: null, text: older },
  ];
  expect(JSON.stringify(shown) === JSON.stringify(expected), `the panel lists each warning with its kind, and without one the message an older xDS server sent alone: ${JSON.stringify(shown)}`);
  await capture(page, 'map-warnings');
}

/** A browser whose session cookie is gone (another tab signed out, or the cookie expired with the session) is asked to sign in, and then shown the page it was on. */
async function expired(browser) {
  const a = await newPage(browser);
  await signIn(a, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(a);
  await go(a, '#/meshes', 'meshes');
  const b = await newPage(browser);
  await go(b, '#/meshes', 'meshes');
  await b.click('#signout');
  await waitPage(b, 'signin');
  await b.close();

  // The first tab moves on: the API answers a call without a cookie MissingAuthenticationTokenException.
  await a.evaluate(m => { location.hash = `#/mesh?mesh=${m}`; }, mesh);
  await a.waitForFunction(() => ['signin', 'error'].includes(document.querySelector('main').dataset.page));
  const shown = await a.$eval('main', m => `${m.dataset.page}: ${m.textContent}`);
  expect(shown.startsWith('signin'), `a call refused for want of a session cookie asks for a sign-in (${shown})`);
  await capture(a, 'signin-after-cookie-gone');
  await a.type('#access-key-id', process.env.MESH_ADMIN_KEY_ID);
  await a.type('#secret-access-key', process.env.MESH_ADMIN_SECRET);
  await a.click('#signin-submit');
  await a.waitForFunction(() => !['signin', 'loading'].includes(document.querySelector('main').dataset.page));
  const back = await a.evaluate(() => [document.querySelector('main').dataset.page, decodeURIComponent(location.hash)]);
  expect(back[0] === 'mesh' && back[1] === `#/mesh?mesh=${mesh}`, `after signing in again the page the session ended on is shown (${back})`);
}

/** A link to a page opened signed out shows that page after the sign-in, not the list of meshes. */
async function deeplink(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  await page.click('#signout');
  await waitPage(page, 'signin');

  const link = `#/edit?mesh=${mesh}&kind=virtualNode&name=node`;
  await page.goto(`${API}/console${link}`, { waitUntil: 'domcontentloaded' });
  await waitPage(page, 'signin');
  await page.type('#access-key-id', process.env.MESH_ADMIN_KEY_ID);
  await page.type('#secret-access-key', process.env.MESH_ADMIN_SECRET);
  await page.click('#signin-submit');
  await page.waitForFunction(() => !['signin', 'loading'].includes(document.querySelector('main').dataset.page));
  const shown = await page.evaluate(() => [document.querySelector('main').dataset.page, location.hash]);
  expect(shown[0] === 'edit' && shown[1] === link, `the linked page is shown after signing in (${shown})`);
  expect((await page.$eval('#f-name', e => e.value)) === 'node', 'the linked editor shows the linked node');
  await capture(page, 'deep-link-after-signin');

  // Signing out on purpose forgets it: the next sign-in starts at the meshes.
  await page.click('#signout');
  await waitPage(page, 'signin');
  await page.type('#access-key-id', process.env.MESH_ADMIN_KEY_ID);
  await page.type('#secret-access-key', process.env.MESH_ADMIN_SECRET);
  await page.click('#signin-submit');
  await waitPage(page, 'meshes');
}

/** "Older records" reads one page at a time (a second click while it loads adds nothing twice) and shows a failure to read. */
async function audit(browser) {
  const page = await newPage(browser);
  const pageErrors = [];
  page.on('pageerror', error => pageErrors.push(error.message));
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const record = id => ({ id, at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(), accessKeyId: 'AKIDTEST', action: `appmesh:Test${id}`, resourceArn: '', statusCode: 200, errorCode: null, message: null, sourceAddress: '127.0.0.1' });
  // The audit log as the API host might answer it: a first page with more behind it, then a slow page, then a 503.
  const pages = [{ records: [record(3)], nextBefore: 3 }, { records: [record(2)], nextBefore: 2 }];
  const held = [];
  let failing = false;
  await page.setRequestInterception(true);
  page.on('request', request => {
    if (!request.url().includes('/console/api/audit')) return request.continue();
    if (failing) return request.respond({ status: 503, contentType: 'application/json', headers: { 'x-amzn-ErrorType': 'ServiceUnavailableException' }, body: '{"message":"The database is unavailable."}' });
    if (!request.url().includes('before=')) return request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(pages[0]) });
    held.push(request);
  });
  await go(page, '#/audit', 'audit');
  await page.click('#older');
  await page.click('#older');
  await new Promise(r => setTimeout(r, 300));
  for (const request of held) await request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(pages[1]) });
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length >= 2);
  await new Promise(r => setTimeout(r, 300));
  const actions = await page.$$eval('#audit tbody tr', rows => rows.map(r => r.children[2].textContent));
  expect(JSON.stringify(actions) === JSON.stringify(['appmesh:Test3', 'appmesh:Test2']), `two clicks while the older page loads list it once (${actions})`);

  failing = true;
  await page.click('#older');
  await page.waitForFunction(() => /ServiceUnavailableException/.test(document.querySelector('#audit-status')?.textContent || ''), { timeout: 10000 })
    .catch(() => expect(false, 'a failure to read older records is shown beside the button'));
  expect(await page.$eval('#older', b => !b.disabled && !b.hidden), 'the button can be used again after the failure');
  await capture(page, 'audit-older-failed');
  expect(pageErrors.length === 0, `no error escaped the page: ${pageErrors.join('; ')}`);
}

/**
 * A mesh without resources has a map page that says so, and the browser logs no error on the way (sign-in, list,
 * map) but the one a signed-out page is answered when it asks who is signed in (403 from GET /console/session).
 */
async function emptymap(browser) {
  const page = await newPage(browser);
  const logged = [];
  page.on('console', message => {
    if (message.type() === 'error' && !message.location()?.url?.endsWith('/console/session')) logged.push(`${message.text()} (${message.location()?.url})`);
  });
  page.on('pageerror', error => logged.push(error.message));
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = `empty${process.env.MESH_TEST_SUFFIX || ''}`;
  await ensure(page, '/meshes', { meshName: mesh, spec: {} });
  await go(page, `#/mesh?mesh=${mesh}`, 'mesh');
  await go(page, `#/map?mesh=${mesh}`, 'map');
  const said = await page.$eval('main', m => m.textContent);
  expect(/no virtual nodes, services, routers or gateways/.test(said) && !(await page.$('svg.map')), `the empty mesh's map says there is nothing to draw: ${said}`);
  await capture(page, 'map-empty');
  expect(logged.length === 0, `the browser logged no error: ${logged.join('; ')}`);
}

/** At a phone's width, with a 255-character name, no page is wider than the window. */
async function narrow(browser) {
  const page = await newPage(browser);
  await page.setViewport({ width: 360, height: 740, isMobile: true });
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = `long${process.env.MESH_TEST_SUFFIX || ''}`.padEnd(255, 'x');
  const node = 'n'.padEnd(255, 'y');
  await ensure(page, '/meshes', { meshName: mesh, spec: {} });
  await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: node, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }], serviceDiscovery: { dns: { hostname: 'long.local' } } } });
  for (const [hash, name] of [['#/meshes', 'meshes'], [`#/mesh?mesh=${mesh}`, 'mesh'], [`#/map?mesh=${mesh}`, 'map'],
    [`#/edit?mesh=${mesh}&kind=virtualNode&name=${node}`, 'edit'], ['#/audit', 'audit']]) {
    await go(page, hash, name);
    const [pageWidth, windowWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(pageWidth <= 360 && windowWidth <= 360, `the ${name} page fits a 360-pixel window (it is ${pageWidth} wide, the layout viewport ${windowWidth})`);
    await capture(page, `narrow-${name}`);
  }
}

/** A proxy connected as a virtual node the mesh does not have is listed under the map, where nothing else shows it. */
async function strays(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const proxy = (kind, name, types) => ({ replica: 'xds-1', streamId: 1, nodeId: `mesh/${mesh}/${kind}/${name}`, mesh, kind, name, types });
  const status = {
    configured: true,
    unreachable: [],
    proxies: [proxy('virtualNode', 'node', { cds: { sync: 'SYNCED' } }), proxy('virtualNode', 'nodee', { cds: { sync: 'NOT_SENT' } }), proxy('virtualGateway', 'gone', { lds: { sync: 'NOT_SENT' } })],
  };
  await page.setRequestInterception(true);
  page.on('request', request => (request.url().includes('/console/api/proxy-status')
    ? request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(status) })
    : request.continue()));
  await go(page, `#/map?mesh=${mesh}`, 'map');
  const listed = await page.$$eval('#stray-proxies tbody tr td:first-child', cells => cells.map(c => c.textContent)).catch(() => []);
  expect(JSON.stringify(listed) === JSON.stringify([`mesh/${mesh}/virtualNode/nodee`, `mesh/${mesh}/virtualGateway/gone`]),
    `the map page lists the proxies of a node and a gateway the mesh does not have, and not the node's own (${listed})`);
  await capture(page, 'map-stray-proxies');
}

/** Saving an edit does not overwrite a change made since the editor read the resource, unless saved again. */
async function conflict(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const path = `/meshes/${mesh}/virtualNodes/node`;
  await go(page, `#/edit?mesh=${mesh}&kind=virtualNode&name=node`, 'edit');
  const read = await must(page, 'GET', path);
  // Another tab (or the CLI) changes the node meanwhile.
  const elsewhere = structuredClone(read.spec);
  elsewhere.serviceDiscovery.dns.hostname = 'changed-elsewhere.local';
  await must(page, 'PUT', path, { spec: elsewhere });
  await setField(page, await fieldByLabel(page, 'Listener port'), '8081');
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('main').dataset.page !== 'edit' || /Not saved|Exception/.test(document.querySelector('#editor .status')?.textContent || ''));
  const told = await page.evaluate(() => [document.querySelector('main').dataset.page, document.querySelector('#editor .status')?.textContent]);
  expect(told[0] === 'edit' && /changed since this page read it/.test(told[1]), `the save is held back and says the node changed meanwhile (${told})`);
  expect((await must(page, 'GET', path)).spec.serviceDiscovery.dns.hostname === 'changed-elsewhere.local', 'the change made elsewhere is still there');
  await capture(page, 'editor-changed-meanwhile');

  // Saving again overwrites it, as the message says.
  await page.click('#save');
  await waitPage(page, 'mesh');
  const saved = (await must(page, 'GET', path)).spec;
  expect(saved.listeners[0].portMapping.port === 8081 && saved.serviceDiscovery.dns.hostname === read.spec.serviceDiscovery.dns.hostname,
    `the second save wrote the editor's spec (${JSON.stringify(saved)})`);
  // Put the node back for the other scenarios.
  await must(page, 'PUT', path, { spec: read.spec });
}

/** JSON that is not an object (null, a list) is refused by the editor itself, and the form's fields go on working. */
async function jsonspec(browser) {
  const page = await newPage(browser);
  const pageErrors = [];
  page.on('pageerror', error => pageErrors.push(error.message));
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  await go(page, `#/edit?mesh=${mesh}&kind=virtualNode&name=node`, 'edit');
  for (const text of ['null', '[1, 2]', '7']) {
    await setField(page, '#f-json', text);
    const said = await page.$eval('#e-json', e => e.textContent);
    expect(/must be a JSON object/.test(said), `the JSON editor refuses ${text} as a spec: ${said}`);
  }
  await setField(page, await fieldByLabel(page, 'Listener port'), '9090');
  const json = await page.$eval('#f-json', e => e.value);
  expect(/"port": 9090/.test(json) && /"hostname"/.test(json), `a field edited afterwards edits the last spec that was an object: ${json}`);
  await capture(page, 'editor-json-not-object');
  expect(pageErrors.length === 0, `no error escaped the page: ${pageErrors.join('; ')}`);
}

/** An address that names no page, or lacks what its page needs, says "Not found" rather than ask the API about 'null'. */
async function addresses(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const asked = [];
  page.on('request', request => { if (request.url().includes('/v20190125/')) asked.push(request.url()); });
  for (const [hash, page_, says] of [
    ['#/mesh', 'mesh', 'names no mesh'],
    ['#/map?mesh=', 'map', 'names no mesh'],
    ['#/shift?mesh=nav', 'shift', 'names no virtual router and no route'],
    ['#/edit?kind=route&mesh=nav', 'edit', 'names no virtual router'],
    ['#/edit?kind=virtualNode', 'edit', 'names no mesh'],
    ['#/edit?kind=constructor', 'edit', 'No resource kind constructor'],
    ['#/nonsense', 'nonsense', 'no page /nonsense'],
  ]) {
    await go(page, hash, page_);
    const shown = await page.$eval('main', m => m.textContent);
    expect(shown.startsWith('Not found') && shown.includes(says), `${hash} says it is not found and why (${shown})`);
  }
  expect(!asked.some(url => /\/(null|undefined)(\/|\?|$)/.test(url)), `no call names a resource 'null' (${asked.join(', ')})`);
  await capture(page, 'not-found');
}

/** A map box clips a long name; its accessible name and tooltip carry the whole name and its proxies' state, as phrases. */
async function mapnames(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const long = 'a-virtual-node-whose-name-is-longer-than-its-box-on-the-map';
  await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: long, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }], serviceDiscovery: { dns: { hostname: 'long.local' } } } });
  await go(page, `#/map?mesh=${mesh}`, 'map');
  const [label, tooltip, shown] = await page.$eval(`g.node[data-id="vn:${long}"]`, g => [g.querySelector('[role="button"]')?.getAttribute('aria-label'), g.querySelector('[role="button"] title')?.textContent, g.querySelector('.title').textContent]);
  expect(shown !== long, `the box clips the name (${shown})`);
  expect(label === `node ${long}, no proxy connected, no warnings`, `the box's accessible name is the whole name and its state, as phrases (${label})`);
  expect(tooltip === long, `the box's tooltip is the whole name (${tooltip})`);
  // The box is a button for the keyboard: Enter opens its panel.
  await page.$eval(`g.node[data-id="vn:${long}"] [role="button"]`, button => button.focus());
  await page.keyboard.press('Enter');
  await page.waitForFunction(name => document.querySelector('#detail h2')?.textContent === `node ${name}`, { timeout: 10000 }, long)
    .catch(() => expect(false, 'Enter on the focused box shows its panel'));
  await capture(page, 'map-long-name');
}

/** Following a link by keyboard puts the focus on the new page's heading, not back at the top of the document. */
async function focus(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  // The meshes page again, made after the mesh was.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitPage(page, 'meshes');
  for (const [selector, name, heading] of [[`a[href="#/mesh?mesh=${mesh}"]`, 'mesh', `Mesh ${mesh}`], ['#map-link', 'map', `Service map: ${mesh}`], ['nav a[href="#/audit"]', 'audit', 'Audit log']]) {
    await page.focus(selector);
    await page.keyboard.press('Enter');
    await waitPage(page, name);
    const focused = await page.evaluate(() => `${document.activeElement.tagName} ${document.activeElement.textContent}`);
    expect(focused === `H1 ${heading}`, `after following a link to the ${name} page by keyboard its heading has the focus (${focused.slice(0, 80)})`);
  }
}

/** With two targets whose weights do not add up to 100 (1/1), moving one to 70 leaves the other 30, not 0. */
async function shiftpair(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const listeners = [{ portMapping: { port: 8080, protocol: 'http' } }];
  await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: 'node2', spec: { listeners, serviceDiscovery: { dns: { hostname: 'node2.local' } } } });
  await ensure(page, `/meshes/${mesh}/virtualRouters`, { virtualRouterName: 'pair-router', spec: { listeners } });
  await ensure(page, `/meshes/${mesh}/virtualRouter/pair-router/routes`, {
    routeName: 'even', spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'node', weight: 1 }, { virtualNode: 'node2', weight: 1 }] } } },
  });
  await go(page, `#/shift?mesh=${mesh}&router=pair-router&route=even`, 'shift');
  await setField(page, '#w-0', '70');
  const other = await page.$eval('#w-1', e => e.value);
  expect(other === '30', `moving node's weight to 70 leaves node2 30 (it shows ${other})`);
  await setField(page, '#w-range-1', '45');
  const first = await page.$eval('#w-0', e => e.value);
  expect(first === '55', `moving node2's slider to 45 leaves node 55 (it shows ${first})`);
  await capture(page, 'shift-pair');
}

/** A gateway's box on the map shows its proxies' state, as a node's does: a NACKing gateway is seen without a click. */
async function gateway(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  await ensure(page, `/meshes/${mesh}/virtualGateways`, { virtualGatewayName: 'edge', spec: { listeners: [{ portMapping: { port: 9080, protocol: 'http' } }] } });
  const status = {
    configured: true,
    unreachable: [],
    proxies: [{ replica: 'xds-1', streamId: 1, nodeId: `mesh/${mesh}/virtualGateway/edge`, mesh, kind: 'virtualGateway', name: 'edge',
      types: { lds: { sync: 'NACKED', lastNack: { error: 'listener refused' } } }, warningDetails: [{ kind: 'no_route', message: 'virtualGateway/edge: no gateway route' }] }],
  };
  await page.setRequestInterception(true);
  page.on('request', request => (request.url().includes('/console/api/proxy-status')
    ? request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(status) })
    : request.continue()));
  await go(page, `#/map?mesh=${mesh}`, 'map');
  const box = await page.$eval('g.node[data-id="vg:edge"]', g => [g.querySelector('.sync')?.dataset.sync, g.querySelector('.sync')?.textContent, g.querySelector('.warn')?.textContent]).catch(() => []);
  expect(box[0] === 'nacked' && box[1] === '1 proxy: 1 NACKed' && box[2] === '1 translation warning', `the gateway's box shows its proxy NACKed and its warning (${box})`);
  await capture(page, 'map-gateway-nacked');
}

/** A describe failing while the map loads (a resource deleted meanwhile, a throttled call) does not fail the map. */
async function partialmap(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = PARTIAL;
  const node = name => ({ virtualNodeName: name, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }], serviceDiscovery: { dns: { hostname: `${name}.local` } } } });
  await ensure(page, '/meshes', { meshName: mesh, spec: {} });
  for (const name of ['kept', 'deleted', 'busy']) await ensure(page, `/meshes/${mesh}/virtualNodes`, node(name));
  // 'deleted' is gone between the list and its describe; 'busy' is throttled once, as a large mesh's burst may be.
  let throttled = 0;
  await page.setRequestInterception(true);
  page.on('request', request => {
    if (request.method() === 'GET' && request.url().endsWith(`/meshes/${mesh}/virtualNodes/deleted`)) {
      return request.respond({ status: 404, contentType: 'application/json', headers: { 'x-amzn-ErrorType': 'NotFoundException' }, body: '{"message":"The virtual node deleted does not exist."}' });
    }
    if (request.method() === 'GET' && request.url().endsWith(`/meshes/${mesh}/virtualNodes/busy`) && throttled++ === 0) {
      return request.respond({ status: 429, contentType: 'application/json', headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' }, body: '{"message":"Account 111122223333 is over its limit; retry with backoff."}' });
    }
    return request.continue();
  });
  await go(page, `#/map?mesh=${mesh}`, 'map').catch(async () => expect(false, `the map is shown (${await page.$eval('main', m => `${m.dataset.page}: ${m.textContent}`)})`));
  const boxes = await page.$$eval('g.node', groups => groups.map(g => g.dataset.id).sort());
  expect(JSON.stringify(boxes) === JSON.stringify(['vn:busy', 'vn:kept']), `the map shows the node read and the one read again after a 429 (${boxes})`);
  const unread = await page.$eval('#map-unread', e => e.textContent).catch(() => '');
  expect(unread.includes('virtual node deleted') && unread.includes('NotFoundException') && !unread.includes('busy'), `the page names the resource it could not read, and why (${unread})`);
  await capture(page, 'map-partial');
}

/** Two streams of one node id (a proxy reconnected, or two run with one id) are told apart by their stream ids. */
async function streams(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const proxy = (replica, streamId) => ({ replica, streamId, nodeId: `mesh/${mesh}/virtualNode/node`, mesh, kind: 'virtualNode', name: 'node', types: { cds: { sync: 'SYNCED' } } });
  const status = { configured: true, unreachable: [], proxies: [proxy('xds-1', 3), proxy('xds-1', 4), proxy('xds-2', 3)] };
  await page.setRequestInterception(true);
  page.on('request', request => (request.url().includes('/console/api/proxy-status')
    ? request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(status) })
    : request.continue()));
  await go(page, `#/map?mesh=${mesh}`, 'map');
  await page.click('g.node[data-id="vn:node"]');
  await page.waitForSelector('#detail table.proxies');
  const rows = await page.$$eval('#detail table.proxies tbody tr', trs => trs.map(tr => tr.textContent));
  expect(rows.length === 3 && new Set(rows).size === 3, `each stream has a row of its own, and no two read alike (${JSON.stringify(rows)})`);
  const headers = await page.$$eval('#detail table.proxies thead th', ths => ths.map(th => th.textContent));
  expect(headers.includes('Stream') && headers.includes('xDS replica'), `the table has stream and replica columns (${headers})`);
  await capture(page, 'map-streams');
}

/** A weight out of 0-100 is refused with a message in the page's status line, not only the browser's bubble. */
async function shiftrange(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const listeners = [{ portMapping: { port: 8080, protocol: 'http' } }];
  await ensure(page, `/meshes/${mesh}/virtualNodes`, { virtualNodeName: 'node2', spec: { listeners, serviceDiscovery: { dns: { hostname: 'node2.local' } } } });
  await ensure(page, `/meshes/${mesh}/virtualRouters`, { virtualRouterName: 'range-router', spec: { listeners } });
  await ensure(page, `/meshes/${mesh}/virtualRouter/range-router/routes`, {
    routeName: 'ranged', spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'node', weight: 60 }, { virtualNode: 'node2', weight: 40 }] } } },
  });
  await go(page, `#/shift?mesh=${mesh}&router=range-router&route=ranged`, 'shift');
  await setField(page, '#w-0', '150');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelector('#shift-status').textContent !== '', { timeout: 5000 }).catch(() => {});
  const status = await page.$eval('#shift-status', e => `${e.dataset.state}: ${e.textContent}`);
  expect(status.startsWith('invalid:') && status.includes('node (150)') && status.includes('0 to 100'), `the status line says which weight is out of range (${status})`);
  const weights = (await must(page, 'GET', `/meshes/${mesh}/virtualRouter/range-router/routes/ranged`)).spec.httpRoute.action.weightedTargets.map(t => t.weight).join('/');
  expect(weights === '60/40', `the route is not changed (${weights})`);
  await capture(page, 'shift-out-of-range');
}

/** The window's title names the page's resource, and the navigation marks the page it is on. */
async function titles(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = await navMesh(page);
  const current = () => page.$$eval('nav a[aria-current="page"]', links => links.map(a => a.textContent).join(','));
  expect(await current() === 'Meshes', `on the meshes page, the Meshes link is marked current (${await current()})`);
  for (const [hash, name, title] of [
    [`#/mesh?mesh=${mesh}`, 'mesh', `Mesh ${mesh}`],
    [`#/map?mesh=${mesh}`, 'map', `Service map: ${mesh}`],
    [`#/edit?mesh=${mesh}&kind=virtualNode&name=node`, 'edit', 'Virtual node node']]) {
    await go(page, hash, name);
    const said = await page.title();
    expect(said === `${title} · Mesh console`, `the ${name} page's title names its resource (${said})`);
    expect(await current() === '', `no navigation link is marked current on the ${name} page (${await current()})`);
  }
  await go(page, '#/audit', 'audit');
  expect(await current() === 'Audit log', `on the audit page, only the Audit log link is marked current (${await current()})`);
  await capture(page, 'audit-current');
}

/** The navigation mesh: one virtual node. */
async function navMesh(page) {
  await ensure(page, '/meshes', { meshName: NAV, spec: {} });
  await ensure(page, `/meshes/${NAV}/virtualNodes`, { virtualNodeName: 'node', spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }], serviceDiscovery: { dns: { hostname: 'node.local' } } } });
  return NAV;
}

/** Not a test: generates a mesh of 200 virtual nodes (plus services, routers, routes) and times the map. */
async function benchmark(browser) {
  const page = await newPage(browser);
  await signIn(page, process.env.MESH_ADMIN_KEY_ID, process.env.MESH_ADMIN_SECRET);
  const mesh = process.env.MESH_BENCH_MESH || `bench-${Date.now()}`;
  const nodes = Number(process.env.MESH_BENCH_NODES || 200);
  await page.evaluate(async (mesh, nodes) => {
    const csrf = (await (await fetch('/console/session')).json()).csrfToken;
    const put = async (path, body) => {
      for (let attempt = 0; ; attempt++) {
        const r = await fetch(`/v20190125/meshes${path}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Mesh-Csrf': csrf }, body: JSON.stringify(body) });
        if (r.ok || r.status === 409) return;
        // Throttled or busy: back off and retry, as an SDK would.
        if ((r.status === 429 || r.status === 503) && attempt < 8) await new Promise(done => setTimeout(done, 250 * 2 ** attempt));
        else throw new Error(`${path}: ${r.status} ${await r.text()}`);
      }
    };
    const listener = [{ portMapping: { port: 8080, protocol: 'http' } }];
    await put('', { meshName: mesh, spec: {} });
    // 40 services of 5 nodes each: service → router → route (weights) → 5 nodes; each node calls the next service.
    const groups = nodes / 5;
    // Eight calls in flight. The nodes go first, all of them: a route names its five nodes, and a group's route
    // created while another worker is still creating those nodes is refused (NotFound).
    const inEight = async tasks => {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => { while (next < tasks.length) await tasks[next++](); }));
    };
    const groupIndices = Array.from({ length: groups }, (_, g) => g);
    await inEight(groupIndices.flatMap(g => [0, 1, 2, 3, 4].map(i => () => put(`/${mesh}/virtualNodes`, { virtualNodeName: `svc${g}-v${i}`, spec: { listeners: listener, serviceDiscovery: { dns: { hostname: `svc${g}-v${i}.local` } }, backends: [{ virtualService: { virtualServiceName: `svc${(g + 1) % groups}.local` } }] } }))));
    await inEight(groupIndices.map(g => async () => {
      await put(`/${mesh}/virtualRouters`, { virtualRouterName: `svc${g}-router`, spec: { listeners: listener } });
      await put(`/${mesh}/virtualRouter/svc${g}-router/routes`, { routeName: 'split', spec: { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [0, 1, 2, 3, 4].map(i => ({ virtualNode: `svc${g}-v${i}`, weight: 20 })) } } } });
      await put(`/${mesh}/virtualServices`, { virtualServiceName: `svc${g}.local`, spec: { provider: { virtualRouter: { virtualRouterName: `svc${g}-router` } } } });
    }));
  }, mesh, nodes);
  const runs = [];
  for (let i = 0; i < 6; i++) {
    await go(page, `#/map?mesh=${mesh}&run=${i}`, 'map');
    await page.waitForSelector('#map[data-rendered="true"]');
    runs.push(await page.evaluate(() => window.meshMapTiming));
  }
  await capture(page, 'map-200');
  const measured = runs.slice(1); // the first run warms up the JIT
  const median = key => measured.map(r => r[key]).sort((a, b) => a - b)[Math.floor(measured.length / 2)];
  console.log(JSON.stringify({ mesh, resources: runs[0].nodes, virtualNodes: nodes, runs: measured.length, medianRenderMs: median('renderMs'), medianLayoutMs: median('layoutMs'), medianDrawMs: median('drawMs'), medianFetchMs: median('fetchMs'), maxRenderMs: Math.max(...measured.map(r => r.renderMs)) }));
}

const scenarios = { resources, shift, readonly, backends, ports, errors, unfollowed, unreachable, signout, identity, late, refresh, warnings, expired, deeplink, audit, emptymap, narrow, strays, conflict, jsonspec, addresses, mapnames, focus, shiftpair, gateway, partialmap, streams, shiftrange, titles, benchmark };
if (!scenarios[scenario]) {
  console.error(`usage: node console.test.mjs ${Object.keys(scenarios).join('|')}`);
  process.exit(2);
}

const browser = await launch();
let failed = false;
try {
  await scenarios[scenario](browser);
  if (axeFindings.length > 0) {
    failed = true;
    console.log(`axe-core found serious or critical violations:\n  ${axeFindings.join('\n  ')}`);
  }
} catch (error) {
  failed = true;
  console.log(error.stack || String(error));
  try {
    const [page] = (await browser.pages()).slice(-1);
    // A tab in the background is never painted: its screenshot would wait out the protocol's timeout.
    await page?.bringToFront();
    if (page) await page.screenshot({ path: `${SHOTS}/${scenario}-failure.png`, fullPage: true });
  } catch {
    // Best effort: the failure itself is what matters.
  }
} finally {
  await browser.close();
}
console.log(failed ? `${scenario}: FAILED` : `${scenario}: passed`);
process.exit(failed ? 1 : 0);
