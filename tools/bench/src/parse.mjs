// Pure helpers: parsing tool output, choosing archive symbols, statistics.
// Kept free of process spawning so they can be tested on captured text.

/**
 * Reads the "jitlink timers:" table that `jitlink -show-times` prints on stderr.
 * Rows look like `   12.345 ms  link`; a name may repeat (summed).
 * Per-phase rows (`link: <phase>`) are wall-clock time per graph and overlap when
 * graphs link concurrently, so only `link` is comparable with other linkers.
 * @param {string} stderr
 * @returns {{ linkMs: number, loadMs: number | undefined, rows: Record<string, number> } | undefined}
 */
export function parseJitlinkTimes(stderr) {
  const start = stderr.indexOf('jitlink timers:');
  if (start < 0) return undefined;
  /** @type {Record<string, number>} */
  const rows = {};
  for (const line of stderr.slice(start).split('\n').slice(1)) {
    const m = /^\s*([0-9.]+) ms {2}(.+?)\s*$/.exec(line);
    if (!m) break;
    rows[m[2]] = (rows[m[2]] ?? 0) + Number(m[1]);
  }
  if (rows.link === undefined) return undefined;
  // The link phase includes building the graphs of the objects named on the
  // command line, as llvm-jitlink's "time to link object files" includes
  // parsing them (its load step only registers the files).
  return {
    linkMs: rows.link + (rows['build graphs'] ?? 0),
    loadMs: rows['read inputs'] ?? rows['load inputs'],
    rows,
  };
}

/**
 * Reads the first "timers for llvm-jitlink phases" table of `llvm-jitlink -show-times`.
 * LLVM omits columns that are zero for every timer (often System Time), so the
 * wall time is taken as the last `<seconds> (<percent>%)` pair before the name.
 * @param {string} stderr
 * @returns {{ linkMs: number, loadMs: number | undefined, rows: Record<string, number> } | undefined}
 */
export function parseLlvmTimes(stderr) {
  const start = stderr.indexOf('timers for llvm-jitlink phases');
  if (start < 0) return undefined;
  /** @type {Record<string, number>} */
  const rows = {};
  const lines = stderr.slice(start).split('\n');
  let inTable = false;
  for (const line of lines.slice(1)) {
    if (line.includes('--- Name ---')) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    const pairs = [...line.matchAll(/([0-9.]+)\s+\(\s*[0-9.]+%\)/g)];
    if (pairs.length === 0) {
      if (line.trim() === '') continue;
      break;
    }
    const last = pairs[pairs.length - 1];
    const name = line.slice(last.index + last[0].length).trim();
    if (name === 'Total') break;
    rows[name] = Number(last[1]) * 1000;
  }
  const link = rows['time to link object files'];
  if (link === undefined) return undefined;
  return { linkMs: link, loadMs: rows['time to load/add object files'], rows };
}

/**
 * Parses `nm -A --defined-only -g <archive>` output into member → defined symbols
 * (in nm order), keeping the symbol type letter.
 * @param {string} text
 * @returns {Map<string, { name: string, type: string }[]>}
 */
export function parseNmArchive(text) {
  /** @type {Map<string, { name: string, type: string }[]>} */
  const members = new Map();
  for (const line of text.split('\n')) {
    // <archive>:<member>:<address> <type> <name>
    const m = /^(.*):([^:]+):([0-9a-fA-F]*) ([A-Za-z]) (\S+)$/.exec(line.trim());
    if (!m) continue;
    const [, , member, , type, name] = m;
    let list = members.get(member);
    if (!list) members.set(member, (list = []));
    list.push({ name, type });
  }
  return members;
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Picks one strong global definition per archive member (functions first, then
 * data), so that referencing the picks forces every member with a definition
 * into the link. Commons and weak definitions are skipped: an archive index
 * does not always pull members for them; so are names that are not C
 * identifiers (the entry object is C).
 * @param {Map<string, { name: string, type: string }[]>} members
 * @returns {{ member: string, symbol: string }[]}
 */
export function pickSymbolPerMember(members) {
  const preference = ['T', 'D', 'R', 'B'];
  const picks = [];
  for (const [member, symbols] of members) {
    let chosen;
    for (const type of preference) {
      chosen = symbols.find((s) => s.type === type && s.name !== 'main' && C_IDENTIFIER.test(s.name));
      if (chosen) break;
    }
    if (chosen) picks.push({ member, symbol: chosen.name });
  }
  return picks;
}

/**
 * The symbols an entry object references to force every member of several
 * archives: one pick per member (pickSymbolPerMember) of each archive's
 * `nm -A --defined-only -g` output, in archive order, each symbol once.
 * @param {string[]} nmOutputs one per archive
 * @returns {string[]}
 */
export function entrySymbols(nmOutputs) {
  const symbols = new Set();
  for (const text of nmOutputs) {
    for (const p of pickSymbolPerMember(parseNmArchive(text))) symbols.add(p.symbol);
  }
  return [...symbols];
}

/**
 * C source of an entry object whose `main` keeps a table referencing every
 * symbol. Symbols are declared as `char[]` so functions and data alike become
 * plain address references.
 * @param {string[]} symbols
 */
export function entrySource(symbols) {
  const decls = symbols.map((s) => `extern char ${s}[];`).join('\n');
  const refs = symbols.map((s) => `  ${s},`).join('\n');
  return `${decls}
void *const bench_all_members[] = {
${refs}
};
int main(void) {
  volatile unsigned long n = sizeof bench_all_members / sizeof bench_all_members[0];
  return bench_all_members[n - 1] == 0;
}
`;
}

/** @param {number[]} values */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Nearest-rank percentile (p in 0..100).
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Aggregates a V8 `.cpuprofile` by function: self time is the sum of the
 * sample intervals whose top frame is that function; inclusive time adds the
 * intervals where it is anywhere on the stack (once per sample, however often
 * it recurs).
 * @param {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }[], samples: number[], timeDeltas: number[] }} profile
 * @returns {{ name: string, location: string, selfMs: number, inclusiveMs: number, share: number }[]} by self time, largest first
 */
export function aggregateProfile(profile) {
  const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  /** @type {Map<string, { name: string, location: string, selfMs: number, inclusiveMs: number }>} */
  const byFunction = new Map();
  const keyOf = new Map();
  const entryFor = (node) => {
    let key = keyOf.get(node.id);
    if (key === undefined) {
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      const file = url ? url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '') : '';
      const location = file ? `${file}:${lineNumber + 1}` : '';
      key = `${name}\u0000${location}`;
      keyOf.set(node.id, key);
      if (!byFunction.has(key)) byFunction.set(key, { name, location, selfMs: 0, inclusiveMs: 0 });
    }
    return byFunction.get(key);
  };
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample; attribute the
    // interval that ends at sample i+1 to sample i.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = nodeById.get(profile.samples[i]);
    if (!node) continue;
    totalUs += us;
    entryFor(node).selfMs += us / 1000;
    const seen = new Set();
    for (let n = node; n !== undefined; n = nodeById.get(parentOf.get(n.id))) {
      const entry = entryFor(n);
      if (seen.has(entry)) continue;
      seen.add(entry);
      entry.inclusiveMs += us / 1000;
    }
  }
  return [...byFunction.values()]
    .map((e) => ({ ...e, share: totalUs ? (e.selfMs * 1000) / totalUs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/**
 * Sums a V8 heap snapshot (`.heapsnapshot` JSON) by object kind: objects by
 * constructor name, everything else by node type in parentheses ("(string)",
 * "(array) ..."), largest first.
 * @param {{ snapshot: { meta: { node_fields: string[], node_types: [string[]] } }, nodes: number[], strings: string[] }} snapshot
 * @returns {{ totalBytes: number, rows: { name: string, count: number, bytes: number }[] }}
 */
export function summarizeHeapSnapshot(snapshot) {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  /** @type {Map<string, { name: string, count: number, bytes: number }>} */
  const byName = new Map();
  let totalBytes = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + typeAt]];
    const bytes = nodes[i + sizeAt];
    totalBytes += bytes;
    const name =
      type === 'object' || type === 'closure'
        ? strings[nodes[i + nameAt]] || '(anonymous object)'
        : type === 'array'
          ? `(array) ${strings[nodes[i + nameAt]]}`.trimEnd()
          : `(${type})`;
    const row = byName.get(name) ?? { name, count: 0, bytes: 0 };
    row.count++;
    row.bytes += bytes;
    byName.set(name, row);
  }
  return { totalBytes, rows: [...byName.values()].sort((a, b) => b.bytes - a.bytes) };
}
