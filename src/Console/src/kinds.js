// The App Mesh resource kinds: where each lives in the REST API, and the spec fields the form shows (the JSON
// editor shows all of the spec). Field paths are the member paths the API names in its validation errors.
import { API, call, listAll } from './api.js';

const enc = encodeURIComponent;

export const ROUTE_TYPES = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'];
export const GATEWAY_ROUTE_TYPES = ['httpRoute', 'http2Route', 'grpcRoute'];
const PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'];

export function getPath(object, path) {
  return path.split('.').reduce((value, key) => {
    if (value == null) return undefined;
    const match = key.match(/^(\w+)\[(\d+)\]$/);
    return match ? value[match[1]]?.[Number(match[2])] : value[key];
  }, object);
}

/** A member path's steps: "listeners[0].portMapping.port" → ['listeners', 0, 'portMapping', 'port']. */
export function pathSteps(path) {
  return path.split('.').flatMap(key => {
    const match = key.match(/^(\w+)\[(\d+)\]$/);
    return match ? [match[1], Number(match[2])] : [key];
  });
}

const isEmpty = value => (Array.isArray(value) ? value.length === 0
  : value !== null && typeof value === 'object' && Object.keys(value).length === 0);

/** Removes a member or a list's element; a list's element only when it is the last (the others keep their indices). */
function removeStep(container, step) {
  if (!Array.isArray(container)) {
    delete container[step];
    return true;
  }
  if (step !== container.length - 1) return false;
  container.pop();
  return true;
}

/**
 * Sets the member at `path`, making the objects and lists on the way. Setting undefined or '' clears it, and a
 * parent the clear leaves empty goes too: the API refuses an empty object where a member is required
 * (provider.virtualRouter: {}, egressFilter: {}), so a cleared field must leave nothing behind.
 */
export function setPath(object, path, value) {
  const steps = pathSteps(path);
  const clearing = value === undefined || value === '';
  const parents = [];
  let target = object;
  for (const [i, step] of steps.slice(0, -1).entries()) {
    if (target[step] == null || typeof target[step] !== 'object') {
      if (clearing) return object;
      target[step] = typeof steps[i + 1] === 'number' ? [] : {};
    }
    parents.push([target, step]);
    target = target[step];
  }
  const last = steps[steps.length - 1];
  if (!clearing) {
    target[last] = value;
    return object;
  }
  if (!removeStep(target, last)) return object;
  for (const [parent, step] of parents.reverse()) {
    if (!isEmpty(parent[step]) || !removeStep(parent, step)) break;
  }
  return object;
}

const text = (label, path, extra = {}) => ({ label, path, type: 'text', ...extra });
const number = (label, path) => ({ label, path, type: 'number' });
const select = (label, path, options) => ({ label, path, type: 'select', options });

function routeType(spec, types) {
  return types.find(t => spec[t]) || types[0];
}

/** A field over whichever route type the spec holds (httpRoute, grpcRoute, ...). */
function typed(types, label, subPath, kind = 'text') {
  return {
    label,
    type: kind,
    errorPath: spec => `spec.${routeType(spec, types)}.${subPath}`,
    get: spec => getPath(spec, `${routeType(spec, types)}.${subPath}`),
    set: (spec, value) => setPath(spec, `${routeType(spec, types)}.${subPath}`, kind === 'number' && value !== '' ? Number(value) : value),
  };
}

function typeSelector(types) {
  return {
    label: 'Type',
    type: 'select',
    options: types,
    // The rule it answers for ("must set exactly one of httpRoute, ...") names the spec itself; every other error
    // under spec belongs to a more specific field, or to the JSON.
    errorPath: () => 'spec',
    errorExact: true,
    get: spec => routeType(spec, types),
    set: (spec, value) => {
      const current = routeType(spec, types);
      if (current !== value) {
        spec[value] = spec[current] || {};
        delete spec[current];
      }
      return spec;
    },
  };
}

/** How the form writes a weighted target: node:weight, or node:port:weight for a target on one of the node's listeners. */
export const targetText = t => (t.port === undefined ? `${t.virtualNode}:${t.weight}` : `${t.virtualNode}:${t.port}:${t.weight}`);

/** A target's name for people (the shift page, the map): the node, and its port when it has one. */
export const targetLabel = t => (t.port === undefined ? t.virtualNode : `${t.virtualNode}:${t.port}`);

/** Reads "node:weight" or "node:port:weight" ("node" alone weighs 1). */
export function parseTarget(part) {
  const pieces = part.split(':').map(p => p.trim());
  const [node, port, weight] = pieces.length >= 3 ? pieces : [pieces[0], undefined, pieces[1]];
  const target = { virtualNode: node, weight: Number(weight ?? 1) };
  if (port !== undefined && port !== '') target.port = Number(port);
  return target;
}

/**
 * The targets as the form edits them: a target whose node and port were there keeps its entry (and whatever else it
 * carries) with the new weight, so an edit of weights never drops a port; the same node on two ports stays two.
 */
const weightedTargets = types => ({
  label: 'Targets (node[:port]:weight, ...)',
  type: 'text',
  errorPath: spec => `spec.${routeType(spec, types)}.action.weightedTargets`,
  get: spec => (getPath(spec, `${routeType(spec, types)}.action.weightedTargets`) || []).map(targetText).join(', '),
  set: (spec, value) => {
    const path = `${routeType(spec, types)}.action.weightedTargets`;
    const key = t => `${t.virtualNode}\u0000${t.port ?? ''}`;
    const existing = new Map((getPath(spec, path) || []).map(t => [key(t), t]));
    const targets = value.split(',').map(part => part.trim()).filter(Boolean).map(parseTarget).map(t => {
      const kept = existing.get(key(t));
      existing.delete(key(t));
      return kept ? { ...kept, weight: t.weight } : t;
    });
    return setPath(spec, path, targets);
  },
});

/**
 * The form shows backends by name only; a backend also carries what the form does not show (its clientPolicy: TLS
 * to that service). So the names edit the list, and a name that was there keeps its whole entry.
 */
const backends = {
  label: 'Backends (virtual service names, comma-separated)',
  type: 'text',
  errorPath: () => 'spec.backends',
  get: spec => (spec.backends || []).map(b => b.virtualService?.virtualServiceName).filter(Boolean).join(', '),
  set: (spec, value) => {
    const names = [...new Set(value.split(',').map(v => v.trim()).filter(Boolean))];
    const existing = new Map((spec.backends || []).filter(b => b.virtualService?.virtualServiceName)
      .map(b => [b.virtualService.virtualServiceName, b]));
    // An entry without a name is not the form's to drop: only the JSON shows it.
    const unnamed = (spec.backends || []).filter(b => !b.virtualService?.virtualServiceName);
    const merged = [...names.map(virtualServiceName => existing.get(virtualServiceName) || { virtualService: { virtualServiceName } }), ...unnamed];
    if (merged.length === 0) delete spec.backends;
    else spec.backends = merged;
    return spec;
  },
};

const listener = [
  number('Listener port', 'listeners[0].portMapping.port'),
  select('Listener protocol', 'listeners[0].portMapping.protocol', PROTOCOLS),
];

export const KINDS = {
  mesh: {
    label: 'Mesh',
    plural: 'Meshes',
    nameMember: 'meshName',
    collection: () => `${API}/meshes`,
    listKey: 'meshes',
    fields: [select('Egress filter', 'egressFilter.type', ['', 'ALLOW_ALL', 'DROP_ALL'])],
    template: () => ({}),
  },
  virtualNode: {
    label: 'Virtual node',
    plural: 'Virtual nodes',
    nameMember: 'virtualNodeName',
    collection: mesh => `${API}/meshes/${enc(mesh)}/virtualNodes`,
    listKey: 'virtualNodes',
    fields: [...listener, text('DNS hostname', 'serviceDiscovery.dns.hostname'), backends],
    template: () => ({ listeners: [{ portMapping: { port: 8080, protocol: 'http' } }], serviceDiscovery: { dns: { hostname: '' } } }),
  },
  virtualService: {
    label: 'Virtual service',
    plural: 'Virtual services',
    nameMember: 'virtualServiceName',
    collection: mesh => `${API}/meshes/${enc(mesh)}/virtualServices`,
    listKey: 'virtualServices',
    fields: [
      text('Provider: virtual router', 'provider.virtualRouter.virtualRouterName'),
      text('Provider: virtual node', 'provider.virtualNode.virtualNodeName'),
    ],
    // No provider to start with: an empty router name left beside a virtual node filled in would be refused.
    template: () => ({}),
  },
  virtualRouter: {
    label: 'Virtual router',
    plural: 'Virtual routers',
    nameMember: 'virtualRouterName',
    collection: mesh => `${API}/meshes/${enc(mesh)}/virtualRouters`,
    listKey: 'virtualRouters',
    fields: listener,
    template: () => ({ listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] }),
  },
  route: {
    label: 'Route',
    plural: 'Routes',
    nameMember: 'routeName',
    parent: 'virtualRouter',
    collection: (mesh, router) => `${API}/meshes/${enc(mesh)}/virtualRouter/${enc(router)}/routes`,
    listKey: 'routes',
    fields: [
      typeSelector(ROUTE_TYPES),
      typed(ROUTE_TYPES, 'Match prefix (HTTP)', 'match.prefix'),
      typed(ROUTE_TYPES, 'Match service name (gRPC)', 'match.serviceName'),
      weightedTargets(ROUTE_TYPES),
      { label: 'Priority', type: 'number', errorPath: () => 'spec.priority', get: s => s.priority, set: (s, v) => setPath(s, 'priority', v === '' ? undefined : Number(v)) },
    ],
    template: () => ({ httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [] } } }),
  },
  virtualGateway: {
    label: 'Virtual gateway',
    plural: 'Virtual gateways',
    nameMember: 'virtualGatewayName',
    collection: mesh => `${API}/meshes/${enc(mesh)}/virtualGateways`,
    listKey: 'virtualGateways',
    fields: listener,
    template: () => ({ listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] }),
  },
  gatewayRoute: {
    label: 'Gateway route',
    plural: 'Gateway routes',
    nameMember: 'gatewayRouteName',
    parent: 'virtualGateway',
    collection: (mesh, gateway) => `${API}/meshes/${enc(mesh)}/virtualGateway/${enc(gateway)}/gatewayRoutes`,
    listKey: 'gatewayRoutes',
    fields: [
      typeSelector(GATEWAY_ROUTE_TYPES),
      typed(GATEWAY_ROUTE_TYPES, 'Match prefix (HTTP)', 'match.prefix'),
      typed(GATEWAY_ROUTE_TYPES, 'Target virtual service', 'action.target.virtualService.virtualServiceName'),
    ],
    template: () => ({ httpRoute: { match: { prefix: '/' }, action: { target: { virtualService: { virtualServiceName: '' } } } } }),
  },
};

export const MESH_CHILD_KINDS = ['virtualNode', 'virtualService', 'virtualRouter', 'virtualGateway'];

// Generic fields read and write their path under spec.
for (const kind of Object.values(KINDS)) {
  for (const field of kind.fields) {
    if (field.path) {
      const path = field.path;
      field.errorPath ??= () => `spec.${path}`;
      field.get ??= spec => getPath(spec, path);
      field.set ??= (spec, value) => setPath(spec, path, field.type === 'number' && value !== '' ? Number(value) : value);
    }
  }
}

export function resourcePath(kindName, mesh, parent, name) {
  const kind = KINDS[kindName];
  if (kindName === 'mesh') return `${API}/meshes/${enc(name)}`;
  return `${kind.collection(mesh, parent)}/${enc(name)}`;
}

export function describe(kindName, mesh, parent, name) {
  return call('GET', resourcePath(kindName, mesh, parent, name));
}

export function list(kindName, mesh, parent) {
  const kind = KINDS[kindName];
  return listAll(kind.collection(mesh, parent), kind.listKey);
}

export function create(kindName, mesh, parent, name, spec) {
  const kind = KINDS[kindName];
  return call('PUT', kind.collection(mesh, parent), { [kind.nameMember]: name, spec });
}

export function update(kindName, mesh, parent, name, spec) {
  return call('PUT', resourcePath(kindName, mesh, parent, name), { spec });
}

export function remove(kindName, mesh, parent, name) {
  return call('DELETE', resourcePath(kindName, mesh, parent, name));
}

/** The weighted targets of a route spec, whatever its type, or null. */
export function weightedTargetsOf(spec) {
  const type = ROUTE_TYPES.find(t => spec?.[t]);
  return type ? { type, targets: spec[type].action?.weightedTargets || [] } : null;
}
