/**
 * The COFF file header, regular (20 bytes) or /bigobj (56 bytes): the one
 * reader of it, for parsing and for identification.
 */
import { JITLinkError } from '@jitlink/core';
import { BIGOBJ_CLASS_ID, COFF_MACHINES } from '../constants.js';

export interface CoffHeader {
  machine: number;
  bigobj: boolean;
  numberOfSections: number;
  pointerToSymbolTable: number;
  numberOfSymbols: number;
  /** Where the section table starts. */
  sectionTableOffset: number;
  /** 18 for regular objects, 20 for bigobj (32-bit section numbers). */
  symbolSize: 18 | 20;
  characteristics: number;
}

export const REGULAR_HEADER_SIZE = 20;
export const BIGOBJ_HEADER_SIZE = 56;

function fail(file: string, detail: string, offset: number): never {
  throw new JITLinkError('MalformedObject', detail, { file, offset });
}

/** True when the bytes start like a bigobj or import header (Sig1 = 0, Sig2 = 0xffff). */
export function hasAnonymousHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xff && bytes[3] === 0xff;
}

/** True when the header is a bigobj header (anonymous header with version >= 2 and bigobj's class id). */
export function isBigobjHeader(bytes: Uint8Array): boolean {
  if (!hasAnonymousHeader(bytes) || bytes.length < 28) return false;
  const version = bytes[4]! | (bytes[5]! << 8);
  return version >= 2 && BIGOBJ_CLASS_ID.every((v, i) => bytes[12 + i] === v);
}

/** True when the first two bytes name a machine this package knows (COFF has no magic number). */
export function hasKnownCoffMachine(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && COFF_MACHINES[bytes[0]! | (bytes[1]! << 8)] !== undefined;
}

/** Reads the header; throws MalformedObject for a truncated one. */
export function readCoffHeader(bytes: Uint8Array, file: string): CoffHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (hasAnonymousHeader(bytes)) {
    if (bytes.length < BIGOBJ_HEADER_SIZE) fail(file, `truncated COFF bigobj header (${bytes.length} bytes)`, 0);
    if (!isBigobjHeader(bytes)) {
      throw new JITLinkError('UnsupportedFormat', 'is a COFF import-library member or an unknown anonymous COFF object', {
        file,
        offset: 0,
      });
    }
    return {
      machine: view.getUint16(6, true),
      bigobj: true,
      numberOfSections: view.getUint32(44, true),
      pointerToSymbolTable: view.getUint32(48, true),
      numberOfSymbols: view.getUint32(52, true),
      sectionTableOffset: BIGOBJ_HEADER_SIZE,
      symbolSize: 20,
      characteristics: 0,
    };
  }
  if (bytes.length < REGULAR_HEADER_SIZE) fail(file, `truncated COFF header (${bytes.length} bytes)`, 0);
  const sizeOfOptionalHeader = view.getUint16(16, true);
  const characteristics = view.getUint16(18, true);
  if (sizeOfOptionalHeader !== 0 || (characteristics & 0x2) !== 0) {
    // IMAGE_FILE_EXECUTABLE_IMAGE or an optional header: an image (.exe/.dll), not an object.
    throw new JITLinkError('UnsupportedFormat', 'is a PE image, not a COFF relocatable object', { file, offset: 16 });
  }
  return {
    machine: view.getUint16(0, true),
    bigobj: false,
    numberOfSections: view.getUint16(2, true),
    pointerToSymbolTable: view.getUint32(8, true),
    numberOfSymbols: view.getUint32(12, true),
    sectionTableOffset: REGULAR_HEADER_SIZE,
    symbolSize: 18,
    characteristics,
  };
}
