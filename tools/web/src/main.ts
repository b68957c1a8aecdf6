/** The page: reads a dropped or chosen object file, links it with ./link.ts and shows the outcome. */
import { linkInSlab, parseSlabAddress, type LinkOutcome } from './link.js';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function cell(row: HTMLTableRowElement, text: string, header = false): void {
  const element = document.createElement(header ? 'th' : 'td');
  element.textContent = text;
  row.appendChild(element);
}

function fillTable(
  table: HTMLTableElement,
  headers: string[],
  rows: string[][],
  key: (row: string[]) => Record<string, string>,
): void {
  table.replaceChildren();
  const head = table.insertRow();
  for (const h of headers) cell(head, h, true);
  for (const values of rows) {
    const row = table.insertRow();
    for (const [name, value] of Object.entries(key(values))) row.dataset[name] = value;
    for (const v of values) cell(row, v);
  }
}

function show(outcome: LinkOutcome): void {
  byId('status').textContent =
    `linked ${outcome.name} (${outcome.triple}): ${outcome.symbols.length} symbols, ${outcome.fixups.length} fixups`;
  fillTable(
    byId('symbols'),
    ['address', 'size', 'section', 'name'],
    outcome.symbols.map((s) => [s.address, String(s.size), s.section, s.name]),
    (row) => ({ symbol: row[3]!, address: row[0]! }),
  );
  fillTable(
    byId('fixups'),
    ['address', 'kind', 'target', 'bytes after fixup'],
    outcome.fixups.map((f) => [f.address, f.kind, f.target, f.bytes]),
    (row) => ({ address: row[0]!, bytes: row[3]! }),
  );
  byId('bytes').textContent = outcome.blocks
    .map((b) => `${b.address} ${b.section}\n${b.bytes ? wrap(b.bytes) : '  (zero-fill)'}`)
    .join('\n');
  byId('graph').textContent = outcome.graphText;
  byId('dot').textContent = outcome.dot;
}

/** Hex pairs, 16 to a line. */
function wrap(bytes: string): string {
  const pairs = bytes.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += 16) lines.push('  ' + pairs.slice(i, i + 16).join(' '));
  return lines.join('\n');
}

async function load(file: File): Promise<void> {
  byId('error').textContent = '';
  byId('status').textContent = `linking ${file.name}...`;
  document.body.dataset.state = 'linking';
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    show(await linkInSlab(bytes, file.name, parseSlabAddress(byId<HTMLInputElement>('address').value)));
    document.body.dataset.state = 'linked';
  } catch (e) {
    byId('status').textContent = '';
    byId('error').textContent = e instanceof Error ? e.message : String(e);
    document.body.dataset.state = 'failed';
  }
}

const drop = byId('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) void load(file);
});
byId<HTMLInputElement>('file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void load(file);
});
document.body.dataset.state = 'ready';
