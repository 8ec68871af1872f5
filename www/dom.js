// A tiny element builder: the page builds its DOM from library data, never from HTML strings,
// so nothing a server or a user typed can become markup.

/**
 * h('p', { class: 'note', text: 'Hello' }, child, ...)
 * Props: `class`, `text`, `dataset`, `on<event>` handlers, `hidden`; everything else is an attribute.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'hidden') el.hidden = true;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** What each provenance word means, shown as the badge's title (the words are the library's). */
const PROVENANCE_TITLES = {
  verified: "verified: stated by Datafordeleren's or CPR's own documentation",
  observed: "observed: seen in other integrators' public code or material, not promised by Datafordeleren",
  inferred: 'inferred: no public source; a guess from a naming pattern or the library\'s reading. Check it before relying on it',
  local: 'local: established by the library or this host itself (its own check, or what the network reported)',
  override: 'override: given by this setup\'s endpoint overrides',
};

/** A small badge saying how sure a value is (`verified`, `observed`, `inferred`, …), with its meaning as title. */
export function provenanceBadge(word, props = {}) {
  return h('span', { class: `badge provenance ${word}`, title: PROVENANCE_TITLES[word] ?? word, dataset: { provenance: word }, ...props }, word);
}

/** A list of library issues ({ severity, message }), each styled by its severity. */
export function issueList(issues, props = {}) {
  return h('ul', { class: 'messages', ...props },
    issues.map((issue) => h('li', { class: issue.severity, dataset: { code: issue.code } }, issue.message)));
}

/** A Blob download link; its object URL is released by `releaseLinks` when results are replaced. */
export function downloadLink(text, filename, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  return h('a', { href: url, download: filename, class: 'download', dataset: { objectUrl: url } }, text);
}

export function releaseLinks(container) {
  for (const a of container.querySelectorAll('a[data-object-url]')) URL.revokeObjectURL(a.dataset.objectUrl);
}

/** Replace a result region's content (live regions announce the new text). */
export function show(container, ...children) {
  releaseLinks(container);
  container.replaceChildren(...children.flat(Infinity).filter(Boolean));
  container.hidden = container.childElementCount === 0;
}

/** The message of anything thrown: library errors carry text written for administrators. */
export function errorText(error) {
  return error?.message ?? String(error);
}
