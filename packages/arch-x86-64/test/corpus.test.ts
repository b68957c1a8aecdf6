/**
 * Links every x86-64 object of the test corpus (all compilers and variants)
 * into simulated memory, with every external resolved to a fake address.
 * When the corpus has not been built, a few objects are compiled with
 * clang-19 instead (skipped, or failed under CI, if clang-19 is not installed).
 */
import { execFileSync } from 'node:child_process';
import { condition, file, needs, tool } from '@jitlink/test-support';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { JITLinkError, SimulatedMemoryManager, type LinkGraph } from '@jitlink/core';
import { createElfLinkGraph, parseElf } from '@jitlink/elf';
import { x86_64Elf } from '../src/elf/index.js';
import { findGOTBase, GOT_SECTION_NAME } from '../src/index.js';
import { linkGraph } from './helpers.js';

const CORPUS = resolve(__dirname, '../../../test-corpus/obj');
/** Memory below 2 GiB, so -fno-pic objects (absolute 32-bit addresses) link. */
const SLAB_BASE = 0x1000_0000;
/** Externals resolve to distinct addresses within 2 GiB of the slab. */
const EXTERNALS_BASE = 0x7000_0000;

/**
 * Compiled x86-64 objects of the corpus. The assembly tests under asm/ are left out:
 * their relocations need the addresses their check files choose (-abs, slab
 * address), and packages/cli/test/check.test.ts links them that way.
 */
function findObjects(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // Other architectures' trees (e.g. gcc-aarch64) are linked by their own packages.
      if (dir === CORPUS && (name === 'asm' || name.endsWith('-aarch64'))) continue;
      out.push(...findObjects(path));
    }
    else if (name.endsWith('.o')) out.push(path);
  }
  return out;
}

/** Compiles small programs for a spread of variants when the corpus is missing. */
function compileFallback(dir: string): string[] {
  const sources: Record<string, string> = {
    'hello.c':
      '#include <stdio.h>\nstatic const char *msg = "hi";\nint main(void) { puts(msg); return 0; }\n',
    'calls.c':
      'extern int ext_data; extern int ext_fn(int);\nint table[4] = {1, 2, 3, 4};\n' +
      'int f(int i) { return table[i & 3] + ext_data + ext_fn(i); }\nint (*fp)(int) = ext_fn;\n',
    'tls.c': '__thread int counter;\nint bump(void) { return ++counter; }\n',
  };
  const variants = [
    '-O0 -fPIC',
    '-O2 -fPIE',
    '-O2 -fno-pic',
    '-O2 -fPIC -mcmodel=large',
    '-O0 -fno-pic -mcmodel=medium',
  ];
  const objects: string[] = [];
  for (const [file, text] of Object.entries(sources)) writeFileSync(join(dir, file), text);
  variants.forEach((flags, i) => {
    for (const file of Object.keys(sources)) {
      const program = file.replace('.c', '');
      const out = join(dir, `v${i}`, program, `${program}.o`);
      execFileSync('mkdir', ['-p', join(out, '..')]);
      execFileSync('clang-19', ['-c', ...flags.split(' '), join(dir, file), '-o', out]);
      objects.push(out);
    }
  });
  return objects;
}

let root = CORPUS;
let objects: string[] = [];
let tempDir: string | undefined;
if (existsSync(CORPUS)) objects = findObjects(CORPUS);
if (objects.length === 0 && tool('clang-19').available()) {
  tempDir = mkdtempSync(join(tmpdir(), 'jitlink-x86-64-'));
  root = tempDir;
  objects = compileFallback(tempDir);
}
afterAll(() => {
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
});

/** The program directory an object belongs to: <compiler>/<variant>/<program>/<file>.o. */
function programOf(path: string): string {
  const parts = relative(root, path).split('/');
  return parts[parts.length - 2] ?? '';
}

interface Linked {
  graph: LinkGraph | undefined;
  error: Error | undefined;
  /** Fake addresses handed out to externals. */
  externals: Map<string, number>;
}

async function linkObject(path: string): Promise<Linked> {
  const name = relative(root, path);
  let graph: LinkGraph;
  try {
    graph = createElfLinkGraph(new Uint8Array(readFileSync(path)), x86_64Elf, { name });
  } catch (error) {
    return { graph: undefined, error: error as Error, externals: new Map() };
  }
  const addresses = new Map<string, number>();
  const outcome = await linkGraph(graph, {
    memory: new SimulatedMemoryManager({ baseAddress: SLAB_BASE }),
    target: x86_64Elf.target,
    symbols: (symbol) => {
      let address = addresses.get(symbol);
      if (address === undefined) addresses.set(symbol, (address = EXTERNALS_BASE + addresses.size * 16));
      return address;
    },
  });
  return { graph, error: outcome.error, externals: addresses };
}

const haveObjects = condition(`objects in ${CORPUS}, or clang-19 on PATH to build a few`, objects.length > 0);

needs(haveObjects).describe('corpus objects', () => {
  // tls_threads/early.o (a thread started before the link) has no thread-locals of its own.
  const hasTLS = (o: string) => programOf(o).startsWith('tls') && !o.endsWith('/early.o');
  const nonTLS = objects.filter((o) => !hasTLS(o));
  const tls = objects.filter(hasTLS);

  it(`links all ${nonTLS.length} non-TLS objects`, async () => {
    const failures: string[] = [];
    for (const path of nonTLS) {
      const { error } = await linkObject(path);
      if (error !== undefined) failures.push(`${relative(root, path)}: ${error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('has thread-local objects to check', () => {
    expect(tls.length).toBeGreaterThan(0);
  });

  // Each object on its own: the ELF platform provides TLS; without one, each reports what it needs.
  it.each(tls.map((path) => [relative(root, path), path]))(
    'asks for a platform with TLS support when %s is linked without one',
    async (_name, path) => {
      const { error } = await linkObject(path);
      expect(error).toBeInstanceOf(JITLinkError);
      expect((error as JITLinkError).code).toBe('UnsupportedFeature');
      expect(error!.message).toMatch(/thread-local storage needs a platform with TLS support/);
    },
  );
});

/**
 * Disassembles the linked .text of `path` with llvm-objdump-19: the fixed-up
 * bytes are written back into a copy of the object, which is disassembled at
 * the linked address. Returns instruction lines keyed by original offset.
 */
function disassembleLinkedText(path: string, linked: Linked, scratch: string): Map<number, string> {
  const bytes = new Uint8Array(readFileSync(path));
  const elf = parseElf(bytes, path);
  const header = elf.sections.find((s) => s.name === '.text')!;
  const block = [...linked.graph!.findSectionByName('.text')!.blocks][0]!;
  bytes.set(block.getContent(), header.offset);
  const copy = join(scratch, 'linked.o');
  writeFileSync(copy, bytes);
  const text = execFileSync('llvm-objdump-19', [
    '-d',
    '--no-show-raw-insn',
    '--section=.text',
    `--adjust-vma=0x${block.address.toString(16)}`,
    copy,
  ]).toString();
  const lines = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(line);
    if (m)
      lines.set(
        parseInt(m[1]!, 16) - block.address,
        m[2]!
          .replace(/<[^>]*>/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
  }
  return lines;
}

const CHOSEN = {
  clangMain: 'clang-19/O2-pic-small/multi/main.o',
  gccTables: 'gcc/O2-pic-small/multi/tables.o',
  clangNoPic: 'clang-19/O0-nopic-small/multi/ops.o',
};
needs(
  ...Object.values(CHOSEN).map((p) => file(join(CORPUS, p))),
  tool('llvm-objdump-19', 'llvm-19'),
).describe('linked instructions, as llvm-objdump-19 decodes them', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'jitlink-x86-64-dis-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const hex = (n: number) => '0x' + n.toString(16);
  // llvm-objdump applies --adjust-vma to branch targets but not to the
  // "# address" comments of RIP-relative operands, which stay section-relative.
  const ripComment = (target: number, text: number) =>
    '0x' + BigInt.asUintN(64, BigInt(target - text)).toString(16);
  const textAddress = (linked: Linked) => [...linked.graph!.findSectionByName('.text')!.blocks][0]!.address;

  it('calls externals directly and relaxes GOT loads of in-range externals (clang -fPIC)', async () => {
    const path = join(CORPUS, CHOSEN.clangMain);
    const linked = await linkObject(path);
    expect(linked.error).toBeUndefined();
    const dis = disassembleLinkedText(path, linked, scratch);
    // 0x19: callq puts@PLT (bypassed stub) ; 0x36: movq color_refs@GOTPCREL(%rip), %r14 -> leaq
    expect(dis.get(0x19)).toBe(`callq ${hex(linked.externals.get('puts')!)}`);
    expect(dis.get(0x36)).toMatch(
      new RegExp(
        `^leaq -?0x[0-9a-f]+\\(%rip\\), %r14 # ${ripComment(linked.externals.get('color_refs')!, textAddress(linked))}$`,
      ),
    );
  });

  it('relaxes a GOT load of a symbol defined in the object (gcc -fPIC)', async () => {
    const path = join(CORPUS, CHOSEN.gccTables);
    const linked = await linkObject(path);
    expect(linked.error).toBeUndefined();
    const dis = disassembleLinkedText(path, linked, scratch);
    const colorNames = [...linked.graph!.definedSymbols()].find((s) => s.name === 'color_names');
    expect(colorNames).toBeDefined();
    expect(dis.get(0x1a)).toMatch(
      new RegExp(
        `^leaq -?0x[0-9a-f]+\\(%rip\\), %rdi # ${ripComment(colorNames!.address, textAddress(linked))}$`,
      ),
    );
  });

  it('writes absolute 32-bit addresses below 2 GiB (clang -fno-pic)', async () => {
    const path = join(CORPUS, CHOSEN.clangNoPic);
    const linked = await linkObject(path);
    expect(linked.error).toBeUndefined();
    expect(linked.graph!.requiresLow32BitAddresses).toBe(true);
    const dis = disassembleLinkedText(path, linked, scratch);
    // 0x0a: movl .bss+A, %eax (R_X86_64_32S)
    const bss = [...linked.graph!.findSectionByName('.bss')!.blocks][0]!;
    const line = dis.get(0x0a)!;
    const m = /^movl (0x[0-9a-f]+), %eax$/.exec(line);
    expect(m).not.toBeNull();
    const address = parseInt(m![1]!, 16);
    expect(address).toBeGreaterThanOrEqual(bss.address);
    expect(address).toBeLessThan(bss.address + bss.size);
  });
});

const LARGE_HELLO = 'clang-19/O2-pic-large/hello/hello.o';

needs(file(join(CORPUS, LARGE_HELLO))).describe('large code model (clang -fPIC -mcmodel=large)', () => {
  it('computes the GOT, a GOT-relative string and a GOT entry the way the code uses them', async () => {
    //  1: leaq -0x7(%rip), %rax          rax = main + 1
    //  8: movabsq $GOTPC64+9, %rcx       rcx = GOT - rax
    // 15: movabsq $GOTOFF64 .lrodata.str1.1, %rdi ; addq %rcx, %rdi
    // 22: movabsq $GOT64 puts, %rax ; callq *(%rcx,%rax)   (all in .ltext)
    const linked = await linkObject(join(CORPUS, LARGE_HELLO));
    expect(linked.error).toBeUndefined();
    const graph = linked.graph!;
    const text = [...graph.findSectionByName('.ltext')!.blocks][0]!;
    const view = new DataView(text.getContent().buffer, text.getContent().byteOffset);
    const imm = (offset: number) => Number(view.getBigInt64(offset, true));
    const got = text.address + 1 + imm(0x0a);
    expect(got).toBe(findGOTBase(graph)!.address);
    const str = [...graph.findSectionByName('.lrodata.str1.1')!.blocks][0]!;
    expect(got + imm(0x17)).toBe(str.address);
    const entryAddress = got + imm(0x24);
    const entry = [...graph.findSectionByName(GOT_SECTION_NAME)!.blocks].find(
      (b) => b.address === entryAddress && b.size === 8,
    );
    expect(entry).toBeDefined();
    expect(
      Number(new DataView(entry!.getContent().buffer, entry!.getContent().byteOffset).getBigUint64(0, true)),
    ).toBe(linked.externals.get('puts'));
  });
});

const CXX_MAIN = 'clang-19/O2-pic-small/cxx/main.o';

needs(file(join(CORPUS, CXX_MAIN))).describe('.eh_frame (ELF default passes)', () => {
  it('splits records, fixes FDE pc-begin fields up and terminates the section', async () => {
    const linked = await linkObject(join(CORPUS, CXX_MAIN));
    expect(linked.error).toBeUndefined();
    const section = linked.graph!.findSectionByName('.eh_frame')!;
    const blocks = [...section.blocks].sort((a, b) => a.address - b.address);
    expect(blocks.length).toBeGreaterThan(2);
    const last = blocks[blocks.length - 1]!;
    expect([...last.getContent()]).toEqual([0, 0, 0, 0]);
    let fdes = 0;
    for (const block of blocks) {
      const edge = block.edges.find((e) => e.offset === 8);
      if (edge === undefined || !edge.target.isDefined() || edge.target.block.section.name === '.eh_frame')
        continue;
      const content = block.getContent();
      const value = new DataView(content.buffer, content.byteOffset).getInt32(8, true);
      expect(block.address + 8 + value).toBe(edge.target.address + edge.addend);
      fdes++;
    }
    expect(fdes).toBeGreaterThan(0);
  });
});
