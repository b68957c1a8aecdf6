/**
 * Malformed MachO input gives a typed JITLinkError naming the file, section
 * and offset; mutated objects never give anything else (fuzzing).
 */
import { graphDefinitions, JITLinkError, type LinkGraph } from '@jitlink/core';
import { createMachOLinkGraph, machoFormatSniffer, parseMachO, readMachODefinitions, type MachOFile } from '../src/index.js';
import { corpusObject, recordingArch } from './helpers.js';

const FILE = 'hello.o';
const original = corpusObject('x86_64/O2/hello/hello.o');

function mutated(f: (view: DataView, m: MachOFile) => void): Uint8Array {
  const bytes = original.slice();
  f(new DataView(bytes.buffer), parseMachO(original, FILE));
  return bytes;
}

function error(bytes: Uint8Array): JITLinkError {
  try {
    createMachOLinkGraph(bytes, recordingArch(), { name: FILE });
  } catch (e) {
    if (e instanceof JITLinkError) return e;
    throw e;
  }
  throw new Error('no error');
}

function text(m: MachOFile) {
  return m.sections.find((s) => s.fullName === '__TEXT,__text')!;
}

describe('malformed MachO objects', () => {
  test('a load command whose size runs past the load commands', () => {
    const e = error(mutated((v) => v.setUint32(32 + 4, 0x10000, true)));
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toMatch(/^hello\.o, offset 0x20: load command 0 \(0x19\) has size 0x10000, past the end of the load commands/);
  });

  test('load commands past the end of the file', () => {
    const e = error(mutated((v) => v.setUint32(20, 0x100000, true)));
    expect(e.message).toMatch(/^hello\.o, offset 0x20: load commands \(0x100000 bytes at offset 0x20\) extends past the end of the file/);
  });

  test('a section outside its segment', () => {
    const e = error(mutated((v, m) => v.setBigUint64(text(m).headerOffset + 32, 0x100000n, true)));
    expect(e.code).toBe('MalformedObject');
    expect(e.section).toBe('__TEXT,__text');
    expect(e.file).toBe(FILE);
    expect(e.message).toMatch(/^hello\.o, section __TEXT,__text, offset 0x[0-9a-f]+: section __TEXT,__text \[0x100000, 0x[0-9a-f]+\) lies outside its segment/);
  });

  test('section contents past the end of the file', () => {
    const e = error(mutated((v, m) => v.setUint32(text(m).headerOffset + 48, original.length - 2, true)));
    expect(e.message).toMatch(/section __TEXT,__text contents .* extends past the end of the file/);
  });

  test('a scattered relocation', () => {
    const e = error(mutated((v, m) => v.setUint32(text(m).relocationOffset, 0x80000000 | 4, true)));
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.message).toMatch(/^hello\.o, section __TEXT,__text, offset 0x[0-9a-f]+: scattered relocation entry #0 of __TEXT,__text is not supported/);
  });

  test('a relocation naming a symbol past the symbol table', () => {
    const e = error(
      mutated((v, m) => {
        const at = text(m).relocationOffset + 4;
        v.setUint32(at, (v.getUint32(at, true) & 0xff000000) | 0xffffff, true);
      }),
    );
    expect(e.message).toMatch(/relocation names symbol #16777215, past the symbol table/);
  });

  test('a relocation patching bytes outside its section', () => {
    const e = error(mutated((v, m) => v.setUint32(text(m).relocationOffset, text(m).size, true)));
    expect(e.message).toMatch(/patches 4 bytes outside __TEXT,__text/);
  });

  test('a symbol in a section that does not exist', () => {
    const m = parseMachO(original, FILE);
    const main = m.symbols.find((s) => s.name === '_main')!;
    const e = error(mutated((v) => v.setUint8(main.entryOffset + 5, 99)));
    expect(e.message).toBe(`hello.o, offset 0x${main.entryOffset.toString(16)}: symbol #${main.index} (_main) names section 99, which does not exist`);
  });

  const section = (m: MachOFile, name: string) => m.sections.find((s) => s.fullName === name)!;

  test('compact unwind whose size is not a whole number of 32-byte entries', () => {
    const e = error(mutated((v, m) => v.setBigUint64(section(m, '__LD,__compact_unwind').headerOffset + 40, 0x1fn, true)));
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toMatch(
      /^hello\.o, section __LD,__compact_unwind, offset 0x[0-9a-f]+: __LD,__compact_unwind holds compact unwind entries of 32 bytes, but its size is 0x1f$/,
    );
  });

  test('a compact unwind entry without the relocation naming its function', () => {
    const m = parseMachO(original, FILE);
    const unwind = section(m, '__LD,__compact_unwind');
    const e = error(mutated((v) => v.setUint32(unwind.headerOffset + 60, 0, true)));
    expect(e.message).toBe(`hello.o, section __LD,__compact_unwind, offset 0x${unwind.fileOffset.toString(16)}: compact unwind entry has no relocation naming its function`);
  });

  test('thread-variable descriptors: a partial one, and a symbol splitting one', () => {
    const FILE_TLV = 'tlv_vars.o';
    const tlv = corpusObject('x86_64/O2/tlv/tlv_vars.o');
    const m = parseMachO(tlv, FILE_TLV);
    const vars = section(m, '__DATA,__thread_vars');
    const build = (f: (v: DataView) => void) => {
      const bytes = tlv.slice();
      f(new DataView(bytes.buffer));
      try {
        createMachOLinkGraph(bytes, recordingArch(), { name: FILE_TLV });
      } catch (e) {
        return e as JITLinkError;
      }
      throw new Error('no error');
    };
    const partial = build((v) => v.setBigUint64(vars.headerOffset + 40, BigInt(vars.size - 8), true));
    expect(partial.message).toMatch(/^tlv_vars\.o, section __DATA,__thread_vars, offset 0x[0-9a-f]+: __DATA,__thread_vars holds thread-variable descriptors of 24 bytes, but its size is 0x58$/);
    // _tlv_name's descriptor moved 8 bytes into _tlv_counter's.
    const name = m.symbols.find((s) => s.name === '_tlv_name')!;
    const split = build((v) => v.setBigUint64(name.entryOffset + 8, BigInt(name.value - 16), true));
    expect(split.code).toBe('MalformedObject');
    expect(split.message).toMatch(/^tlv_vars\.o, section __DATA,__thread_vars, offset 0x[0-9a-f]+: a symbol at 0x[0-9a-f]+ splits a thread-variable descriptor$/);
  });

  test('a truncated file', () => {
    expect(error(original.subarray(0, 20)).message).toBe('hello.o, offset 0x0: truncated MachO header (20 bytes)');
    expect(error(original.subarray(0, 200)).code).toBe('MalformedObject');
  });
});

/** Small deterministic generator (xorshift32). */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('fuzzing: mutated objects only ever throw JITLinkError', () => {
  test.each(['x86_64/O2/ctors/ctors.o', 'x86_64/O0/multi/multi_util.o', 'arm64/O2/ctors/ctors.o', 'universal/hello.o'])(
    '%s: 2000 byte flips and truncations',
    (rel) => {
      const input = corpusObject(rel);
      const random = prng(0x5eed1234);
      let rejected = 0;
      for (let i = 0; i < 2000; i++) {
        let bytes = input.slice();
        if (random() < 0.15) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
        const flips = 1 + Math.floor(random() * 6);
        // Half of the flips hit the header and load commands, where damage matters most.
        for (let k = 0; k < flips && bytes.length > 0; k++) {
          const hi = random() < 0.5 ? Math.min(bytes.length, 32 + 0x300) : bytes.length;
          const at = Math.floor(random() * hi);
          bytes[at] = random() < 0.5 ? Math.floor(random() * 256) : bytes[at]! ^ (1 << Math.floor(random() * 8));
        }
        let graph: LinkGraph | undefined;
        try {
          const identity = machoFormatSniffer.sniff(bytes, { file: 'fuzz.o', arch: 'x86_64' });
          if (identity === undefined) throw new JITLinkError('UnsupportedFormat', 'not MachO');
          const slice = identity.slice ? bytes.subarray(identity.slice.offset, identity.slice.offset + identity.slice.size) : bytes;
          const arch = recordingArch();
          if (identity.arch !== 'x86_64') throw new JITLinkError('UnsupportedArchitecture', identity.arch);
          graph = createMachOLinkGraph(slice, arch, { name: 'fuzz.o' });
        } catch (e) {
          if (!(e instanceof JITLinkError)) throw new Error(`mutation ${i} threw a non-JITLinkError: ${(e as Error).stack}`);
          rejected++;
        }
        if (graph !== undefined) {
          expect(graph.name).toBe('fuzz.o');
          // Definitions read without a graph: the same ones whenever the graph builds.
          const slice = bytes.subarray(0, bytes.length);
          const identity = machoFormatSniffer.sniff(slice, { file: 'fuzz.o', arch: 'x86_64' })!;
          const thin = identity.slice ? slice.subarray(identity.slice.offset, identity.slice.offset + identity.slice.size) : slice;
          expect(readMachODefinitions(thin, recordingArch(), 'fuzz.o')).toEqual(graphDefinitions(graph));
        }
      }
      expect(rejected).toBeGreaterThan(100);
    },
  );
});
