/** DOM helpers for the playground pages. */

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A labelled form field: <label for=id>text</label> + the control, in one row. */
export function field(
  text: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  const row = el('div', { class: 'field' }, el('label', { for: control.id }, text), control);
  if (hint) {
    const id = `${control.id}-hint`;
    row.append(el('small', { id }, hint));
    control.setAttribute('aria-describedby', id);
  }
  return row;
}

export function select(id: string, options: readonly string[], value: string): HTMLSelectElement {
  const s = el('select', { id, name: id });
  for (const o of options) s.append(el('option', { value: o }, o));
  s.value = value;
  return s;
}

export function numberInput(
  id: string,
  value: number | undefined,
  attrs: Record<string, string> = {},
): HTMLInputElement {
  const input = el('input', { id, name: id, type: 'number', step: 'any', ...attrs });
  input.value = value === undefined ? '' : String(value);
  return input;
}

/** Shows the page's message (role=alert) or hides it when text is empty. */
export function showMessage(text: string): void {
  const box = document.getElementById('message') as HTMLElement;
  box.textContent = text;
  box.hidden = text === '';
}

/** Shows a note about how the page runs (not an error). */
export function showNote(text: string): void {
  const box = document.getElementById('note') as HTMLElement;
  box.textContent = text;
  box.hidden = text === '';
}

/** data-status on <body>: what scripts and tests wait for. */
export function setStatus(status: 'loading' | 'running' | 'done' | 'error'): void {
  document.body.dataset.status = status;
}

/** Offers text or bytes as a file download. */
export function download(name: string, content: string | Uint8Array, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([content as BlobPart], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A file picker that also takes files dropped on it: a labelled <input type=file> (keyboard
 * usable as any input) inside a zone that accepts drops; onFiles gets the chosen files.
 */
export function fileDropZone(
  id: string,
  label: string,
  accept: string,
  onFiles: (files: File[]) => void,
  multiple = false,
): HTMLElement {
  const input = el('input', { id, name: id, type: 'file', accept, ...(multiple ? { multiple: '' } : {}) });
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (files.length) onFiles(files);
    input.value = ''; // choosing the same file again runs again
  });
  const zone = el('div', { class: 'drop-zone', id: `${id}-zone` }, el('label', { for: id }, label), input);
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  });
  return zone;
}
