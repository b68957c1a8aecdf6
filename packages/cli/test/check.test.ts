/**
 * -check: the assembly tests of test-corpus/obj/asm/x86_64 (one per ELF
 * x86-64 relocation type), linked into a simulated slab, against our
 * verifier and against llvm-jitlink-19's; and the decoder against
 * llvm-objdump-19 on linked bytes.
 */
import { spawnSync } from 'node:child_process';
import { needs, tool } from '@jitlink/test-support';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlabMemoryManager, type DecodedOperand } from '@jitlink/core';
import { x86_64InstructionDecoder } from '@jitlink/arch-x86-64';
import { ExecutionSession, ObjectLinkingLayer } from '@jitlink/orc';
import { CheckRecorder } from '../src/check.js';
import { createDefaultRegistry } from '../src/run.js';
import { REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const ASM = join(REPO_ROOT, 'test-corpus/obj/asm/x86_64');
const SLAB = ['-noexec', '-slab-allocate', '100Kb', '-slab-address', '0x7fff0000', '-slab-page-size', '4096'];
const NEAR = ['-abs', 'extern_near=0x7ff00000'];
const FAR = ['-abs', 'extern_far=0x100000000000'];

interface Case {
  name: string;
  abs: string[];
  /** llvm-jitlink-19 rejects this relocation: the message it gives. */
  llvmGap?: string;
}

const CASES: Case[] = [
  { name: 'R_X86_64_64', abs: FAR },
  { name: 'R_X86_64_PC32', abs: NEAR },
  { name: 'R_X86_64_PLT32', abs: [...NEAR, ...FAR] },
  { name: 'R_X86_64_GOTPCREL', abs: NEAR },
  { name: 'R_X86_64_GOTPCRELX', abs: [...NEAR, ...FAR] },
  { name: 'R_X86_64_REX_GOTPCRELX', abs: [...NEAR, ...FAR] },
  { name: 'R_X86_64_32', abs: NEAR },
  { name: 'R_X86_64_32S', abs: ['-abs', 'extern_low=0x12345678', '-abs', 'extern_high=0xffffffff80001000'] },
  { name: 'R_X86_64_PC64', abs: FAR },
  { name: 'R_X86_64_GOTPC32', abs: [] },
  { name: 'R_X86_64_GOTPC64', abs: [] },
  { name: 'R_X86_64_GOTOFF64', abs: [] },
  { name: 'R_X86_64_GOT64', abs: FAR },
  { name: 'R_X86_64_GOTPCREL64', abs: FAR },
  { name: 'R_X86_64_PLTOFF64', abs: [], llvmGap: 'Unsupported x86-64 relocation type R_X86_64_PLTOFF64' },
  { name: 'R_X86_64_16', abs: ['-abs', 'extern16=0xbeef'] },
  { name: 'R_X86_64_PC16', abs: [], llvmGap: 'Unsupported x86-64 relocation type R_X86_64_PC16' },
  { name: 'R_X86_64_8', abs: ['-abs', 'extern8=0x7e'] },
  { name: 'R_X86_64_PC8', abs: [] },
  { name: 'R_X86_64_SIZE32', abs: [], llvmGap: 'Unsupported x86-64 relocation type R_X86_64_SIZE32' },
  { name: 'R_X86_64_SIZE64', abs: [], llvmGap: 'Unsupported x86-64 relocation type R_X86_64_SIZE64' },
  { name: 'decode_forms', abs: [] },
];

const checkArgs = (c: Case) => [...SLAB, ...c.abs, '-check', join(ASM, `${c.name}.s`), join(ASM, `${c.name}.o`)];

const withJitlink = needs(tool('llvm-jitlink-19', 'llvm-19'));
const withObjdump = needs(tool('llvm-objdump-19', 'llvm-19'), tool('llvm-mc-19', 'llvm-19'));

describe('jitlink -check on the x86-64 relocation tests', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s passes its checks', async (_name, c) => {
    const result = await runCli(checkArgs(c));
    expect(result.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
    expect(result.code).toBe(0);
  });

  withJitlink.it.each(CASES.map((c) => [c.name, c] as const))(
    'llvm-jitlink-19 agrees on %s (or rejects a relocation it is known not to support)',
    (_name, c) => {
      const llvm = spawnSync('llvm-jitlink-19', checkArgs(c), { encoding: 'utf8' });
      if (c.llvmGap !== undefined) {
        expect(llvm.stderr).toContain(c.llvmGap);
        expect(llvm.status).not.toBe(0);
      } else {
        expect(llvm.stderr).toBe('');
        expect(llvm.status).toBe(0);
      }
    },
  );

  it('reports a failing check with its file, line and both sides in hex, and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jitlink-check-'));
    try {
      const checkFile = join(dir, 'wrong.s');
      writeFileSync(checkFile, '# jitlink-check: *{8}abs64_local = main + 3\n\n// jitlink-check: *{8}abs64_local = main + 4\n');
      const result = await runCli([...SLAB, ...FAR, '-check', checkFile, join(ASM, 'R_X86_64_64.o')]);
      expect(result.code).toBe(1);
      const m = /wrong\.s:3: expression '\*\{8\}abs64_local = main \+ 4' is false: 0x([0-9a-f]+) != 0x([0-9a-f]+)\n/.exec(result.stderr);
      expect(m).not.toBeNull();
      expect(BigInt('0x' + m![2]!) - BigInt('0x' + m![1]!)).toBe(1n);
      expect(result.stderr).toContain(`jitlink: error: some checks in ${checkFile} failed`);
      // The same check under another name is ignored unless -check-name selects it.
      writeFileSync(checkFile, '# my-check: *{8}abs64_local = main + 3\n# jitlink-check: 1 = 2\n');
      const renamed = await runCli([...SLAB, ...FAR, '-check-name', 'my-check', '-check', checkFile, join(ASM, 'R_X86_64_64.o')]);
      expect(renamed.stderr).toBe('jitlink-check: 1 check passed\n');
      expect(renamed.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** llvm-objdump's view of one instruction: length, PC-relative target, displacement and immediate. */
interface Disassembled {
  size: number;
  text: string;
  branchTarget?: bigint;
  displacement?: bigint;
  immediate?: bigint;
}

function objdumpAt(lines: Map<number, Disassembled>, offset: number): Disassembled {
  const inst = lines.get(offset);
  if (inst === undefined) throw new Error(`llvm-objdump has no instruction at offset ${offset}`);
  return inst;
}

function disassemble(bytes: Uint8Array, dir: string): Map<number, Disassembled> {
  // Raw bytes in an object without relocations, so objdump shows them as linked.
  const source = join(dir, 'bytes.s');
  writeFileSync(source, `.text\n${Array.from(bytes, (b) => `.byte ${b}`).join('\n')}\n`);
  const object = join(dir, 'bytes.o');
  const mc = spawnSync('llvm-mc-19', ['-filetype=obj', '-triple=x86_64-unknown-linux-gnu', source, '-o', object], { encoding: 'utf8' });
  if (mc.status !== 0) throw new Error(mc.stderr);
  const dump = spawnSync('llvm-objdump-19', ['-d', '--triple=x86_64', object], { encoding: 'utf8' });
  if (dump.status !== 0) throw new Error(dump.stderr);
  const result = new Map<number, Disassembled>();
  for (const line of dump.stdout.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s((?:[0-9a-f]{2} )*[0-9a-f]{2})\s*\t(.*)$/.exec(line);
    if (!m) continue;
    const text = m[3]!.replace(/\s+#.*$/, '').trim();
    const inst: Disassembled = { size: m[2]!.trim().split(' ').length, text };
    const branch = /^(call|jmp|j[a-z]+)q?\s+0x([0-9a-f]+)/.exec(text);
    if (branch) inst.branchTarget = BigInt('0x' + branch[2]);
    const mem = /(-?)0x([0-9a-f]+)\(%[a-z0-9]+/.exec(text);
    if (mem) inst.displacement = (mem[1] ? -1n : 1n) * BigInt('0x' + mem[2]);
    else if (/[\s,*]\(%[a-z0-9]+/.test(text)) inst.displacement = 0n;
    const imm = /\$(-?)0x([0-9a-f]+)/.exec(text);
    if (imm) inst.immediate = (imm[1] ? -1n : 1n) * BigInt('0x' + imm[2]);
    result.set(parseInt(m[1]!, 16), inst);
  }
  return result;
}

/** The displacement of the memory operand in LLVM numbering: base, scale, index, displacement, segment. */
function memoryDisplacement(operands: DecodedOperand[]): bigint | undefined {
  for (let i = 0; i + 4 < operands.length; i++) {
    const [base, scale, index, disp, segment] = operands.slice(i, i + 5);
    if (typeof base !== 'bigint' && typeof scale === 'bigint' && typeof index !== 'bigint' && typeof disp === 'bigint' && typeof segment !== 'bigint') {
      return disp;
    }
  }
  return undefined;
}

withObjdump.describe('x86-64 decoder against llvm-objdump-19 on linked bytes', () => {
  it('agrees on length, branch displacement, memory displacement and immediate of every form in decode_forms', async () => {
    const registry = createDefaultRegistry();
    const session = new ExecutionSession();
    const errors: Error[] = [];
    session.errorReporter = (e) => errors.push(e);
    const memoryManager = new SlabMemoryManager({ size: 100 * 1024, baseAddress: 0x7fff0000, pageSize: 4096 });
    const layer = new ObjectLinkingLayer(session, { memoryManager, registry });
    const recorder = new CheckRecorder(layer);
    const main = session.createJITDylib('main');
    const path = join(ASM, 'decode_forms.o');
    const unit = layer.add(main, registry.createLinkGraph(new Uint8Array(readFileSync(path)), { name: path }));
    await session.materialize([unit.record!]);
    expect(errors).toEqual([]);
    const ctx = recorder.context;

    const source = readFileSync(join(ASM, 'decode_forms.s'), 'utf8');
    const labels = [...source.matchAll(/^\s+\.type\s+(\w+),@function$/gm)].map((m) => m[1]!).filter((l) => l !== 'main' && l !== 'target');
    expect(labels.length).toBe(27);
    const base = ctx.symbolAddress('main')!;
    const text = ctx.contentAt(base)!;
    const dir = mkdtempSync(join(tmpdir(), 'jitlink-decode-'));
    try {
      const objdump = disassemble(text, dir);
      const compared = { branches: 0, displacements: 0, immediates: 0 };
      for (const label of labels) {
        const address = ctx.symbolAddress(label)!;
        const offset = Number(address - base);
        const inst = x86_64InstructionDecoder.decode(text.subarray(offset, offset + 15), address);
        const reference = objdumpAt(objdump, offset);
        const where = `${label}: ${reference.text}`;
        expect([where, inst.size]).toEqual([where, reference.size]);
        if (reference.branchTarget !== undefined) {
          expect([where, inst.operands[0]]).toEqual([where, reference.branchTarget - BigInt(offset + reference.size)]);
          compared.branches++;
        }
        if (reference.displacement !== undefined) {
          expect([where, memoryDisplacement(inst.operands)]).toEqual([where, reference.displacement]);
          compared.displacements++;
        }
        if (reference.immediate !== undefined) {
          const immediate = inst.operands.filter((o): o is bigint => typeof o === 'bigint').at(-1)!;
          const bits = inst.mnemonic === 'movabs' ? 64 : 32;
          expect([where, BigInt.asUintN(bits, immediate)]).toEqual([where, BigInt.asUintN(bits, reference.immediate)]);
          compared.immediates++;
        }
      }
      expect(compared).toEqual({ branches: 5, displacements: 19, immediates: 7 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
