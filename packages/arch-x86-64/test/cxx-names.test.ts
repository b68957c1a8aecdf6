import { classifyMangledName } from '../src/cxx-names.js';

describe('classifyMangledName', () => {
  test.each([
    ['_ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_', 'function'],
    ['_ZNSt8ios_base4InitD1Ev', 'function'],
    ['_ZNSt8ios_base4InitC1Ev', 'function'],
    ['_ZNSolsEi', 'function'],
    ['_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc', 'function'],
    ['_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv', 'function'],
    ['_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1EPKcRKS3_', 'function'],
    ['_Z15risky_operationi', 'function'],
    ['_ZdlPvm', 'function'],
    ['_Znwm', 'function'],
    ['_ZSt20__throw_length_errorPKc', 'function'],
    ['_ZNSt6vectorIiSaIiEE9push_backEOi.isra.0', 'function'],
    ['_ZThn8_N1D1fEv', 'function'],
    ['_ZTH1x', 'function'],
    ['_ZSt4cout', 'data'],
    ['_ZSt4cerr', 'data'],
    ['_ZNSs4_Rep20_S_empty_rep_storageE', 'data'],
    ['_ZTISt12out_of_range', 'data'],
    ['_ZTVN10__cxxabiv120__si_class_type_infoE', 'data'],
    ['_ZTSSt9exception', 'data'],
    ['_ZTIPKc', 'data'],
    ['_ZGVZ8registryvE8instance', 'data'],
    ['_ZN9__gnu_cxx14__default_lockE', 'data'],
    ['printf', 'unknown'],
    ['stdout', 'unknown'],
    ['_ZZ8registryvE8instance', 'unknown'],
    ['_ZN1AIXadL_Z1fvEEE1gEv', 'unknown'],
    ['_Z', 'unknown'],
    ['_Z3', 'unknown'],
    ['_Z999999999999999x', 'unknown'],
    ['_ZN', 'unknown'],
    ['_ZNSt', 'unknown'],
    ['_ZSt4endlI', 'unknown'],
  ])('%s is %s', (name, kind) => {
    expect(classifyMangledName(name)).toBe(kind);
  });
});
