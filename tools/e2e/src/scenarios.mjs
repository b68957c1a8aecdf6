/**
 * What users install, one entry each: the packages (or a global install),
 * files copied into the fresh project, the program run there, and what it
 * must print. Adding a scenario is adding an entry.
 */

const HELLO_X86_64 = 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o';

/** Links hello.o into this process with core + elf + arch-x86-64 + orc + executor and runs main. */
const inProcessScript = `
import { readFileSync } from 'node:fs';
import { ExecutionSession } from '@jitlink/orc';
import { createLinkGraph, link, registerBackend } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { SelfExecutorProcessControl, runAsMain } from '@jitlink/executor';

registerBackend(createElfBackend(x86_64Elf));
const executor = new SelfExecutorProcessControl();
const graph = createLinkGraph(readFileSync('hello.o'), { name: 'hello.o' });
let failure;
await link(
  graph,
  {
    getMemoryManager: () => executor.memoryManager,
    lookup: async (request) => executor.lookupSymbols([...request.keys()]),
    notifyFinalized: () => {},
    notifyFailed: (error) => (failure = error),
    notifyResolved: () => {},
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig: () => {},
  },
  x86_64Elf.target,
);
if (failure) throw failure;
const main = [...graph.sections()].flatMap((s) => [...s.symbols]).find((s) => s.name === 'main');
const status = runAsMain(main.address, ['hello']);
await executor.dispose();
if (typeof ExecutionSession !== 'function') throw new Error('@jitlink/orc did not load');
process.exitCode = status;
`;

/** arm64 -noexec: link hello.o into simulated memory, externals at made-up addresses, as llvm-jitlink -noexec does. */
const arm64Script = `
import { readFileSync } from 'node:fs';
import { SlabMemoryManager, createLinkGraph, link, registerBackend } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { aarch64Elf } from '@jitlink/arch-arm64/elf';

const backend = createElfBackend(aarch64Elf);
registerBackend(backend);
const graph = createLinkGraph(readFileSync('hello.o'), { name: 'hello.o' });
let failure;
await link(graph, {
  getMemoryManager: () => new SlabMemoryManager({ size: 0x100000, baseAddress: 0x10000000, pageSize: 4096 }),
  // Externals (puts...) at addresses a branch reaches, as -noexec's absolute definitions would be.
  lookup: async (request) => new Map([...request.keys()].map((name, i) => [name, 0x10200000 + i * 16])),
  notifyResolved: () => {}, notifyFinalized: () => {}, notifyFailed: (e) => (failure = e),
  shouldAddDefaultTargetPasses: () => true, getMarkLivePass: () => undefined, modifyPassConfig: () => {},
}, backend);
if (failure) throw failure;
const main = [...graph.definedSymbols()].find((s) => s.name === 'main');
console.log('linked ' + graph.name + ' (' + graph.triple + '): main at 0x' + main.address.toString(16));
`;

/** The third-party backend installed next to core links its objects; every jitlink-check holds. */
const thirdPartyScript = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  LinkedGraphsCheckerContext, SlabMemoryManager, createLinkGraph, formatCheckFailure, link, runCheckFile,
} from '@jitlink/core';
import { registerI386Backend } from '@jitlink/example-backend-i386';

const backend = registerI386Backend();
const corpus = path.join(path.dirname(createRequire(import.meta.url).resolve('@jitlink/example-backend-i386/package.json')), 'corpus');
const graph = createLinkGraph(readFileSync(path.join(corpus, 'relocs.o')), { name: 'relocs.o' });
const checker = new LinkedGraphsCheckerContext();
let failure;
await link(graph, {
  getMemoryManager: () => new SlabMemoryManager({ size: 0x100000, baseAddress: 0x100000, pageSize: 4096 }),
  lookup: async () => new Map(),
  notifyResolved: () => {}, notifyFinalized: () => {}, notifyFailed: (e) => (failure = e),
  shouldAddDefaultTargetPasses: () => true, getMarkLivePass: () => undefined,
  modifyPassConfig: (_g, config) => config.postFixupPasses.push((g) => checker.recordGraph(g)),
}, backend);
if (failure) throw failure;
const report = runCheckFile(readFileSync(path.join(corpus, 'relocs.s'), 'utf8'), checker, { file: 'relocs.s' });
for (const f of report.failures) console.log(formatCheckFailure(f));
console.log(report.failures.length === 0 ? report.checks + ' checks passed' : 'checks failed');
`;

export const scenarios = [
  {
    id: 'elf-x86-64',
    name: 'ELF x86-64 in-process user (core, elf, arch-x86-64, orc, executor) links hello.o and runs it',
    packages: ['@jitlink/core', '@jitlink/elf', '@jitlink/arch-x86-64', '@jitlink/orc', '@jitlink/executor'],
    files: { 'hello.o': HELLO_X86_64 },
    script: inProcessScript,
    run: () => [process.execPath, 'main.mjs'],
    expect: /^hello, world!$/m,
  },
  {
    id: 'arm64-noexec',
    name: 'arm64 -noexec user (core, elf, arch-arm64) installs no x86-64 code and links hello.o',
    packages: ['@jitlink/core', '@jitlink/elf', '@jitlink/arch-arm64'],
    forbidden: ['@jitlink/arch-x86-64', '@jitlink/executor', '@jitlink/cli'],
    forbiddenText: /R_X86_64_/,
    files: { 'hello.o': 'test-corpus/obj/clang-19-aarch64/O2-pic-small/hello/hello.o' },
    script: arm64Script,
    run: () => [process.execPath, 'main.mjs'],
    expect: /^linked hello\.o \(aarch64-.*\): main at 0x1000/m,
  },
  {
    id: 'cli-global',
    name: 'the CLI installed globally runs hello.o',
    global: ['@jitlink/cli'],
    files: { 'hello.o': HELLO_X86_64 },
    run: ({ bin }) => [`${bin}/jitlink`, 'hello.o'],
    expect: /^hello, world!$/m,
  },
  {
    id: 'third-party-backend',
    name: 'the third-party i386 backend installed next to core links its objects',
    packages: ['@jitlink/core', '@jitlink/elf', '@jitlink/example-backend-i386'],
    forbidden: ['@jitlink/arch-x86-64'],
    script: thirdPartyScript,
    run: () => [process.execPath, 'main.mjs'],
    expect: /^5 checks passed$/m,
  },
];
