import { JITLinkError, SymbolLookupFlags } from '@jitlink/core';
import { ProcessSymbols, SelfExecutorProcessControl, callIntPtr, hostTriple } from '../src/index.js';
import { permsAt } from './helpers.js';
import { needs, platform } from '@jitlink/test-support';

const describeLinux = needs(platform('linux')).describe;

describeLinux('ProcessSymbols', () => {
  it('finds C library, math and C++ library symbols', () => {
    const symbols = new ProcessSymbols();
    const printf = symbols.lookup('printf');
    expect(printf).toBeGreaterThan(0);
    expect(permsAt(printf!)).toMatch(/^r-x/);
    symbols.load('libm.so.6');
    expect(symbols.lookup('sin')).toBeGreaterThan(0);
    symbols.load('libstdc++.so.6');
    const cout = symbols.lookup('_ZSt4cout');
    expect(cout).toBeGreaterThan(0);
    expect(permsAt(cout!)).toMatch(/^rw/); // std::cout is an object, in writable data
    expect(symbols.loadedLibraries).toEqual(['libm.so.6', 'libstdc++.so.6']);
  });

  it('returns exact addresses that can be called', () => {
    const symbols = new ProcessSymbols();
    const labs = symbols.lookup('labs')!;
    expect(callIntPtr(labs, -123456789012)).toBe(123456789012);
  });

  it('returns undefined for unknown symbols and leaves them out of a lookup result', () => {
    const symbols = new ProcessSymbols();
    expect(symbols.lookup('jitlink_no_such_symbol_anywhere')).toBeUndefined();
    const result = symbols.resolve(
      new Map([
        ['strlen', SymbolLookupFlags.RequiredSymbol],
        ['jitlink_no_such_symbol_anywhere', SymbolLookupFlags.WeaklyReferencedSymbol],
      ]),
    );
    expect([...result.keys()]).toEqual(['strlen']);
  });

  it('reports a library that cannot be loaded', () => {
    const symbols = new ProcessSymbols();
    expect(() => symbols.load('libjitlink-does-not-exist.so.1')).toThrow(JITLinkError);
    expect(() => symbols.load('libjitlink-does-not-exist.so.1')).toThrow(/libjitlink-does-not-exist\.so\.1/);
  });

  it('chooses libraries from the symbol names', () => {
    const symbols = new ProcessSymbols();
    expect(symbols.loadLibrariesFor(['printf', 'malloc'])).toEqual([]);
    expect(symbols.loadLibrariesFor(['cos', 'sqrtf'])).toEqual(['libm.so.6']);
    expect(symbols.loadLibrariesFor(['_ZNSo3putEc', '__cxa_atexit', 'sin'])).toEqual([
      'libstdc++.so.6',
      'libgcc_s.so.1',
    ]);
    expect(symbols.loadLibrariesFor(['__gxx_personality_v0', '_Unwind_Resume'])).toEqual([]);
    expect(symbols.lookup('__gxx_personality_v0')).toBeGreaterThan(0);
    expect(symbols.lookup('_Unwind_Resume')).toBeGreaterThan(0);
  });

  it('serves lookups through the executor process control', async () => {
    const executor = new SelfExecutorProcessControl();
    try {
      expect(executor.triple).toBe(hostTriple());
      expect(executor.pageSize).toBeGreaterThanOrEqual(4096);
      const found = await executor.lookupSymbols(['puts', '_ZSt4cerr', 'jitlink_missing']);
      expect([...found.keys()].sort()).toEqual(['_ZSt4cerr', 'puts']);
    } finally {
      await executor.dispose();
    }
  });
});
