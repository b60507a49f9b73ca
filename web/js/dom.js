/*
 * dom.js — the one way Slate's pages build the DOM.
 *
 * Everything shown comes from the API and may hold anything a person typed
 * (a name like `<img src=x onerror=…>`), so nothing here parses HTML: nodes
 * are made with createElement and filled with textContent. The page's
 * Content-Security-Policy enforces this (require-trusted-types-for
 * 'script'): an innerHTML assignment would throw.
 *
 *   h('p', {class: 'note'}, 'text', child)   an element; attributes by name,
 *                                            `on*` functions as listeners
 *   show(node…)                              replaces the page's <main>
 */

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/* Replaces the page's content, names the page, and moves focus to its heading. */
export function show(title, ...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
  document.title = title ? `${title} · Slate` : 'Slate';
  const heading = main.querySelector('h1');
  (heading || main).setAttribute('tabindex', '-1');
  (heading || main).focus({ preventScroll: false });
}

let nextId = 0;
/* A unique id for label/aria wiring. */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/*
 * A labelled form field with a slot for its error, wired with
 * aria-describedby, so that a screen reader reads the reason with the field.
 * Returns {row, input, setError}.
 */
export function field(label, attrs = {}, hint = null) {
  const id = uid('f');
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h(attrs.rows ? 'textarea' : 'input', { id, ...attrs });
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  const row = h('div', { class: 'field' }, h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null, input, err);
  const setError = (msg) => {
    err.textContent = msg || '';
    err.hidden = !msg;
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  return { row, input, setError };
}

/* A status line announced to screen readers; say(text, kind) updates it. */
export function statusLine() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  el.say = (text, kind = 'info') => {
    el.textContent = text || '';
    el.hidden = !text;
    el.dataset.kind = kind;
  };
  return el;
}

/* An in-app link: navigates without reloading the page (see app.js). */
export function link(href, text, attrs = {}) {
  return h('a', { href, 'data-nav': '', ...attrs }, text);
}

/* A button that shows it is busy while its async action runs. */
export function busy(button, fn) {
  return async (ev) => {
    if (ev) ev.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await fn(ev);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  };
}
