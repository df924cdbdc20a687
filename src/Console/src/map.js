// The service map of one mesh: gateways → gateway routes → virtual services → routers → routes (with weights) →
// virtual nodes → their backends, laid out by dagre. Each virtual node and gateway shows its connected proxies' sync state
// (from the xDS servers' proxy status) and its translation warnings.
import dagre from '@dagrejs/dagre';
import { h, s } from './dom.js';
import { inParallel, proxyStatus } from './api.js';
import { GATEWAY_ROUTE_TYPES, KINDS, describe, list, targetLabel, weightedTargetsOf } from './kinds.js';

const WIDTH = 220;
// Virtual nodes and gateways run proxies: their boxes have two more lines, the proxies' state and the warnings.
const HEIGHT = { vg: 74, gr: 40, vs: 40, vr: 40, rt: 40, vn: 74 };
const KIND_LABEL = { vg: 'gateway', gr: 'gateway route', vs: 'service', vr: 'router', rt: 'route', vn: 'node' };

/** Everything the map draws, read through the App Mesh API (a describe per resource, a few at a time). */
export async function loadMesh(mesh) {
  const width = 8;
  const [nodes, services, routers, gateways] = await Promise.all(
    ['virtualNode', 'virtualService', 'virtualRouter', 'virtualGateway'].map(kind => list(kind, mesh)));
  const routeRefs = (await Promise.all(routers.map(r => list('route', mesh, r.virtualRouterName)))).flat();
  const gatewayRouteRefs = (await Promise.all(gateways.map(g => list('gatewayRoute', mesh, g.virtualGatewayName)))).flat();
  // A describe that fails (a resource deleted since the list, a throttle that outlasts the retries) leaves that one
  // resource off the map, named under it, rather than failing the whole map.
  const unread = [];
  const describeAll = async (kind, refs, parent, nameOf) => (await inParallel(refs, width, async ref => {
    try {
      return await describeRetrying(kind, mesh, parent ? ref[parent] : undefined, nameOf(ref));
    } catch (e) {
      unread.push({ kind, parent: parent ? ref[parent] : undefined, name: nameOf(ref), error: `${e.code || 'Error'}: ${e.message}` });
      return null;
    }
  })).filter(Boolean);
  const [n, sv, r, g, rt, gr, status] = await Promise.all([
    describeAll('virtualNode', nodes, null, x => x.virtualNodeName),
    describeAll('virtualService', services, null, x => x.virtualServiceName),
    describeAll('virtualRouter', routers, null, x => x.virtualRouterName),
    describeAll('virtualGateway', gateways, null, x => x.virtualGatewayName),
    describeAll('route', routeRefs, 'virtualRouterName', x => x.routeName),
    describeAll('gatewayRoute', gatewayRouteRefs, 'virtualGatewayName', x => x.gatewayRouteName),
    proxyStatus(mesh).catch(e => ({ configured: true, proxies: [], unreachable: [{ url: 'API host', error: e.message }] })),
  ]);
  return { mesh, nodes: n, services: sv, routers: r, gateways: g, routes: rt, gatewayRoutes: gr, status, unread };
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** A describe, asked again after a 429 with a growing pause (as an SDK would), a few times before giving up. */
async function describeRetrying(kind, mesh, parent, name) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await describe(kind, mesh, parent, name);
    } catch (e) {
      if (e.status !== 429 || attempt === 3) throw e;
      await sleep(500 * 2 ** attempt);
    }
  }
}

/** The resources the map could not read, or null when it read them all. */
export function unreadSection(data) {
  if (data.unread.length === 0) return null;
  return h('div', { class: 'notice', id: 'map-unread', role: 'alert' },
    h('p', null, `${data.unread.length === 1 ? '1 resource' : `${data.unread.length} resources`} could not be read and ${data.unread.length === 1 ? 'is' : 'are'} not on the map (Refresh reads the mesh again):`),
    h('ul', null, data.unread.map(u => h('li', null,
      `${KINDS[u.kind].label.toLowerCase()} ${u.name}${u.parent ? ` (in ${KINDS[KINDS[u.kind].parent].label.toLowerCase()} ${u.parent})` : ''}: ${u.error}`))));
}

/** One proxy's state over all its resource types: NACKED beats waiting beats in sync. */
export function proxyState(proxy) {
  const types = Object.values(proxy.types || {});
  const nacked = Object.entries(proxy.types || {}).find(([, t]) => t.sync === 'NACKED');
  if (nacked) return { state: 'nacked', label: 'NACKed', error: `${nacked[0]}: ${nacked[1].lastNack?.error ?? ''}` };
  if (types.length > 0 && types.every(t => t.sync === 'SYNCED')) return { state: 'synced', label: 'in sync' };
  return { state: 'waiting', label: proxy.waiting ? `waiting (${proxy.waiting})` : 'waiting' };
}

export function proxiesOf(data, kind, name) {
  return (data.status.proxies || []).filter(p => p.kind === kind && p.name === name);
}

/** The graph: node ids are kind-prefixed names, edges carry weights for routes' targets. */
export function buildGraph(data) {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 16, marginy: 60 });
  graph.setDefaultEdgeLabel(() => ({}));
  const add = (id, kind, title, extra = {}) => graph.setNode(id, { id, kind, title, width: WIDTH, height: HEIGHT[kind], ...extra });
  // An edge's name tells parallel edges apart: a route may target the same node twice, on two of its ports.
  const link = (from, to, label, style, name = '') => {
    if (graph.hasNode(from) && graph.hasNode(to)) graph.setEdge(from, to, { label, style, width: label ? Math.max(30, 7 * label.length + 9) : 0, height: label ? 14 : 0 }, `${from}>${to}>${name}`);
  };

  for (const g of data.gateways) add(`vg:${g.virtualGatewayName}`, 'vg', g.virtualGatewayName, { proxies: proxiesOf(data, 'virtualGateway', g.virtualGatewayName) });
  for (const r of data.gatewayRoutes) add(`gr:${r.virtualGatewayName}/${r.gatewayRouteName}`, 'gr', r.gatewayRouteName);
  for (const v of data.services) add(`vs:${v.virtualServiceName}`, 'vs', v.virtualServiceName);
  for (const r of data.routers) add(`vr:${r.virtualRouterName}`, 'vr', r.virtualRouterName);
  for (const r of data.routes) add(`rt:${r.virtualRouterName}/${r.routeName}`, 'rt', r.routeName, { router: r.virtualRouterName, route: r });
  for (const n of data.nodes) add(`vn:${n.virtualNodeName}`, 'vn', n.virtualNodeName, { proxies: proxiesOf(data, 'virtualNode', n.virtualNodeName) });

  for (const r of data.gatewayRoutes) {
    const id = `gr:${r.virtualGatewayName}/${r.gatewayRouteName}`;
    link(`vg:${r.virtualGatewayName}`, id);
    const type = GATEWAY_ROUTE_TYPES.find(t => r.spec?.[t]);
    const target = type && r.spec[type].action?.target?.virtualService?.virtualServiceName;
    if (target) link(id, `vs:${target}`);
  }
  for (const v of data.services) {
    const provider = v.spec?.provider;
    if (provider?.virtualRouter) link(`vs:${v.virtualServiceName}`, `vr:${provider.virtualRouter.virtualRouterName}`);
    if (provider?.virtualNode) link(`vs:${v.virtualServiceName}`, `vn:${provider.virtualNode.virtualNodeName}`);
  }
  for (const r of data.routes) {
    const id = `rt:${r.virtualRouterName}/${r.routeName}`;
    link(`vr:${r.virtualRouterName}`, id);
    for (const t of weightedTargetsOf(r.spec)?.targets || []) {
      link(id, `vn:${t.virtualNode}`, t.port === undefined ? String(t.weight) : `:${t.port} ${t.weight}`, undefined, t.port ?? '');
    }
  }
  // Backends point back up the flow (a node calls a service further left), so they are drawn over the layout
  // rather than laid out: as edges, they would make dagre reverse them and stretch the map around long loops.
  const backends = [];
  for (const n of data.nodes) {
    for (const b of n.spec?.backends || []) {
      const to = `vs:${b.virtualService?.virtualServiceName}`;
      if (b.virtualService && graph.hasNode(to)) backends.push({ from: `vn:${n.virtualNodeName}`, to });
    }
  }
  graph.graph().backends = backends;
  return graph;
}

function summary(node) {
  const proxies = node.proxies || [];
  if (proxies.length === 0) return { text: 'no proxy connected', state: 'none' };
  const states = proxies.map(proxyState);
  const count = state => states.filter(x => x.state === state).length;
  const state = count('nacked') ? 'nacked' : count('waiting') ? 'waiting' : 'synced';
  const parts = [['synced', 'in sync'], ['waiting', 'waiting'], ['nacked', 'NACKed']]
    .filter(([k]) => count(k) > 0).map(([k, label]) => `${count(k)} ${label}`);
  return { text: `${proxies.length} prox${proxies.length === 1 ? 'y' : 'ies'}: ${parts.join(', ')}`, state };
}

/**
 * The node's proxies' translation warnings, each message once, with its kind (the warning metrics' `kind` label) from
 * `warningDetails`; an xDS server older than that sends the messages alone, in `warnings`.
 */
function warningsOf(node) {
  const byMessage = new Map();
  for (const p of node.proxies || []) {
    for (const w of p.warningDetails || (p.warnings || []).map(message => ({ message }))) {
      if (!byMessage.get(w.message)?.kind) byMessage.set(w.message, w);
    }
  }
  return [...byMessage.values()];
}

const clip = (value, length) => (value.length > length ? `${value.slice(0, length - 1)}…` : value);

/** Lays out and draws the map; returns the SVG and how long layout and drawing took. */
export function renderMap(data, onSelect) {
  const started = performance.now();
  const graph = buildGraph(data);
  dagre.layout(graph);
  const laidOut = performance.now();
  const info = graph.graph();
  const svg = s('svg', {
    class: 'map', width: Math.ceil(info.width), height: Math.ceil(info.height),
    viewBox: `0 0 ${Math.ceil(info.width)} ${Math.ceil(info.height)}`, role: 'group',
    'aria-label': `Service map of mesh ${data.mesh}: ${graph.nodeCount()} resources`,
  });
  svg.append(s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  const edges = s('g', { class: 'edges' });
  for (const e of graph.edges()) {
    const edge = graph.edge(e);
    const d = edge.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    edges.append(s('path', { d, class: `edge ${edge.style || ''}`, 'marker-end': 'url(#arrow)' }));
    if (edge.label) edges.append(s('text', { x: edge.x, y: edge.y + 4, class: 'weight', 'text-anchor': 'middle', 'data-edge': `${e.v}>${e.w}${e.name ? `:${e.name}` : ''}` }, edge.label));
  }
  for (const { from, to } of info.backends) {
    const a = graph.node(from);
    const b = graph.node(to);
    const start = { x: a.x, y: a.y + a.height / 2 };
    const end = { x: b.x, y: b.y + b.height / 2 };
    const sag = 30 + Math.abs(start.x - end.x) * 0.08;
    const d = `M${start.x.toFixed(1)},${start.y.toFixed(1)} C${start.x.toFixed(1)},${(start.y + sag).toFixed(1)} ${end.x.toFixed(1)},${(end.y + sag).toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`;
    edges.append(s('path', { d, class: 'edge backend', 'marker-end': 'url(#arrow)', 'data-backend': `${from}>${to}` }));
  }
  svg.append(edges);
  const nodes = s('g', { class: 'nodes' });
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const group = s('g', { class: `node ${node.kind}`, 'data-id': id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    group.append(s('rect', { width: node.width, height: node.height, rx: 6, class: 'box' }));
    group.append(s('text', { x: 8, y: 15, class: 'kind' }, KIND_LABEL[node.kind]));
    group.append(s('text', { x: 8, y: 31, class: 'title' }, clip(node.title, 28)));
    // The box shows the name clipped: what a screen reader says, and the tooltip, carry all of it, with the box's
    // lines as phrases rather than run together.
    const said = [`${KIND_LABEL[node.kind]} ${node.title}`];
    if (node.kind === 'vn' || node.kind === 'vg') {
      const sum = summary(node);
      const warnings = warningsOf(node);
      const warningText = warnings.length ? `${warnings.length} translation warning${warnings.length > 1 ? 's' : ''}` : 'no warnings';
      group.append(s('text', { x: 8, y: 48, class: `sync ${sum.state}`, 'data-sync': sum.state }, clip(sum.text, 30)));
      group.append(s('text', { x: 8, y: 64, class: warnings.length ? 'warn' : 'muted' }, warningText));
      said.push(sum.text, warningText);
    }
    // The button is a transparent layer over the drawing rather than the group around it: a control's accessible name
    // must contain its visible text, which a clipped name does not let it.
    const button = s('rect', { width: node.width, height: node.height, rx: 6, class: 'hit', tabindex: 0, role: 'button', 'aria-label': said.join(', ') },
      s('title', null, node.title));
    group.append(button);
    const select = () => onSelect(node);
    group.addEventListener('click', select);
    button.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(); } });
    nodes.append(group);
  }
  svg.append(nodes);
  return { svg, layoutMs: laidOut - started, drawMs: performance.now() - laidOut, nodeCount: graph.nodeCount() };
}

/**
 * Proxies connected to this mesh as a virtual node or gateway it does not have (a misspelt node id, a resource deleted
 * under running proxies): the xDS server sends them nothing it can serve, and no box on the map stands for them.
 */
export function strayProxies(data) {
  const drawn = new Set([
    ...data.nodes.map(n => `virtualNode/${n.virtualNodeName}`),
    ...data.gateways.map(g => `virtualGateway/${g.virtualGatewayName}`),
    // One the map could not read is there all the same: its proxies are not strays.
    ...data.unread.filter(u => u.kind === 'virtualNode' || u.kind === 'virtualGateway').map(u => `${u.kind}/${u.name}`),
  ]);
  return (data.status.proxies || []).filter(p => !drawn.has(`${p.kind}/${p.name}`));
}

/**
 * A proxy's rows: one per xDS stream. Two streams may share a node id (a proxy reconnected to another replica, two
 * proxies started with one id), so each row names its stream and the xDS replica holding it.
 */
function proxyRows(proxies) {
  return proxies.map(p => {
    const st = proxyState(p);
    return h('tr', { class: `proxy ${st.state}` },
      h('td', null, p.nodeId), h('td', null, String(p.streamId ?? '')), h('td', null, p.replica), h('td', { 'data-state': st.state }, st.label), h('td', { class: 'nack-error' }, st.error || ''));
  });
}

function proxyTable(rows, attrs) {
  return h('table', { class: 'proxies', ...attrs },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Node id'), h('th', { scope: 'col' }, 'Stream'), h('th', { scope: 'col' }, 'xDS replica'), h('th', { scope: 'col' }, 'Sync'), h('th', { scope: 'col' }, 'Error'))),
    h('tbody', null, rows));
}

/** The section listing the stray proxies, or null when there are none. */
export function strayProxiesSection(data) {
  const strays = strayProxies(data);
  if (strays.length === 0) return null;
  return h('section', { 'aria-labelledby': 'strays-title', id: 'strays' },
    h('h2', { id: 'strays-title' }, 'Proxies of resources this mesh does not have'),
    h('p', { class: 'notice' }, strays.length === 1
      ? '1 connected proxy names a virtual node or gateway this mesh does not have: it gets no configuration until that resource is created (or its node id is corrected).'
      : `${strays.length} connected proxies name virtual nodes or gateways this mesh does not have: they get no configuration until those resources are created (or their node ids are corrected).`),
    proxyTable(proxyRows(strays), { id: 'stray-proxies' }));
}

/** The panel under the map for the selected resource: its proxies, their sync state and errors, and its warnings. */
export function detailPanel(data, node, links) {
  const rows = proxyRows(node.proxies || []);
  const warnings = warningsOf(node);
  const targets = node.kind === 'rt' ? weightedTargetsOf(node.route.spec) : null;
  return h('section', { class: 'detail', 'aria-labelledby': 'detail-title' },
    h('h2', { id: 'detail-title' }, `${KIND_LABEL[node.kind]} ${node.title}`),
    targets ? h('p', null, 'Targets: ', targets.targets.map(t => `${targetLabel(t)} ${t.weight}`).join(', '), ' ',
      h('a', { href: links.shift(node), id: 'shift-link' }, 'Shift traffic')) : null,
    node.kind === 'vn' || node.kind === 'vg'
      ? [
        h('h3', null, 'Connected proxies'),
        rows.length
          ? proxyTable(rows)
          : h('p', null, data.status.configured ? 'No proxy is connected.' : 'Proxy status is not configured on the API host (Mesh:Console:ProxyStatusUrls).'),
        h('h3', null, 'Translation warnings'),
        warnings.length
          ? h('ul', { class: 'warnings' }, warnings.map(w => h('li', null, w.kind ? [h('span', { class: 'warning-kind' }, w.kind), ' '] : null, w.message)))
          : h('p', null, 'None.'),
      ]
      : null);
}
