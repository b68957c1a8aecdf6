/** A LinkGraphBackend for MachO objects of one architecture. */
import { checkLimit, JITLinkError, type CreateLinkGraphOptions, type LinkGraphBackend, type ObjectIdentity } from '@jitlink/core';
import type { MachOArchSupport } from './arch-support.js';
import { createMachOLinkGraph } from './builder.js';
import { readMachODefinitions } from './definitions.js';
import { machoFormatSniffer } from './identify.js';

/** The name a C-level symbol has in MachO objects: Darwin's C names carry a leading underscore. */
export function mangleMachOName(name: string): string {
  return '_' + name;
}

/** Composes the generic MachO builder with an architecture package into a backend for `registerBackend`. */
export function createMachOBackend(arch: MachOArchSupport): LinkGraphBackend {
  const target = arch.target;
  /** The thin object and its name, once its identity is known to be this backend's. */
  const thinObject = (bytes: Uint8Array, options: CreateLinkGraphOptions & { identity: ObjectIdentity }): [Uint8Array, string] => {
    const name = options.name ?? '<memory>';
    const identity = options.identity;
    if (identity.format !== 'macho' || identity.arch !== arch.arch) {
      throw new JITLinkError('UnsupportedArchitecture', `${identity.description} for ${identity.arch} cannot be read by the MachO/${arch.arch} backend`, {
        file: name,
      });
    }
    // A universal file: the slice the sniffer chose.
    const slice = identity.slice;
    return [slice === undefined ? bytes : bytes.subarray(slice.offset, slice.offset + slice.size), name];
  };
  const backend: LinkGraphBackend = {
    // The architecture's tools (decoder, table lookup...) become the backend's.
    ...arch.tools,
    name: `MachO/${arch.arch}`,
    format: 'macho',
    arch: arch.arch,
    sniffer: machoFormatSniffer,
    mangleName: mangleMachOName,
    applyFixup: target.applyFixup.bind(target),
    createLinkGraph(bytes, options) {
      // The whole file counts, a universal file's other slices too: it is what was read.
      checkLimit(options.name ?? '<memory>', 'input bytes', bytes.length, options.limits?.maxInputBytes);
      const [object, name] = thinObject(bytes, options);
      return createMachOLinkGraph(object, arch, { name, limits: options.limits });
    },
    readDefinitions(bytes, options) {
      const [object, name] = thinObject(bytes, options);
      return readMachODefinitions(object, arch, name);
    },
  };
  if (target.addDefaultPasses !== undefined) backend.addDefaultPasses = target.addDefaultPasses.bind(target);
  return backend;
}
