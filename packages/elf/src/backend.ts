/** A LinkGraphBackend for ELF objects of one architecture. */
import { JITLinkError, type CreateLinkGraphOptions, type LinkGraphBackend, type ObjectIdentity } from '@jitlink/core';
import type { ElfArchSupport } from './arch-support.js';
import { createElfLinkGraph } from './builder.js';
import { buildElfLinkGraphFromDecoded, type DecodedElf } from './decoded.js';
import { readElfDefinitions, readElfObject, type ParsedElf } from './definitions.js';
import { elfFormatSniffer } from './identify.js';
import { readElfSymbolScanRanges } from './reader.js';

/**
 * Composes the generic ELF builder with an architecture package into a
 * backend for `registerBackend`.
 */
export function createElfBackend(arch: ElfArchSupport): LinkGraphBackend {
  const target = arch.target;
  /** The object's name, once its identity is known to be this backend's. */
  const checkIdentity = (options: CreateLinkGraphOptions & { identity: ObjectIdentity }): string => {
    const name = options.name ?? '<memory>';
    const identity = options.identity;
    if (identity.format !== 'elf' || identity.arch !== arch.arch) {
      throw new JITLinkError(
        'UnsupportedArchitecture',
        `${identity.description} for ${identity.arch} cannot be read by the ELF/${arch.arch} backend`,
        { file: name },
      );
    }
    return name;
  };
  const backend: LinkGraphBackend = {
    // The architecture's tools (decoder, table lookup...) become the backend's.
    ...arch.tools,
    name: `ELF/${arch.arch}`,
    format: 'elf',
    arch: arch.arch,
    sniffer: elfFormatSniffer,
    applyFixup: target.applyFixup.bind(target),
    createLinkGraph(bytes, options) {
      const name = checkIdentity(options);
      const decoded = options.decoded;
      if (decoded !== undefined && decoded.format === 'elf') {
        return buildElfLinkGraphFromDecoded(decoded as DecodedElf, bytes, arch, { name, limits: options.limits });
      }
      const parsed = options.parsed?.format === 'elf' ? (options.parsed as ParsedElf).elf : undefined;
      return createElfLinkGraph(bytes, arch, { name, limits: options.limits, parsed });
    },
    readDefinitions(bytes, options) {
      return readElfDefinitions(bytes, arch, checkIdentity(options));
    },
    readObject(bytes, options) {
      return readElfObject(bytes, arch, checkIdentity(options));
    },
    readDefinitionRanges(object, options) {
      checkIdentity(options);
      readElfSymbolScanRanges(object);
    },
  };
  if (target.addDefaultPasses !== undefined) {
    const addDefaultPasses = target.addDefaultPasses.bind(target);
    backend.addDefaultPasses = addDefaultPasses;
  }
  return backend;
}
