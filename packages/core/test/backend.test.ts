import {
  BackendRegistry,
  createLinkGraph,
  defaultBackendRegistry,
  definitionFlags,
  identifyObject,
  JITLinkError,
  KNOWN_BACKENDS,
  LinkGraph,
  missingBackendAdvice,
  parseArchive,
  registerBackend,
  registerFormatSniffer,
  type ByteSource,
  type FormatSniffer,
  type LinkGraphBackend,
} from '../src/index.js';
import { toyGraph, toyTarget } from './helpers.js';

/** A made-up format: "TOY!" then one byte naming the architecture (1 = x86_64). */
function toyObject(): Uint8Array {
  return new Uint8Array([0x54, 0x4f, 0x59, 0x21, 1, 0, 0, 0]);
}
const toySniffer: FormatSniffer = {
  name: 'toy',
  sniff(bytes) {
    if (bytes[0] !== 0x54 || bytes[1] !== 0x4f || bytes[2] !== 0x59 || bytes[3] !== 0x21) return undefined;
    return { format: 'toy', arch: bytes[4] === 1 ? 'x86_64' : 'unknown', bits: 64, endianness: 'little', description: 'toy object' };
  },
};

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
    // Built in, core names only the machines its hints name (@jitlink/elf's sniffer names the rest).
    [elfHeader({ cls: 2, data: 2, machine: 183 }), 'elf', 'unknown-elf-machine-183', 64, 'big'],
    [elfHeader({ cls: 1, data: 1, machine: 3 }), 'elf', 'unknown-elf-machine-3', 32, 'little'],
    [elfHeader({ cls: 2, data: 1, machine: 243 }), 'elf', 'unknown-elf-machine-243', 64, 'little'],
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
      [elfHeader({ cls: 2, data: 1, machine: 62 }).subarray(0, 18), /truncated ELF header/],
      [elfHeader({ cls: 3 as 2, data: 1, machine: 62 }), /invalid ELF class 3/],
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
  test('says what would bring a backend, or that none exists yet (exact messages)', () => {
    const registry = new BackendRegistry();
    const coff = new Uint8Array(20);
    new DataView(coff.buffer).setUint16(0, 0x8664, true);
    registry.registerSniffer(toySniffer);
    const cases: [Uint8Array, string, string][] = [
      // Supported: the packages exist; the backend they compose is not registered.
      [
        elfHeader({ cls: 2, data: 1, machine: 62 }),
        'x.o',
        'x.o: ELF/x86_64 object: install @jitlink/elf and @jitlink/arch-x86-64 (0.1.0 or later), and register the backend they compose',
      ],
      [
        machoHeader(0xfeedfacf, 0x01000007),
        'mx.o',
        'mx.o: MachO/x86_64 object: install @jitlink/macho and @jitlink/arch-x86-64 (0.2.0 or later), and register the backend they compose',
      ],
      [
        elfHeader({ cls: 2, data: 1, machine: 183 }),
        'a.o',
        'a.o: ELF/aarch64 object: install @jitlink/elf and @jitlink/arch-arm64 (0.2.0 or later), and register the backend they compose',
      ],
      [
        machoHeader(0xfeedfacf, 0x0100000c),
        'm.o',
        'm.o: MachO/arm64 object: install @jitlink/macho and @jitlink/arch-arm64 (0.2.0 or later), and register the backend they compose',
      ],
      [
        coff,
        'c.obj',
        'c.obj: COFF/x86_64 object: install @jitlink/coff and @jitlink/arch-x86-64 (0.2.0 or later), and register the backend they compose',
      ],
      [
        elfHeader({ cls: 2, data: 1, machine: 9999 }),
        'u.o',
        'u.o: ELF/unknown-elf-machine-9999 object: no @jitlink package supports this machine, and none is planned; a backend for it can be registered with registerBackend()',
      ],
      // A format a registered sniffer knows, whose backend is missing.
      [
        toyObject(),
        't.toy',
        't.toy: toy/x86_64 object: no backend for toy/x86_64 is registered; register one with registerBackend()',
      ],
    ];
    for (const [bytes, name, message] of cases) {
      let error: unknown;
      try {
        registry.createLinkGraph(bytes, { name });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(JITLinkError);
      expect((error as JITLinkError).code).toBe('MissingBackend');
      expect((error as JITLinkError).message).toBe(message);
    }
  });

  test('the hint follows the table: every known pair gets install advice once it has a version', () => {
    for (const known of KNOWN_BACKENDS) {
      const advice = missingBackendAdvice(known.format, known.arch);
      if (known.since !== undefined) expect(advice).toBe(`install ${known.packages.join(' and ')} (${known.since} or later), and register the backend they compose`);
      else expect(advice).toMatch(new RegExp(`^not supported yet .* planned in ${known.plannedIn}`));
    }
  });

  test('a third-party sniffer for a made-up format reaches its backend (default registry)', () => {
    let seen: unknown;
    const backend: LinkGraphBackend = {
      ...toyTarget,
      name: 'toy/x86_64',
      format: 'toy',
      arch: 'x86_64',
      createLinkGraph(_bytes, options) {
        seen = options.identity;
        return new LinkGraph({
          name: options.name ?? '?',
          triple: 'x86_64-unknown-unknown',
          format: 'toy',
          pointerSize: 8,
          endianness: 'little',
        });
      },
    };
    registerFormatSniffer(toySniffer);
    registerBackend(backend);
    try {
      const g = createLinkGraph(toyObject(), { name: 't.toy' });
      expect(g.name).toBe('t.toy');
      expect(g.format).toBe('toy');
      expect(seen).toEqual({ format: 'toy', arch: 'x86_64', bits: 64, endianness: 'little', description: 'toy object' });
      expect(defaultBackendRegistry.forGraph(g)).toBe(backend);
      // Other formats still reach the built-in recognition.
      expect(defaultBackendRegistry.identify(elfHeader({ cls: 2, data: 1, machine: 62 }))).toMatchObject({ format: 'elf', arch: 'x86_64' });
    } finally {
      defaultBackendRegistry.unregister(backend);
      defaultBackendRegistry.unregisterSniffer(toySniffer);
    }
    expect(() => createLinkGraph(toyObject(), { name: 't.toy' })).toThrow(/unrecognized object file format/);
  });

  test('a deferred backend: its sniffer at once, built on first use and once, spelled without being built', () => {
    const registry = new BackendRegistry();
    let loads = 0;
    const backend: LinkGraphBackend = {
      ...toyTarget,
      name: 'toy/x86_64',
      format: 'toy',
      arch: 'x86_64',
      createLinkGraph: (_bytes, options) => toyGraph(options.name),
    };
    const deferred = {
      format: 'toy',
      arch: 'x86_64',
      sniffer: toySniffer,
      mangleName: (name: string) => `.${name}`,
      load: () => (loads++, backend),
    };
    registry.registerDeferred(deferred);
    expect(registry.identify(toyObject())).toMatchObject({ format: 'toy', arch: 'x86_64' });
    expect(registry.spellingsOf('main')).toEqual(['main', '.main']);
    expect(registry.find('toy', 'aarch64')).toBeUndefined();
    expect(loads).toBe(0);
    registry.createLinkGraph(toyObject(), { name: 't.toy' });
    expect(registry.find('toy', 'x86_64')).toBe(backend);
    expect(registry.list()).toEqual([backend]);
    expect(loads).toBe(1);
    // Unregistered by what was registered, built or not.
    registry.unregister(deferred);
    expect(registry.find('toy', 'x86_64')).toBeUndefined();
    registry.registerDeferred(deferred);
    registry.unregister(deferred);
    expect(registry.list()).toEqual([]);
    expect(loads).toBe(1);
  });

  test('a deferred backend that loads as another format or architecture is an error naming both', () => {
    const registry = new BackendRegistry();
    const backend: LinkGraphBackend = { ...toyTarget, name: 'toy/arm64', format: 'toy', arch: 'arm64', createLinkGraph: () => toyGraph() };
    registry.registerDeferred({ format: 'toy', arch: 'x86_64', load: () => backend });
    expect(() => registry.find('toy', 'x86_64')).toThrow(new JITLinkError('InvalidArgument', 'the backend deferred for toy/x86_64 loaded as toy/arm64'));
  });

  test("forTriple: the backend of a triple's architecture, in its platform's format or the one given", () => {
    const registry = new BackendRegistry();
    const backend = (format: string): LinkGraphBackend => ({
      ...toyTarget,
      name: `${format}/x86_64`,
      format,
      arch: 'x86_64',
      createLinkGraph: () => toyGraph(),
    });
    const elf = backend('elf');
    const toy = backend('toy');
    registry.register(elf);
    registry.register(toy);
    expect(registry.forTriple('x86_64-unknown-linux-gnu')).toBe(elf);
    expect(registry.forTriple('x86_64-unknown-linux-gnu', 'toy')).toBe(toy);
    expect(registry.forTriple('x86_64-apple-darwin')).toBeUndefined();
    expect(registry.forTriple('aarch64-unknown-linux-gnu')).toBeUndefined();
  });

  test('sniffers: the latest registered first, before the built-in ones; one per name; errors pass through', () => {
    const registry = new BackendRegistry();
    const elfBytes = elfHeader({ cls: 2, data: 1, machine: 243 });
    const claimElf = (arch: string): FormatSniffer => ({
      name: 'elf',
      sniff: (bytes) => (bytes[0] === 0x7f ? { format: 'elf', arch, bits: 64, endianness: 'little', description: arch } : undefined),
    });
    expect(registry.identify(elfBytes).arch).toBe('unknown-elf-machine-243');
    registry.registerSniffer(claimElf('riscv64'));
    expect(registry.identify(elfBytes).arch).toBe('riscv64');
    registry.registerSniffer(claimElf('riscv64-again'));
    expect(registry.identify(elfBytes).arch).toBe('riscv64-again');
    // A backend brings its format's sniffer.
    const backend: LinkGraphBackend = {
      ...toyTarget,
      name: 'ELF/riscv64 (test)',
      format: 'elf',
      arch: 'riscv64',
      sniffer: claimElf('riscv64'),
      createLinkGraph: () => toyGraph('r.o'),
    };
    registry.register(backend);
    expect(registry.createLinkGraph(elfBytes, { name: 'r.o' }).name).toBe('r.o');
    const strict: FormatSniffer = {
      name: 'strict-elf',
      sniff: (_bytes, { file }) => {
        throw new JITLinkError('MalformedObject', 'bad header', { file, offset: 4 });
      },
    };
    registry.registerSniffer(strict);
    expect(() => registry.createLinkGraph(elfBytes, { name: 'r.o' })).toThrow('r.o, offset 0x4: bad header');
  });

  describe('definitions of an object held elsewhere (a ByteSource)', () => {
    // A 4 KiB object whose definitions a toy backend reads from bytes 64..72.
    const object = elfHeader({ cls: 2, data: 1, machine: 62 });
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
      name: 'ELF/x86_64 (test)',
      format: 'elf',
      arch: 'x86_64',
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

    test('sources that read into a buffer are read with readInto, not read', () => {
      const registry = new BackendRegistry();
      registry.register(backend(true));
      const into: [number, number][] = [];
      const filling: ByteSource = {
        size: whole.length,
        read() {
          throw new Error('read called');
        },
        readInto(target, offset) {
          into.push([offset, target.length]);
          target.set(whole.subarray(offset, offset + target.length));
        },
      };
      expect([...registry.readObjectDefinitions(filling, { name: 'r.o' }).keys()]).toEqual(['sum_36']);
      expect(into).toEqual([
        [0, 64],
        [64, 8],
      ]);
    });

    test('one buffer serves object after object: each sees zeros wherever it did not read', () => {
      // The backend sums every byte of the buffer it is given, so any byte left from an
      // earlier object (or from an object that failed) would change the sum.
      const registry = new BackendRegistry();
      const buffers = new Set<ArrayBuffer>();
      registry.register({
        ...backend(true),
        readDefinitionRanges: (object) => {
          object.read(64, 8);
          if (object.size > 4096) {
            object.read(1000, 100);
            object.read(4096, object.size - 4096);
          }
        },
        readDefinitions: (bytes) => {
          buffers.add(bytes.buffer as ArrayBuffer);
          if (bytes[64] === 0xee) throw new JITLinkError('MalformedObject', 'bad table', { file: 'x.o', offset: 64 });
          let sum = 0;
          for (const b of bytes) sum += b;
          return new Map([[`sum_${sum}`, definitionFlags(false, false, true)]]);
        },
      });
      const sourceOf = (bytes: Uint8Array): ByteSource => ({
        size: bytes.length,
        read: (o, n) => bytes.slice(o, o + n),
      });
      const headerSum = object.reduce((a, b) => a + b, 0);
      const large = new Uint8Array(6000);
      large.set(whole);
      large.fill(7, 1000, 1100);
      large.fill(9, 4096);
      const failing = large.slice();
      failing[64] = 0xee;
      const names = (bytes: Uint8Array) => [...registry.readObjectDefinitions(sourceOf(bytes), { name: 'r.o' }).keys()];
      expect(names(large)).toEqual([`sum_${headerSum + 36 + 7 * 100 + 9 * 1904}`]);
      expect(names(whole)).toEqual([`sum_${headerSum + 36}`]);
      expect(() => names(failing)).toThrow('bad table');
      expect(names(whole)).toEqual([`sum_${headerSum + 36}`]);
      // The first buffer was grown for the large object, then kept.
      expect(buffers.size).toBe(1);
    });
  });
});
