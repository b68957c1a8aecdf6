/**
 * Calling JIT'd C from JavaScript with C signatures: test-corpus/src/ffi/ffi.c
 * (clang-19, committed as test-corpus/obj/ffi/ffi.o) linked into this process.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { JITLinkError, link, type JITLinkContext, type LinkGraph } from '@jitlink/core';
import {
  InProcessMemoryManager,
  JSFunctions,
  ProcessSymbols,
  cArray,
  cFunction,
  cGlobal,
  cStruct,
  callInt,
  parseCSignature,
} from '../src/index.js';
import { isX64Linux } from './helpers.js';

const object = path.resolve(__dirname, '../../../test-corpus/obj/ffi/ffi.o');
const haveObject = existsSync(object);
if (!haveObject) {
  const reason = `ffi tests need ${object} (bash test-corpus/build.sh)`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`skipped: ${reason}`);
}
if (!isX64Linux && process.env.CI === 'true') throw new Error('ffi tests need x86-64 Linux');
const describeFfi = isX64Linux && haveObject ? describe : describe.skip;

describe('parseCSignature', () => {
  it('reads result, name, parameter types without names, and variadics', () => {
    expect(parseCSignature('double f(double, int32_t n, const char *label)')).toEqual({
      name: 'f',
      result: 'double',
      parameters: ['double', 'int32_t', 'const char *'],
      variadic: false,
    });
    expect(parseCSignature('int (const char *, ...)')).toEqual({
      name: undefined,
      result: 'int',
      parameters: ['const char *'],
      variadic: true,
    });
    expect(parseCSignature('void g(void)').parameters).toEqual([]);
  });

  it('names an unknown type', () => {
    expect(() => parseCSignature('double f(quux)')).toThrow(/unknown parameter type 'quux'/);
    expect(() => parseCSignature('not a signature')).toThrow(JITLinkError);
  });
});

describeFfi('calling JIT-linked C from JavaScript', () => {
  const manager = new InProcessMemoryManager();
  const js = new JSFunctions();
  const seen: [number, string][] = [];
  let graph: LinkGraph;

  const address = (name: string): number => {
    for (const section of graph.sections())
      for (const sym of section.symbols) if (sym.name === name) return sym.address;
    throw new Error(`${name} is not defined by ffi.o`);
  };

  beforeAll(async () => {
    // The JIT'd code's one external the process lacks is a JS function.
    js.add(
      'host_transform',
      'int32_t host_transform(int32_t value, const char *label)',
      (value: number, label: string) => {
        seen.push([value, label]);
        return value * 10;
      },
    );
    const jsSymbols = js.symbols();
    const process = new ProcessSymbols();
    graph = createElfLinkGraph(readFileSync(object), x86_64Elf, { name: 'ffi.o' });
    let failure: Error | undefined;
    const ctx: JITLinkContext = {
      getMemoryManager: () => manager,
      lookup: async (request) => {
        const result = process.resolve(request);
        for (const name of request.keys()) {
          const def = jsSymbols.get(name);
          if (def) result.set(name, def.address);
        }
        return result;
      },
      notifyResolved: () => {},
      notifyFinalized: () => {},
      notifyFailed: (e) => (failure = e),
      shouldAddDefaultTargetPasses: () => true,
      getMarkLivePass: () => undefined,
      modifyPassConfig: () => {},
    };
    await link(graph, ctx, x86_64Elf.target);
    if (failure) throw failure;
  });

  afterAll(async () => {
    await manager.dispose();
    js.dispose();
  });

  it('passes doubles, 32-bit integers and strings', () => {
    const mix = cFunction(address('mix'), 'double mix(double a, int32_t b, const char *s)');
    expect(mix(2.5, 4, 'hello')).toBe(15);
  });

  it('passes and returns floats', () => {
    expect(cFunction(address('halve'), 'float halve(float)')(3)).toBe(1.5);
  });

  it('passes a pointer to JS memory the C code writes', () => {
    const out = new BigInt64Array(5);
    const squares = cFunction(address('squares'), 'int64_t squares(int64_t *out, int32_t n)');
    expect(squares(out, 5)).toBe(30);
    expect([...out]).toEqual([0n, 1n, 4n, 9n, 16n]);
  });

  it('passes and returns a struct by value', () => {
    cStruct('vec2', { x: 'double', y: 'double' });
    const scale = cFunction(address('scale'), 'vec2 scale(vec2 v, double k)');
    expect(scale({ x: 1.5, y: -2 }, 2)).toEqual({ x: 3, y: -4 });
    const dot = cFunction(address('dot'), 'double dot(vec2, vec2)');
    expect(dot({ x: 1, y: 2 }, { x: 3, y: 4 })).toBe(11);
  });

  it('calls a variadic function with explicit types', () => {
    const sum = cFunction(address('sum_va'), 'double sum_va(char kind, int count, ...)');
    expect(sum(0x69 /* 'i' */, 3, 'int', 1, 'int', 2, 'int', 39)).toBe(42);
    expect(sum(0x64 /* 'd' */, 2, 'double', 0.25, 'double', 0.5)).toBe(0.75);
  });

  it('reads and writes globals through typed views', () => {
    const counter = cGlobal<number>(address('counter'), 'double');
    expect(counter.get()).toBe(1.5);
    counter.set(10);
    expect(cFunction(address('bump'), 'double bump(double)')(0.5)).toBe(10.5);
    expect(counter.get()).toBe(10.5);
    const table = cArray(address('table'), 'int32_t', 4);
    expect([...table]).toEqual([10, 20, 30, 40]);
    table[2] = -7;
    expect(cGlobal<number>(address('table') + 8, 'int32_t').get()).toBe(-7);
    expect(() => counter.set('x' as unknown as number)).toThrow(/"x" is not a valid double/);
  });

  it('lets JIT-linked code call a JS function bound as its external symbol', () => {
    seen.length = 0;
    const applyHost = cFunction(address('apply_host'), 'int32_t apply_host(int32_t)');
    expect(applyHost(3)).toBe(60);
    expect(seen).toEqual([
      [1, 'step'],
      [2, 'step'],
      [3, 'step'],
    ]);
  });

  it('rejects wrong argument types and counts instead of truncating', () => {
    const mix = cFunction(address('mix'), 'double mix(double, int32_t, const char *)');
    expect(() => mix(1, 2.5, 's')).toThrow(/mix argument 2: 2.5 is not a valid int32_t \(not an integer\)/);
    expect(() => mix(1, 2 ** 31, 's')).toThrow(/outside -2147483648\.\.2147483647/);
    expect(() => mix('1', 2, 's')).toThrow(/argument 1: "1" is not a valid double/);
    expect(() => mix(1, 2, 3)).toThrow(/argument 3: 3 is not a valid const char \*/);
    expect(() => mix(1, 2)).toThrow(/expected 3 arguments, got 2/);
    const dot = cFunction(address('dot'), 'double dot(vec2, vec2)');
    expect(() => dot({ x: 1 }, { x: 1, y: 2 })).toThrow(/field y is missing/);
    const sum = cFunction(address('sum_va'), 'double sum_va(char, int, ...)');
    expect(() => sum(0x69, 1, 'int')).toThrow(/type\/value pairs/);
    expect(() => sum(0x69, 1, 'int', 1.5)).toThrow(/1.5 is not a valid int/);
  });

  it('makes callInt reject non-integers rather than truncate them', () => {
    const addHost = address('apply_host');
    expect(() => callInt(addHost, 2.5)).toThrow(/argument 1 \(2.5\) is not an integer/);
  });
});
