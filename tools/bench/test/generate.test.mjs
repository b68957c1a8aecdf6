import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  manySectionsProgram,
  orcData,
  orcExpected,
  orcFunction,
  orcObjectAsm,
  orcObjectName,
} from '../src/generate.mjs';

test('ORC object i defines its function and data and refers to object i-1', () => {
  assert.equal(orcFunction(7), 'orc_f_0007');
  assert.equal(orcObjectName(7), 'orc0007.o');
  const a = orcObjectAsm(7);
  assert.match(a, /^\t\.globl\torc_f_0007$/m);
  assert.match(a, /^\t\.globl\torc_d_0007$/m);
  assert.match(a, /orc_d_0006@GOTPCREL\(%rip\)/);
  assert.match(a, /jmp\torc_f_0006@PLT/);
  assert.match(a, /\.long\t7, 22, 51, 80/);
  const first = orcObjectAsm(0);
  assert.doesNotMatch(first, /orc_[fd]_9999|@PLT/);
  assert.match(first, new RegExp(`${orcData(0)}@GOTPCREL`));
});

test('orc_f_n(x) = x + n²', () => {
  assert.equal(orcExpected(0, 1), 1);
  assert.equal(orcExpected(2, 1), 1 + 1 + 3);
  assert.equal(orcExpected(999, 1), 998002);
});

test('the many-sections program is deterministic, declares what it uses and has a main', () => {
  const a = manySectionsProgram({ files: 3, perFile: 10 });
  assert.deepEqual(a, manySectionsProgram({ files: 3, perFile: 10 }));
  assert.deepEqual(
    a.map((f) => f.name),
    ['file0.c', 'file1.c', 'file2.c', 'main.c'],
  );
  const defined = new Set();
  const used = new Set();
  for (const f of a.slice(0, -1)) {
    for (const m of f.text.matchAll(/^unsigned (f_\d+_\d+)\(unsigned x\) \{/gm)) defined.add(m[1]);
    for (const m of f.text.matchAll(/^unsigned (d_\d+_\d+)\[4\] =/gm)) defined.add(m[1]);
    for (const m of f.text.matchAll(/^(?:extern )?unsigned ([fd]_\d+_\d+)(?:\(unsigned\)|\[4\]);$/gm))
      used.add(m[1]);
  }
  assert.equal(defined.size, 60);
  for (const u of used) assert.ok(defined.has(u), `${u} is declared but not defined`);
  // Every function except the first calls one with a lower index.
  assert.match(a[0].text, /unsigned f_0_0\(unsigned x\) \{ b_0_0 \+= 1; return h_0_0\(x\)/);
  const main = a[a.length - 1].text;
  assert.match(main, /int main\(void\)/);
  assert.equal((main.match(/sum_\d+\(\d+u\)/g) ?? []).length, 3);
});
