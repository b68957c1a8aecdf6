/**
 * loadTLSModule: a TLS image becomes a loader-owned block in static TLS; the
 * calling thread's copy holds the image, then zeros (.tbss).
 */
import koffi from 'koffi';
import { loadTLSModule, nativeView } from '../src/index.js';

const pthreadSelf = koffi.load('libc.so.6').func('uintptr_t pthread_self(void)') as () => number;

describe('loadTLSModule', () => {
  it("gives each module an id and a static block holding the image in this thread's copy", () => {
    const initImage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // x86-64: R_X86_64_TPOFF64 places the module in static TLS.
    const a = loadTLSModule({ initImage, memorySize: 64, alignment: 16, machine: 62, threadPointerRelocation: 18 }, 'a.o');
    const b = loadTLSModule({ initImage: new Uint8Array([42]), memorySize: 32, alignment: 32, machine: 62, threadPointerRelocation: 18 }, 'b.o');
    try {
      expect(a.moduleId).toBeGreaterThan(1);
      expect(b.moduleId).not.toBe(a.moduleId);
      // Variant II: static blocks lie below the thread pointer, aligned.
      expect(a.threadPointerOffset).toBeLessThan(0);
      expect((pthreadSelf() + b.threadPointerOffset) % 32).toBe(0);
      const copyA = nativeView(pthreadSelf() + a.threadPointerOffset, 64);
      expect([...copyA.subarray(0, 9)]).toEqual([...initImage]);
      expect(copyA.subarray(9).every((x) => x === 0)).toBe(true);
      expect(nativeView(pthreadSelf() + b.threadPointerOffset, 1)[0]).toBe(42);
    } finally {
      a.unload();
      b.unload();
    }
  });
});
