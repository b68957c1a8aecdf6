// CPU time of building the graph of every ELF member of some archives, in a
// fresh process (cold code, as in one run of the command): directly
// (createElfLinkGraph), or in two steps, decoding (decodeElf, what a worker
// thread of -decode-threads does) then building from the decoded tables
// (buildElfLinkGraphFromDecoded, what stays on the linking thread), each
// timed apart. Run each mode in several processes and compare medians:
//
//   node tools/bench/src/decode-split.mjs direct /usr/lib/x86_64-linux-gnu/libcrypto.a
//   node tools/bench/src/decode-split.mjs decoded /usr/lib/x86_64-linux-gnu/libcrypto.a
import { readFileSync } from 'node:fs';
import { parseArchive } from '@jitlink/core';
import { createElfLinkGraph, decodeElf, buildElfLinkGraphFromDecoded } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
const [mode, ...libs] = process.argv.slice(2);
const members = libs.flatMap((lib) => parseArchive(new Uint8Array(readFileSync(lib)), lib).members.map((m) => m.data)).filter((d) => d[0] === 0x7f);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
if (mode === 'direct') {
  const c = cpu(); for (const m of members) createElfLinkGraph(m, x86_64Elf, { name: 'm' }); console.log(JSON.stringify({ build: cpu() - c }));
} else {
  const c = cpu(); const dec = members.map((m) => decodeElf(m, 'm')); const c1 = cpu();
  for (let i = 0; i < members.length; i++) buildElfLinkGraphFromDecoded(dec[i], members[i], x86_64Elf, { name: 'm' });
  console.log(JSON.stringify({ decode: c1 - c, build: cpu() - c1 }));
}
