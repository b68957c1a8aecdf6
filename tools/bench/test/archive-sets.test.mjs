import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llvmCandidates, llvmUnits, selectLlvmSets } from '../src/archive-sets.mjs';

const M = 1e6;
// A miniature of /usr/lib/llvm-19/lib: sizes in bytes, TLS-free or not.
const archives = [
  { name: 'libLLVMAMDGPUDesc.a', bytes: 10 * M, tlsFree: true },
  { name: 'libLLVMAMDGPUAsmParser.a', bytes: 7 * M, tlsFree: true },
  { name: 'libLLVMAMDGPUUtils.a', bytes: 2.4 * M, tlsFree: true },
  { name: 'libLLVMAMDGPUInfo.a', bytes: 6588, tlsFree: true },
  { name: 'libLLVMAMDGPUCodeGen.a', bytes: 20 * M, tlsFree: false },
  { name: 'libLLVMX86Desc.a', bytes: 5.5 * M, tlsFree: true },
  { name: 'libLLVMX86Info.a', bytes: 6676, tlsFree: true },
  { name: 'libLLVMARMDesc.a', bytes: 2.4 * M, tlsFree: true },
  { name: 'libLLVMARMInfo.a', bytes: 11178, tlsFree: true },
  { name: 'libLLVMARMUtils.a', bytes: 23534, tlsFree: false },
  { name: 'libLLVMPasses.a', bytes: 8.4 * M, tlsFree: true },
  { name: 'libLLVMObject.a', bytes: 3.8 * M, tlsFree: true },
  { name: 'libLLVMMCParser.a', bytes: 1.2 * M, tlsFree: true },
  { name: 'libLLVMBitReader.a', bytes: 1.01 * M, tlsFree: true },
  { name: 'libLLVMCore.a', bytes: 9.2 * M, tlsFree: false },
  { name: 'libLLVMTableGenCommon.a', bytes: 2.5 * M, tlsFree: true },
  { name: 'libLLVMBOLTProfile.a', bytes: 1.2 * M, tlsFree: true },
  { name: 'libLLVMDemangle.a', bytes: 0.75 * M, tlsFree: true },
  { name: 'libLLVMAVRInfo.a', bytes: 4320 },
];

test('candidates: libraries of at least 1 MB and the targets’ Info/Utils, excluded ones left out', () => {
  const c = llvmCandidates(archives);
  assert.ok(c.includes('libLLVMCore.a') && c.includes('libLLVMAVRInfo.a') && c.includes('libLLVMARMUtils.a'));
  assert.ok(!c.includes('libLLVMDemangle.a'));
  assert.ok(!c.includes('libLLVMTableGenCommon.a') && !c.includes('libLLVMBOLTProfile.a'));
  assert.deepEqual(c, [...c].sort());
});

test('units: TLS-free only, a target’s libraries together with its Info and Utils', () => {
  const units = llvmUnits(archives);
  assert.deepEqual(units[0].archives, [
    'libLLVMAMDGPUAsmParser.a',
    'libLLVMAMDGPUDesc.a',
    'libLLVMAMDGPUInfo.a',
    'libLLVMAMDGPUUtils.a',
  ]);
  assert.equal(units[0].bytes, 19.4 * M + 6588);
  const names = units.flatMap((u) => u.archives);
  // TLS relocations, excluded by name, under 1 MB, or a target whose Utils has TLS relocations.
  for (const n of [
    'libLLVMCore.a',
    'libLLVMAMDGPUCodeGen.a',
    'libLLVMTableGenCommon.a',
    'libLLVMBOLTProfile.a',
  ])
    assert.ok(!names.includes(n), n);
  assert.ok(!names.includes('libLLVMDemangle.a'));
  assert.ok(!names.includes('libLLVMARMDesc.a'));
  assert.deepEqual(units.find((u) => u.archives.includes('libLLVMX86Desc.a')).archives, [
    'libLLVMX86Desc.a',
    'libLLVMX86Info.a',
  ]);
  // Largest first.
  for (let i = 1; i < units.length; i++) assert.ok(units[i - 1].bytes >= units[i].bytes);
});

test('sets: largest units first, within the size +5% and closer to it; deterministic', () => {
  const sets = selectLlvmSets(archives, [1, 5, 20, 30]);
  assert.deepEqual(
    sets.map((s) => [s.id, s.archives]),
    [
      ['llvm-1mb', ['libLLVMBitReader.a']],
      // X86 (5.5 MB) exceeds 5.25 MB; Object (3.8) then MCParser (1.2) reach 5.0.
      ['llvm-5mb', ['libLLVMMCParser.a', 'libLLVMObject.a']],
      // AMDGPU (19.4 MB), then BitReader brings it to 20.4.
      [
        'llvm-20mb',
        [
          'libLLVMAMDGPUAsmParser.a',
          'libLLVMAMDGPUDesc.a',
          'libLLVMAMDGPUInfo.a',
          'libLLVMAMDGPUUtils.a',
          'libLLVMBitReader.a',
        ],
      ],
      // AMDGPU + Passes = 27.8; X86 or Object would exceed 31.5; MCParser and BitReader reach 30.0.
      [
        'llvm-30mb',
        [
          'libLLVMAMDGPUAsmParser.a',
          'libLLVMAMDGPUDesc.a',
          'libLLVMAMDGPUInfo.a',
          'libLLVMAMDGPUUtils.a',
          'libLLVMBitReader.a',
          'libLLVMMCParser.a',
          'libLLVMPasses.a',
        ],
      ],
    ],
  );
  for (const s of sets) assert.ok(s.bytes <= s.sizeMB * M * 1.05);
  assert.equal(sets[0].bytes, 1.01 * M);
  assert.deepEqual(selectLlvmSets([...archives].reverse(), [1, 5, 20, 30]), sets);
});

test('a size below every unit gets the smallest unit', () => {
  const [s] = selectLlvmSets(archives, [0.5]);
  assert.deepEqual(s.archives, ['libLLVMBitReader.a']);
  assert.deepEqual(selectLlvmSets([], [1]), []);
});
