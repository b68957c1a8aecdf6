import {
  BackendRegistry,
  definitionFlags,
  identifyObject,
  JITLinkError,
  LinkGraph,
  parseArchive,
  type ByteSource,
  type LinkGraphBackend,
} from '../src/index.js';
import { toyTarget } from './helpers.js';

function elfHeader(opts: { cls: 1 | 2; data: 1 | 2; type?: number; machine: number }): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls, opts.data, 1]);
  const v = new DataView(b.buffer);
  const le = opts.data === 1;
  v.setUint16(16, opts.type ?? 1, le);
  v.setUint16(18, opts.machine, le);
  return b;
}

function machoHeader(magic: number, cpu: number, filetype = 1): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, magic, true);
  v.setUint32(4, cpu, true);
  v.setUint32(12, filetype, true);
  return b;
}

describe('identifyObject', () => {
  test.each([
    [elfHeader({ cls: 2, data: 1, machine: 62 }), 'elf', 'x86_64', 64, 'little'],
    [elfHeader({ cls: 2, data: 1, machine: 183 }), 'elf', 'aarch64', 64, 'little'],
    [elfHeader({ cls: 2, data: 2, machine: 183 }), 'elf', 'aarch64_be', 64, 'big'],
    [elfHeader({ cls: 1, data: 1, machine: 3 }), 'elf', 'i386', 32, 'little'],
    [elfHeader({ cls: 2, data: 1, machine: 243 }), 'elf', 'riscv64', 64, 'little'],
    [elfHeader({ cls: 2, data: 2, machine: 21 }), 'elf', 'ppc64', 64, 'big'],
    [machoHeader(0xfeedfacf, 0x01000007), 'macho', 'x86_64', 64, 'little'],
    [machoHeader(0xfeedfacf, 0x0100000c), 'macho', 'arm64', 64, 'little'],
  ])('%#: %s %s', (bytes, format, arch, bits, endianness) => {
    const id = identifyObject(bytes as Uint8Array, 'x.o');
    expect(id).toMatchObject({ format, arch, bits, endianness });
  });

  test('COFF, plain and bigobj', () => {
    const coff = new Uint8Array(20);
    new DataView(coff.buffer).setUint16(0, 0x8664, true);
    expect(identifyObject(coff)).toMatchObject({ format: 'coff', arch: 'x86_64', bigobj: false });
    const arm = new Uint8Array(20);
    new DataView(arm.buffer).setUint16(0, 0xaa64, true);
    expect(identifyObject(arm)).toMatchObject({ format: 'coff', arch: 'aarch64' });
    const big = new Uint8Array(56);
    const v = new DataView(big.buffer);
    v.setUint16(0, 0, true);
    v.setUint16(2, 0xffff, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 0x8664, true);
    big.set(
      [0xc7, 0xa1, 0xba, 0xd1, 0xee, 0xba, 0xa9, 0x4b, 0xaf, 0x20, 0xfa, 0xf6, 0x6a, 0xa4, 0xdc, 0xb8],
      12,
    );
    expect(identifyObject(big)).toMatchObject({ format: 'coff', arch: 'x86_64', bigobj: true });
    const importObj = big.slice();
    importObj[4] = 0;
    expect(() => identifyObject(importObj, 'imp.o')).toThrow(/import-library member/);
  });

  test('universal MachO: picks the requested slice or asks for one', () => {
    const x86 = machoHeader(0xfeedfacf, 0x01000007);
    const arm = machoHeader(0xfeedfacf, 0x0100000c);
    const fat = new Uint8Array(8 + 2 * 20 + 64);
    const v = new DataView(fat.buffer);
    v.setUint32(0, 0xcafebabe, false);
    v.setUint32(4, 2, false);
    const put = (i: number, cpu: number, off: number, bytes: Uint8Array) => {
      v.setUint32(8 + i * 20, cpu, false);
      v.setUint32(8 + i * 20 + 8, off, false);
      v.setUint32(8 + i * 20 + 12, bytes.length, false);
      fat.set(bytes, off);
    };
    put(0, 0x01000007, 48, x86);
    put(1, 0x0100000c, 80, arm);
    expect(identifyObject(fat, 'fat.o', 'arm64')).toMatchObject({
      format: 'macho',
      arch: 'arm64',
      slice: { offset: 80, size: 32 },
    });
    expect(identifyObject(fat, 'fat.o', 'aarch64').arch).toBe('arm64');
    expect(() => identifyObject(fat, 'fat.o')).toThrow(/several architectures \(x86_64, arm64\)/);
    expect(() => identifyObject(fat, 'fat.o', 'i386')).toThrow(/no i386 slice/);
  });

  test('non-objects get typed errors naming the file', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([1, 2]), /too small/],
      [new TextEncoder().encode('!<arch>\nxxxxxxxx'), /static archive/],
      [new TextEncoder().encode('!<thin>\nxxxxxxxx'), /thin archive/],
      [new Uint8Array([0x42, 0x43, 0xc0, 0xde, 0, 0]), /bitcode/],
      [elfHeader({ cls: 2, data: 1, type: 3, machine: 62 }), /shared object/],
      [elfHeader({ cls: 2, data: 1, machine: 62 }).subarray(0, 40), /truncated ELF header/],
      [new Uint8Array(64).fill(0x55), /unrecognized object file format/],
    ];
    for (const [bytes, pattern] of cases) {
      let error: unknown;
      try {
        identifyObject(bytes, 'bad.o');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(JITLinkError);
      expect((error as JITLinkError).message).toMatch(pattern);
      expect((error as JITLinkError).file).toBe('bad.o');
    }
  });
});

describe('backend registry and createLinkGraph', () => {
  test('says which packages to install when no backend is registered', () => {
    const registry = new BackendRegistry();
    const arm = elfHeader({ cls: 2, data: 1, machine: 183 });
    expect(() => registry.createLinkGraph(arm, { name: 'a.o' })).toThrow(
      'a.o: ELF/aarch64 object: install @jitlink/elf and @jitlink/arch-arm64, and register the backend they compose',
    );
    const macho = machoHeader(0xfeedfacf, 0x01000007);
    expect(() => registry.createLinkGraph(macho, { name: 'm.o' })).toThrow(
      /MachO\/x86_64 object: install @jitlink\/macho and @jitlink\/arch-x86-64/,
    );
    const riscv = elfHeader({ cls: 2, data: 1, machine: 243 });
    expect(() => registry.createLinkGraph(riscv, { name: 'r.o' })).toThrow(
      /no @jitlink package supports riscv64 yet/,
    );
  });

  test('third-party backends register through the public API and receive the identity', () => {
    const registry = new BackendRegistry();
    let seen: unknown;
    const backend: LinkGraphBackend = {
      ...toyTarget,
      name: 'ELF/riscv64 (test)',
      format: 'elf',
      arch: 'riscv64',
      createLinkGraph(_bytes, options) {
        seen = options.identity;
        return new LinkGraph({
          name: options.name ?? '?',
          triple: 'riscv64-unknown-linux-gnu',
          pointerSize: 8,
          endianness: 'little',
        });
      },
    };
    registry.register(backend);
    const g = registry.createLinkGraph(elfHeader({ cls: 2, data: 1, machine: 243 }), { name: 'r.o' });
    expect(g.name).toBe('r.o');
    expect(seen).toMatchObject({ format: 'elf', arch: 'riscv64' });
    expect(registry.forGraph(g)).toBe(backend);
    registry.unregister(backend);
    expect(registry.find('elf', 'riscv64')).toBeUndefined();
  });

  describe('definitions of an object held elsewhere (a ByteSource)', () => {
    // A 4 KiB object whose definitions a toy backend reads from bytes 64..72.
    const object = elfHeader({ cls: 2, data: 1, machine: 243 });
    const whole = new Uint8Array(4096);
    whole.set(object);
    whole.set([1, 2, 3, 4, 5, 6, 7, 8], 64);
    const reads: [number, number][] = [];
    const source: ByteSource = {
      size: whole.length,
      read(offset, length) {
        reads.push([offset, length]);
        return whole.slice(offset, offset + length);
      },
    };
    const backend = (withRanges: boolean): LinkGraphBackend => ({
      ...toyTarget,
      name: 'ELF/riscv64 (test)',
      format: 'elf',
      arch: 'riscv64',
      createLinkGraph: () => {
        throw new Error('not built');
      },
      readDefinitions: (bytes) =>
        new Map([
          [`sum_${bytes.subarray(64, 72).reduce((a, b) => a + b)}`, definitionFlags(false, false, true)],
        ]),
      ...(withRanges ? { readDefinitionRanges: (object) => object.read(64, 8) } : {}),
    });

    test.each([
      ['only the ranges the backend names', true, [64, 8]],
      ['the whole object for backends that name no ranges', false, [0, 4096]],
    ] as const)('reads %s', (_, withRanges, second) => {
      const registry = new BackendRegistry();
      registry.register(backend(withRanges));
      reads.length = 0;
      expect([...registry.readObjectDefinitions(source, { name: 'r.o' }).keys()]).toEqual(['sum_36']);
      // The identification bytes first, then what the definitions need.
      expect(reads).toEqual([[0, 64], second]);
    });

    test('archive members are ByteSources over their own contents', () => {
      const member = (name: string, data: Uint8Array) => {
        const header = `${`${name}/`.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
        const pad = data.length % 2 === 1 ? [0x0a] : [];
        return [...new TextEncoder().encode(header), ...data, ...pad];
      };
      const bytes = new Uint8Array([
        ...new TextEncoder().encode('!<arch>\n'),
        ...member('a.o', new Uint8Array([1, 2, 3])),
        ...member('b.o', whole),
      ]);
      const fromBytes = parseArchive(bytes, 'lib.a');
      const fromSource = parseArchive({ size: bytes.length, read: (o, n) => bytes.slice(o, o + n) }, 'lib.a');
      for (const archive of [fromBytes, fromSource]) {
        const [a, b] = archive.members;
        expect([...a!.read(1, 2)]).toEqual([2, 3]);
        expect([...b!.read(64, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(() => a!.read(2, 2)).toThrow('cannot read 2 bytes at 2 of member "a.o" (3 bytes)');
        const registry = new BackendRegistry();
        registry.register(backend(true));
        expect([...registry.readObjectDefinitions(b!, { name: 'lib.a(b.o)' }).keys()]).toEqual(['sum_36']);
      }
    });
  });
});
