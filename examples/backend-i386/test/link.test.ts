/**
 * The example backend links real i386 objects (corpus/*.o, assembled by
 * llvm-mc-19 from corpus/*.s) and their `# jitlink-check:` lines hold, all
 * through the public API of @jitlink/core and @jitlink/elf.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  JITLinkError,
  LinkedGraphsCheckerContext,
  SlabMemoryManager,
  createLinkGraph,
  defaultBackendRegistry,
  formatCheckFailure,
  link,
  runCheckFile,
  type JITLinkContext,
  type LinkGraph,
} from '@jitlink/core';
import { I386EdgeKinds, i386ElfBackend, registerI386Backend } from '../src/index.js';

const corpus = path.join(__dirname, '../corpus');

/** Links `bytes` as llvm-jitlink -noexec -slab-allocate does, records it for checks. */
async function linkNoExec(
  bytes: Uint8Array,
  name: string,
  baseAddress = 0x100000,
): Promise<LinkedGraphsCheckerContext> {
  const graph: LinkGraph = createLinkGraph(bytes, { name });
  const checker = new LinkedGraphsCheckerContext();
  const memory = new SlabMemoryManager({ size: 0x10_0000, baseAddress, pageSize: 4096 });
  let failure: Error | undefined;
  const backend = defaultBackendRegistry.require('elf', 'i386', name);
  const context: JITLinkContext = {
    getMemoryManager: () => memory,
    lookup: async () => new Map(),
    notifyResolved: () => {},
    notifyFinalized: () => {},
    notifyFailed: (error) => (failure = error),
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig: (_graph, config) => {
      config.postFixupPasses.push((g) => checker.recordGraph(g));
    },
  };
  await link(graph, context, backend);
  if (failure) throw failure;
  return checker;
}

/** Offset in `bytes` of the first SHT_REL section's contents (an ELF32 object). */
function firstRelSection(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = view.getUint32(0x20, true);
  const shentsize = view.getUint16(0x2e, true);
  const shnum = view.getUint16(0x30, true);
  for (let i = 0; i < shnum; i++) {
    const header = shoff + i * shentsize;
    if (view.getUint32(header + 4, true) === 9) return view.getUint32(header + 16, true);
  }
  throw new Error('no SHT_REL section');
}

describe('@jitlink/example-backend-i386', () => {
  beforeAll(() => registerI386Backend());

  it('registers an ELF/i386 backend with core', () => {
    expect(defaultBackendRegistry.find('elf', 'i386')).toBe(i386ElfBackend);
    expect(i386ElfBackend.name).toBe('ELF/i386');
  });

  it('links corpus/relocs.o and every jitlink-check line holds', async () => {
    const checker = await linkNoExec(readFileSync(path.join(corpus, 'relocs.o')), 'relocs.o');
    const report = runCheckFile(readFileSync(path.join(corpus, 'relocs.s'), 'utf8'), checker, {
      file: 'relocs.s',
    });
    expect(report.failures.map(formatCheckFailure)).toEqual([]);
    expect(report.checks).toBe(5);
  });

  it('maps each relocation to its edge kind, with REL addends read from the bytes', () => {
    const graph = createLinkGraph(readFileSync(path.join(corpus, 'relocs.o')), { name: 'relocs.o' });
    const edges = [...graph.blocks()].flatMap((b) =>
      [...b.edges].map((e) => [b.section.name, e.kind, e.target.name, e.addend]),
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        ['.text', I386EdgeKinds.PCRel32, 'callee', -4],
        ['.text', I386EdgeKinds.Pointer32, 'counter', 0],
        ['.data', I386EdgeKinds.Pointer32, 'counter', 8],
        ['.data', I386EdgeKinds.PCRel32, 'main', 0],
      ]),
    );
  });

  it('rejects a 32-bit absolute fixup above 4 GiB with a typed error', async () => {
    await expect(
      linkNoExec(readFileSync(path.join(corpus, 'relocs.o')), 'relocs.o', 0x1_0000_0000),
    ).rejects.toMatchObject({
      code: 'FixupOutOfRange',
      file: 'relocs.o',
    });
  });

  it('names file, section and offset for a relocation type it does not link', () => {
    const bytes = new Uint8Array(readFileSync(path.join(corpus, 'relocs.o')));
    const rel = firstRelSection(bytes);
    bytes[rel + 4] = 10; // the first entry's r_type becomes R_386_GOTPC
    let error: unknown;
    try {
      createLinkGraph(bytes, { name: 'gotpc.o' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect(error).toMatchObject({ code: 'UnsupportedRelocation', file: 'gotpc.o', section: '.rel.text' });
    expect((error as JITLinkError).message).toMatch(/R_386 type 10/);
  });
});
