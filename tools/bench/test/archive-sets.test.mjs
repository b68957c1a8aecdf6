import assert from 'node:assert/strict';
import { test } from 'node:test';
import { llvmUnits, selectLlvmSets } from '../src/archive-sets.mjs';

const M = 1e6;
// A miniature of /usr/lib/llvm-19/lib: sizes in bytes.
const archives = [
  { name: 'libLLVMAMDGPUDesc.a', bytes: 10 * M },
  { name: 'libLLVMAMDGPUAsmParser.a', bytes: 7 * M },
  { name: 'libLLVMAMDGPUUtils.a', bytes: 2.4 * M },
  { name: 'libLLVMAMDGPUInfo.a', bytes: 6588 },
  { name: 'libLLVMAMDGPUCodeGen.a', bytes: 20 * M },
  { name: 'libLLVMX86Desc.a', bytes: 5.5 * M },
  { name: 'libLLVMX86Info.a', bytes: 6676 },
  { name: 'libLLVMARMDesc.a', bytes: 2.4 * M },
  { name: 'libLLVMARMInfo.a', bytes: 11178 },
  { name: 'libLLVMARMUtils.a', bytes: 23534 },
  { name: 'libLLVMPasses.a', bytes: 8.4 * M },
  { name: 'libLLVMObject.a', bytes: 3.8 * M },
  { name: 'libLLVMMCParser.a', bytes: 1.2 * M },
  { name: 'libLLVMBitReader.a', bytes: 1.01 * M },
  { name: 'libLLVMCore.a', bytes: 9.2 * M },
  { name: 'libLLVMTableGenCommon.a', bytes: 2.5 * M },
  { name: 'libLLVMBOLTProfile.a', bytes: 1.2 * M },
  { name: 'libLLVMDemangle.a', bytes: 0.75 * M },
  { name: 'libLLVMAVRInfo.a', bytes: 4320 },
];

test('units: every library (thread-local relocations or not), a target’s libraries together with its Info and Utils', () => {
  const units = llvmUnits(archives);
  assert.deepEqual(units[0].archives, [
    'libLLVMAMDGPUAsmParser.a',
    'libLLVMAMDGPUCodeGen.a',
    'libLLVMAMDGPUDesc.a',
    'libLLVMAMDGPUInfo.a',
    'libLLVMAMDGPUUtils.a',
  ]);
  assert.equal(units[0].bytes, 39.4 * M + 6588);
  const names = units.flatMap((u) => u.archives);
  // Libraries with TLS relocations (Core, AMDGPUCodeGen, ARMUtils) are in.
  for (const n of ['libLLVMCore.a', 'libLLVMAMDGPUCodeGen.a', 'libLLVMARMUtils.a']) assert.ok(names.includes(n), n);
  // Excluded by name, or under 1 MB and no target's support library.
  for (const n of ['libLLVMTableGenCommon.a', 'libLLVMBOLTProfile.a', 'libLLVMDemangle.a', 'libLLVMAVRInfo.a']) assert.ok(!names.includes(n), n);
  assert.deepEqual(units.find((u) => u.archives.includes('libLLVMX86Desc.a')).archives, [
    'libLLVMX86Desc.a',
    'libLLVMX86Info.a',
  ]);
  assert.deepEqual(units.find((u) => u.archives.includes('libLLVMARMDesc.a')).archives, [
    'libLLVMARMDesc.a',
    'libLLVMARMInfo.a',
    'libLLVMARMUtils.a',
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
      // AMDGPU (39.4 MB) exceeds 21; Core (9.2) + Passes (8.4) + ARM (2.43) reach 20.03.
      ['llvm-20mb', ['libLLVMARMDesc.a', 'libLLVMARMInfo.a', 'libLLVMARMUtils.a', 'libLLVMCore.a', 'libLLVMPasses.a']],
      // Core + Passes + X86 + Object + ARM = 29.34; MCParser brings it to 30.54; BitReader would exceed 31.5.
      [
        'llvm-30mb',
        [
          'libLLVMARMDesc.a',
          'libLLVMARMInfo.a',
          'libLLVMARMUtils.a',
          'libLLVMCore.a',
          'libLLVMMCParser.a',
          'libLLVMObject.a',
          'libLLVMPasses.a',
          'libLLVMX86Desc.a',
          'libLLVMX86Info.a',
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
