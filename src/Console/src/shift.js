// Traffic shifting on a route with weighted targets: move weight between targets (97/3 → 50/50) through
// UpdateRoute, then follow the affected proxies' proxy status until every one has ACKed the new routes.
import { h } from './dom.js';
import { inParallel, proxyStatus } from './api.js';
import { describe, list, targetLabel, update, weightedTargetsOf } from './kinds.js';
import { proxyState } from './map.js';

const timeOf = value => (typeof value === 'number' ? value * 1000 : Date.parse(value));

/** Describes at a time while finding the affected proxies: a large mesh's burst of describes would trip the rate limit. */
const DESCRIBE_WIDTH = 8;
const POLL_MS = 1000;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * The proxies a router's routes reach: virtual nodes with a backend provided by the router, and gateways whose
 * routes target such a service.
 */
async function affectedProxies(mesh, router) {
  const [services, nodes, gateways] = await Promise.all([list('virtualService', mesh), list('virtualNode', mesh), list('virtualGateway', mesh)]);
  const described = await inParallel(services, DESCRIBE_WIDTH, v => describe('virtualService', mesh, null, v.virtualServiceName));
  const provided = new Set(described.filter(v => v.spec?.provider?.virtualRouter?.virtualRouterName === router).map(v => v.virtualServiceName));
  const clients = new Set();
  for (const n of await inParallel(nodes, DESCRIBE_WIDTH, v => describe('virtualNode', mesh, null, v.virtualNodeName))) {
    if ((n.spec?.backends || []).some(b => provided.has(b.virtualService?.virtualServiceName))) clients.add(`virtualNode/${n.virtualNodeName}`);
  }
  for (const g of gateways) {
    const routes = await list('gatewayRoute', mesh, g.virtualGatewayName);
    const full = await inParallel(routes, DESCRIBE_WIDTH, r => describe('gatewayRoute', mesh, g.virtualGatewayName, r.gatewayRouteName));
    if (full.some(r => Object.values(r.spec || {}).some(t => provided.has(t?.action?.target?.virtualService?.virtualServiceName)))) clients.add(`virtualGateway/${g.virtualGatewayName}`);
  }
  return clients;
}

export async function shiftPage({ mesh, router, route, canWrite }) {
  let current = await describe('route', mesh, router, route);
  const weighted = weightedTargetsOf(current.spec);
  if (!weighted || weighted.targets.length < 2) {
    return [h('h1', null, `Route ${route}`), h('p', null, 'This route has fewer than two weighted targets: there is no weight to shift.')];
  }

  const status = h('p', { role: 'status', class: 'status', id: 'shift-status', 'aria-live': 'polite' });
  const acks = h('div', { id: 'acks' });
  const inputs = weighted.targets.map((t, i) => {
    const range = h('input', { type: 'range', min: 0, max: 100, value: t.weight, id: `w-range-${i}`, 'aria-label': `Weight of ${targetLabel(t)} (slider)` });
    const number = h('input', { type: 'number', min: 0, max: 100, value: t.weight, id: `w-${i}`, class: 'weight-input' });
    return { target: t, range, number };
  });
  const two = inputs.length === 2;
  inputs.forEach((input, i) => {
    const set = value => {
      input.range.value = value;
      input.number.value = value;
      if (two) {
        // With two targets the weights read as percentages: the other gets the rest of 100. (Keeping the route's
        // own total instead turned 1/1 moved to 70 into 70/0, and 100/100 moved to 70 into 70/100.)
        const other = inputs[1 - i];
        const rest = Math.max(0, Math.min(100, 100 - Number(value)));
        other.range.value = rest;
        other.number.value = rest;
      }
    };
    input.range.addEventListener('input', () => set(input.range.value));
    input.number.addEventListener('input', () => set(input.number.value));
  });

  let polling = 0;
  let waitingText = '';
  const setStatus = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
  };

  // The browser refuses a weight out of 0-100 (or not whole) with a bubble of its own, which goes as soon as it is
  // shown and is not in the page: the status line says which weights are wrong too.
  const refuse = () => {
    const wrong = inputs.filter(i => !i.number.validity.valid)
      .map(i => `${targetLabel(i.target)} (${i.number.value === '' ? 'empty' : i.number.value})`);
    setStatus(`Nothing applied: each weight must be a whole number from 0 to 100, which ${wrong.join(', ')} ${wrong.length === 1 ? 'is' : 'are'} not.`, 'invalid');
  };
  inputs.forEach(i => i.number.addEventListener('invalid', refuse));

  /**
   * Polls the proxy status until every affected proxy has ACKed the route configuration written at `changedAt`. An
   * xDS server that did not answer may hold affected proxies this page cannot see: while any is missing, the change
   * is never called ACKed by all. A failed read is shown and retried, never left to wait silently.
   */
  async function follow(changedAt, clients, generation) {
    while (generation === polling && document.body.contains(acks)) {
      let report;
      try {
        report = await proxyStatus(mesh);
      } catch (e) {
        // Refused or gone (403, 404: the key lost its permission, the mesh was deleted): asking again cannot help.
        if (e.status === 403 || e.status === 404) {
          setStatus(`Weights applied, but the proxies' status cannot be read (${e.code || 'Error'}: ${e.message}).`, 'unfollowed');
          return;
        }
        setStatus(`Weights applied, but the proxies' status could not be read (${e.code || 'Error'}: ${e.message}); retrying…`, 'retrying');
        // Over the rate limit, back off rather than add to it.
        await sleep(e.status === 429 ? POLL_MS * 5 : POLL_MS);
        continue;
      }
      const unreachable = report.unreachable || [];
      const proxies = (report.proxies || []).filter(p => clients.has(`${p.kind}/${p.name}`));
      const rows = proxies.map(p => {
        const rds = p.types?.rds;
        const state = proxyState(p);
        const acked = rds && rds.sync === 'SYNCED' && rds.lastAck && timeOf(rds.lastAck) >= changedAt;
        const label = state.state === 'nacked' ? `NACKed: ${state.error}` : acked ? 'ACKed' : 'waiting';
        return { p, acked, label, nacked: state.state === 'nacked' };
      });
      const missing = unreachable.length
        ? h('p', { class: 'notice', id: 'acks-unreachable' },
          `Proxy status missing from ${unreachable.map(u => `${u.url} (${u.error})`).join('; ')}: proxies connected there are not shown and may not have ACKed.`)
        : null;
      const none = !report.configured ? 'Proxy status is not configured on the API host.'
        : unreachable.length ? 'No connected proxy seen routes through this router; some xDS servers did not answer.'
          : 'No connected proxy routes through this router.';
      // Two streams may share a node id: each row names its stream, and its xDS replica when there are several.
      const replicas = new Set(rows.map(r => r.p.replica)).size > 1;
      acks.replaceChildren(...[missing,
        rows.length
          ? h('table', { class: 'proxies' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Proxy'), h('th', { scope: 'col' }, 'Stream'),
            replicas ? h('th', { scope: 'col' }, 'xDS replica') : null, h('th', { scope: 'col' }, 'Route configuration'))),
            h('tbody', null, rows.map(r => h('tr', { class: r.acked ? 'synced' : r.nacked ? 'nacked' : 'waiting' }, h('td', null, r.p.nodeId), h('td', null, String(r.p.streamId ?? '')),
              replicas ? h('td', null, r.p.replica) : null, h('td', { 'data-ack': r.acked ? 'acked' : r.nacked ? 'nacked' : 'waiting' }, r.label)))))
          : h('p', null, none)].filter(Boolean));
      const allAcked = rows.length > 0 && rows.every(r => r.acked);
      if (allAcked && unreachable.length === 0) {
        setStatus(`Weights applied; all ${rows.length} affected prox${rows.length === 1 ? 'y has' : 'ies have'} ACKed the change.`, 'acked');
        return;
      }
      if (rows.some(r => r.nacked)) setStatus('Weights applied; a proxy NACKed its configuration (see below).', 'nacked');
      else if (allAcked) {
        setStatus(`Weights applied; the ${plural(rows.length, 'affected proxy', 'affected proxies')} seen ACKed the change, but ${plural(unreachable.length, 'xDS server', 'xDS servers')} did not answer: waiting for ${unreachable.length === 1 ? 'it' : 'them'}…`, 'partial');
      } else setStatus(waitingText, 'waiting');
      await sleep(POLL_MS);
    }
  }

  async function apply(event) {
    event.preventDefault();
    const spec = structuredClone(current.spec);
    spec[weighted.type].action.weightedTargets = inputs.map(i => ({ ...i.target, weight: Number(i.number.value) }));
    setStatus('Applying…', 'applying');
    const generation = ++polling;
    try {
      current = await update('route', mesh, router, route, spec);
    } catch (e) {
      setStatus(`${e.code || 'Error'}: ${e.message}`, 'error');
      return;
    }
    const weights = weightedTargetsOf(current.spec).targets.map(t => `${targetLabel(t)} ${t.weight}`).join(', ');
    waitingText = `Weights applied (${weights}); waiting for the proxies to ACK…`;
    setStatus(waitingText, 'waiting');
    let clients;
    try {
      clients = await affectedProxies(mesh, router);
    } catch (e) {
      // The route is changed: a failure to find its proxies must not read as a failed shift. A newer shift since
      // has a status of its own, which this older failure must not overwrite.
      if (generation !== polling) return;
      setStatus(`Weights applied (${weights}), but following the proxies failed: ${e.code || 'Error'}: ${e.message}`, 'unfollowed');
      return;
    }
    if (generation !== polling) return;
    follow(timeOf(current.metadata.lastUpdatedAt), clients, generation)
      .catch(e => generation === polling && setStatus(`Weights applied (${weights}), but following the proxies failed: ${e.code || 'Error'}: ${e.message}`, 'unfollowed'));
  }

  return [
    h('h1', null, `Shift traffic: route ${route}`),
    h('p', null, `Router ${router} in mesh ${mesh}, ${weighted.type}.`),
    canWrite ? null : h('p', { class: 'notice' }, 'You are signed in with a read-only key: the API will refuse the change.'),
    h('form', { id: 'shift', onsubmit: apply },
      h('table', { class: 'weights' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Target'), h('th', { scope: 'col' }, 'Weight'), h('th', { scope: 'col' }, 'Set'))),
        h('tbody', null, inputs.map((input, i) => h('tr', null,
          h('th', { scope: 'row' }, h('label', { for: `w-${i}` }, targetLabel(input.target))), h('td', null, input.range), h('td', null, input.number))))),
      h('button', { type: 'submit', id: 'apply' }, 'Apply weights'),
      status),
    h('h2', null, 'Affected proxies'),
    acks,
  ];
}
