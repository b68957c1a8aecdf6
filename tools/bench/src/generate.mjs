// Generated inputs: source text of the objects that the benchmark compiles at
// bench time (the ORC throughput objects, the many-sections program and the
// small objects that give llvm-jitlink-19 what its process lacks). Pure: no
// file or process access, so the text can be tested.

/** Number of objects in the ORC throughput workload. */
export const ORC_OBJECTS = 1000;

const pad = (i) => String(i).padStart(4, '0');

/** Name of the function defined by ORC object `i`. */
export const orcFunction = (i) => `orc_f_${pad(i)}`;
/** Name of the data object defined by ORC object `i`. */
export const orcData = (i) => `orc_d_${pad(i)}`;
/** File name (without directory) of ORC object `i`. */
export const orcObjectName = (i) => `orc${pad(i)}.o`;

/**
 * x86-64 assembly (for llvm-mc-19) of ORC object `i`: it defines
 * `orc_f_<i>(x)` and `orc_d_<i>` (4 ints, the first being `i`), and for i > 0
 * reads `orc_d_<i-1>` through the GOT and tail-calls `orc_f_<i-1>` through the
 * PLT, so linking object `i` resolves symbols of object `i-1`.
 * So `orc_f_<n>(x)` returns `x + n²` (the sum of `(i-1) + i` for i = 1..n).
 * @param {number} i
 */
export function orcObjectAsm(i) {
  const f = orcFunction(i);
  const d = orcData(i);
  const body =
    i === 0
      ? [`\tmovl\t%edi, %eax`, `\tmovq\t${d}@GOTPCREL(%rip), %rcx`, `\taddl\t(%rcx), %eax`, `\tretq`]
      : [
          `\tmovq\t${orcData(i - 1)}@GOTPCREL(%rip), %rax`,
          `\taddl\t(%rax), %edi`,
          `\tmovq\t${d}@GOTPCREL(%rip), %rax`,
          `\taddl\t(%rax), %edi`,
          `\tjmp\t${orcFunction(i - 1)}@PLT`,
        ];
  return [
    `\t.text`,
    `\t.globl\t${f}`,
    `\t.p2align\t4`,
    `\t.type\t${f},@function`,
    `${f}:`,
    `\t.cfi_startproc`,
    ...body,
    `\t.cfi_endproc`,
    `\t.size\t${f}, .-${f}`,
    ``,
    `\t.data`,
    `\t.globl\t${d}`,
    `\t.p2align\t2`,
    `\t.type\t${d},@object`,
    `${d}:`,
    `\t.long\t${i}, ${3 * i + 1}, ${7 * i + 2}, ${11 * i + 3}`,
    `\t.size\t${d}, 16`,
    ``,
    `\t.section\t.note.GNU-stack,"",@progbits`,
    ``,
  ].join('\n');
}

/**
 * What `orc_f_<n>(x)` returns (32-bit signed): f_0(x) = x + 0 and
 * f_i(x) = f_{i-1}(x + (i-1) + i), hence x + n².
 * @param {number} n
 * @param {number} x
 */
export const orcExpected = (n, x) => (x + n * n) | 0;

/** Gives llvm-jitlink-19 the `__dso_handle` its process lacks (jitlink defines its own). */
export const DSO_HANDLE_SOURCE = 'void *__dso_handle = &__dso_handle;\n';
/** Gives llvm-jitlink-19 an `atexit` (glibc does not export one dynamically; jitlink provides its own). */
export const ATEXIT_SOURCE = 'int atexit(void (*f)(void)) { (void)f; return 0; }\n';

/**
 * A deterministic C program of many small functions and data objects spread
 * over several files, to be compiled with -ffunction-sections -fdata-sections
 * so that every one of them is a section of its own.
 *
 * File k defines, for j < perFile: `f_k_j` (calls one function with a lower
 * global index, usually in another file, and reads data from another file),
 * a static helper `h_k_j`, writable data `d_k_j`, read-only data `r_k_j` and a
 * zero-initialised counter `b_k_j`; plus `sum_k`, which calls every `f_k_j`.
 * main.c calls each `sum_k` and prints one checksum line per file and a total.
 * @param {{ files?: number, perFile?: number }} [options]
 * @returns {{ name: string, text: string }[]}
 */
export function manySectionsProgram({ files = 20, perFile = 150 } = {}) {
  const total = files * perFile;
  const at = (g) => ({ k: Math.floor(g / perFile), j: g % perFile });
  const name = (prefix, g) => {
    const { k, j } = at(g);
    return `${prefix}_${k}_${j}`;
  };
  // Callee of f_g: a pseudo-random lower global index (a tree of calls, so
  // each chain is short and the program terminates quickly).
  const callee = (g) => (g === 0 ? undefined : ((g * 2654435761) % 4294967291) % g);
  // Data read by f_g: another file's d array.
  const dataOf = (g) => (g * 104729 + 7) % total;
  const out = [];
  for (let k = 0; k < files; k++) {
    const externs = new Set();
    const defs = [];
    for (let j = 0; j < perFile; j++) {
      const g = k * perFile + j;
      const c = callee(g);
      const dg = dataOf(g);
      // Declared up front whether defined here or in another file.
      if (c !== undefined) externs.add(`unsigned ${name('f', c)}(unsigned);`);
      externs.add(`extern unsigned ${name('d', dg)}[4];`);
      const call = c === undefined ? 'x' : `${name('f', c)}(x + ${g % 17})`;
      defs.push(
        `unsigned ${name('d', g)}[4] = { ${g}u, ${(g * 31 + 1) % 1000}u, ${(g * 17 + 5) % 997}u, ${(g * 13 + 3) % 991}u };`,
        `const unsigned ${name('r', g)}[3] = { ${(g * 5 + 1) % 257}u, ${(g * 11 + 2) % 263}u, ${(g * 3 + 7) % 269}u };`,
        `unsigned ${name('b', g)};`,
        `static unsigned __attribute__((noinline)) ${name('h', g)}(unsigned x) { return x * ${name('r', g)}[x % 3] + ${name('d', dg)}[x & 3]; }`,
        `unsigned ${name('f', g)}(unsigned x) { ${name('b', g)} += 1; return ${name('h', g)}(${call}) ^ ${name('b', g)}; }`,
      );
    }
    const calls = [];
    for (let j = 0; j < perFile; j++) calls.push(`  s = s * 31u + ${name('f', k * perFile + j)}(s);`);
    out.push({
      name: `file${k}.c`,
      text: [
        ...[...externs].sort(),
        ...defs,
        `unsigned sum_${k}(unsigned s) {`,
        ...calls,
        `  return s;`,
        `}`,
        '',
      ].join('\n'),
    });
  }
  const main = ['#include <stdio.h>'];
  for (let k = 0; k < files; k++) main.push(`unsigned sum_${k}(unsigned);`);
  main.push('int main(void) {', '  unsigned total = 0;');
  for (let k = 0; k < files; k++) {
    main.push(`  { unsigned s = sum_${k}(${k + 1}u); total ^= s; printf("file${k} %08x\\n", s); }`);
  }
  main.push(`  printf("total %08x (${total} functions)\\n", total);`, '  return 0;', '}', '');
  out.push({ name: 'main.c', text: main.join('\n') });
  return out;
}
