/**
 * Which format/architecture pairs jitlink-ts links, and which packages link
 * them: the data behind the message given for an object no registered
 * backend reads. When a backend lands, its entry gets a `since` version.
 */
import type { ObjectFormat } from './triple.js';

/**
 * A format/architecture pair the project links or plans to, and the packages that make up its
 * backend.
 */
export interface KnownBackend {
  format: ObjectFormat;
  /** Architecture as identification names it ("x86_64", "aarch64", MachO's "arm64"). */
  arch: string;
  /** The packages whose composition is the backend, format package first. */
  packages: readonly string[];
  /** Version of those packages that first links these objects; absent while the backend is still to come. */
  since?: string;
  /** While the backend is still to come: the package that will bring it. */
  plannedIn?: string;
}

/**
 * Every format/architecture pair the project knows of: supported ones with the version that first
 * links them, planned ones with the package that will.
 */
export const KNOWN_BACKENDS: readonly KnownBackend[] = [
  { format: 'elf', arch: 'x86_64', packages: ['@jitlink/elf', '@jitlink/arch-x86-64'], since: '0.1.0' },
  { format: 'elf', arch: 'aarch64', packages: ['@jitlink/elf', '@jitlink/arch-arm64'], since: '0.2.0' },
  { format: 'elf', arch: 'aarch64_be', packages: ['@jitlink/elf', '@jitlink/arch-arm64'], since: '0.2.0' },
  { format: 'macho', arch: 'x86_64', packages: ['@jitlink/macho', '@jitlink/arch-x86-64'], since: '0.2.0' },
  { format: 'macho', arch: 'arm64', packages: ['@jitlink/macho', '@jitlink/arch-arm64'], since: '0.2.0' },
  { format: 'coff', arch: 'x86_64', packages: ['@jitlink/coff', '@jitlink/arch-x86-64'], since: '0.2.0' },
  { format: 'coff', arch: 'aarch64', packages: ['@jitlink/coff', '@jitlink/arch-arm64'], since: '0.2.0' },
];

const FORMAT_NAMES: Record<string, string> = { elf: 'ELF', macho: 'MachO', coff: 'COFF' };

/** The printed name of a format ("ELF", "MachO", "COFF"; a third party's format by its own name). */
export function describeFormat(format: ObjectFormat): string {
  return FORMAT_NAMES[format] ?? format;
}

/** What to do about an object of `format`/`arch` when no registered backend reads it. */
export function missingBackendAdvice(format: ObjectFormat, arch: string): string {
  const known = KNOWN_BACKENDS.find((b) => b.format === format && b.arch === arch);
  if (known?.since !== undefined) {
    return `install ${known.packages.join(' and ')} (${known.since} or later), and register the backend they compose`;
  }
  if (known !== undefined) {
    // Installing packages does not help until the backend exists: say so, and where it will come from.
    const others = known.packages.filter((p) => p !== known.plannedIn);
    const partners = others.length === 0 ? '' : ` (with ${others.join(' and ')})`;
    return `not supported yet by this version of jitlink-ts; the backend is planned in ${known.plannedIn}${partners}`;
  }
  if (FORMAT_NAMES[format] === undefined) {
    // A format only a registered sniffer knows: its backend is the third party's too.
    return `no backend for ${format}/${arch} is registered; register one with registerBackend()`;
  }
  const which = arch.startsWith('unknown-') ? 'this machine' : `${arch} in ${describeFormat(format)} objects`;
  return `no @jitlink package supports ${which}, and none is planned; a backend for it can be registered with registerBackend()`;
}
