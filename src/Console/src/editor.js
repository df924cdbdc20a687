// Create and edit any resource: the common fields as a form, the whole spec as JSON, kept in step. The API's
// validation errors are shown next to the field whose member path they name (or next to the JSON when no field
// shows that member).
import { h } from './dom.js';
import { KINDS, create, describe, pathSteps, update } from './kinds.js';

/** The member path an API error message names, e.g. "spec.listeners[0].portMapping.port", or null. */
export function memberPathOf(message) {
  const match = message.match(/\b(spec(?:\.\w+|\[\d+\])*)/) || message.match(/\b(\w+Name)\b/);
  return match ? match[1] : null;
}

/**
 * How well a field owns an error, 0 for not at all. A field owns an error on its own member or inside it (a list's
 * element, a member of its object), the field with the longest path best; failing that, a field inside the member
 * the error names (the error is about a whole list or object the field is part of). List indices must agree:
 * listeners[1]'s port is not the field of listeners[0]'s. An exact field owns only errors on its own member.
 */
export function ownership(field, spec, errorPath) {
  const own = pathSteps(field.errorPath(spec));
  const named = pathSteps(errorPath);
  const shared = Math.min(own.length, named.length);
  for (let i = 0; i < shared; i++) if (own[i] !== named[i]) return 0;
  if (field.errorExact) return own.length === named.length ? 1000 + own.length : 0;
  if (own.length <= named.length) return 1000 + own.length;
  // The error names an ancestor of the field; not the spec as a whole, which every field is part of.
  return named.length > 1 ? named.length : 0;
}

/** The field that owns an error best (the first of equals), or null. */
export function ownerOf(fields, spec, errorPath) {
  let best = null;
  let bestScore = 0;
  for (const entry of fields) {
    const score = ownership(entry.field, spec, errorPath);
    if (score > bestScore) {
      best = entry;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The spec the JSON editor holds, or why it holds none: the form's fields read and write members of an object, so
 * JSON that is not one (null, a list, a number) is refused here, as it would be by the API, rather than by a field.
 */
export function parseSpec(text) {
  let value;
  try {
    value = JSON.parse(text || '{}');
  } catch (e) {
    return { error: `Not valid JSON: ${e.message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: `The spec must be a JSON object ({...}), not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}.` };
  }
  return { spec: value };
}

export async function editorPage({ kindName, mesh, parent, name, canWrite, go }) {
  const kind = KINDS[kindName];
  const creating = !name;
  let spec = kind.template();
  let version = null;
  if (!creating) {
    const existing = await describe(kindName, mesh, parent, name);
    spec = existing.spec || {};
    version = existing.metadata?.version;
  }

  const errors = new Map();
  /** A newer version the user has been told of and chose to overwrite by saving again. */
  let overwriting = null;
  const status = h('p', { role: 'status', class: 'status', 'aria-live': 'polite' });
  const nameInput = h('input', { id: 'f-name', name: kind.nameMember, value: name || '', required: true, disabled: !creating, autocomplete: 'off' });
  const nameError = h('p', { class: 'field-error', id: 'e-name', 'data-for': kind.nameMember });
  const json = h('textarea', { id: 'f-json', rows: 18, spellcheck: 'false', class: 'json' });
  const jsonError = h('p', { class: 'field-error', id: 'e-json' });

  const inputs = kind.fields.map((field, i) => {
    const id = `f-${i}`;
    const input = field.type === 'select'
      ? h('select', { id }, field.options.map(o => h('option', { value: o }, o || '(not set)')))
      : h('input', { id, type: field.type === 'number' ? 'number' : 'text', autocomplete: 'off' });
    const error = h('p', { class: 'field-error', id: `e-${i}` });
    input.setAttribute('aria-describedby', error.id);
    input.addEventListener('input', () => {
      spec = field.set(structuredClone(spec), input.value) || spec;
      renderJson();
      fillForm(input);
    });
    return { field, input, error, row: h('div', { class: 'field' }, h('label', { for: id }, field.label), input, error) };
  });
  nameInput.setAttribute('aria-describedby', nameError.id);
  json.setAttribute('aria-describedby', jsonError.id);

  function renderJson() {
    json.value = JSON.stringify(spec, null, 2);
  }

  function fillForm(except) {
    for (const { field, input } of inputs) {
      if (input === except) continue;
      const value = field.get(spec);
      input.value = value === undefined || value === null ? '' : String(value);
    }
  }

  json.addEventListener('input', () => {
    const parsed = parseSpec(json.value);
    jsonError.textContent = parsed.error || '';
    if (parsed.error) return;
    spec = parsed.spec;
    fillForm();
  });

  function clearErrors() {
    errors.clear();
    for (const { error, input } of inputs) {
      error.textContent = '';
      input.removeAttribute('aria-invalid');
    }
    nameError.textContent = '';
    jsonError.textContent = '';
  }

  /**
   * The API answers "N validation errors detected: <path>: <problem>; <path>: <problem>": each problem goes next to
   * the field its path names.
   */
  function showErrors(message) {
    const detected = message.match(/^\d+ validation errors? detected: (.*)$/s);
    const parts = detected ? detected[1].split(/; (?=spec[.\[]|\w+Name:)/) : [message];
    for (const part of parts) showError(part);
  }

  /** Puts one message next to the field it names; the JSON editor takes what no field shows. */
  function showError(message) {
    const path = memberPathOf(message);
    if (path && path === kind.nameMember) {
      nameError.textContent = nameError.textContent ? `${nameError.textContent} ${message}` : message;
      nameInput.setAttribute('aria-invalid', 'true');
      return;
    }
    const owner = path && path.startsWith('spec') && ownerOf(inputs, spec, path);
    if (owner) {
      owner.error.textContent = owner.error.textContent ? `${owner.error.textContent} ${message}` : message;
      owner.input.setAttribute('aria-invalid', 'true');
    } else {
      jsonError.textContent = jsonError.textContent ? `${jsonError.textContent} ${message}` : message;
    }
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    const parsed = parseSpec(json.value);
    if (parsed.error) {
      jsonError.textContent = parsed.error;
      return;
    }
    status.textContent = 'Saving…';
    delete status.dataset.state;
    try {
      // App Mesh's updates carry no version to compare, so the resource is read again first: a change made since this
      // page read it (another tab, another user, the CLI) is not overwritten unless the user says so by saving again.
      if (!creating) {
        const latest = (await describe(kindName, mesh, parent, name)).metadata?.version;
        if (latest !== version && latest !== overwriting) {
          overwriting = latest;
          status.textContent = `Not saved: this ${kind.label.toLowerCase()} was changed since this page read it (version ${version}, now ${latest}). `
            + 'Save again to overwrite that change, or open the editor again to see it.';
          status.dataset.state = 'changed';
          return;
        }
      }
      const newName = creating ? nameInput.value.trim() : name;
      const saved = creating
        ? await create(kindName, mesh, parent, newName, spec)
        : await update(kindName, mesh, parent, newName, spec);
      status.textContent = `Saved (version ${saved?.metadata?.version ?? '?'}).`;
      go(kindName === 'mesh' ? `#/mesh?mesh=${encodeURIComponent(newName)}` : `#/mesh?mesh=${encodeURIComponent(mesh)}`);
    } catch (e) {
      status.textContent = `${e.code || 'Error'}: ${e.message}`;
      showErrors(e.message);
    }
  }

  renderJson();
  fillForm();
  const title = creating ? `New ${kind.label.toLowerCase()}` : `${kind.label} ${name}`;
  const where = [mesh && kindName !== 'mesh' ? `mesh ${mesh}` : '', parent ? `${KINDS[kind.parent].label.toLowerCase()} ${parent}` : '']
    .filter(Boolean).join(', ');
  return [
    h('h1', null, title),
    where ? h('p', null, `In ${where}.`, version ? ` Version ${version}.` : '') : null,
    canWrite ? null : h('p', { class: 'notice' }, 'You are signed in with a read-only key: the API will refuse to save.'),
    h('form', { id: 'editor', onsubmit: save, novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'f-name' }, `${kind.label} name`), nameInput, nameError),
      h('fieldset', null, h('legend', null, 'Common fields'), inputs.map(i => i.row)),
      h('div', { class: 'field' }, h('label', { for: 'f-json' }, 'Spec (JSON, all fields)'), json, jsonError),
      h('button', { type: 'submit', id: 'save' }, creating ? 'Create' : 'Save'),
      status),
  ];
}
