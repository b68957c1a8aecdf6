/** Target triples ("arch-vendor-os[-environment]") and what follows from them. */
/**
 * An object format: the three core recognises, or the name of a format a
 * third-party sniffer recognises (registerFormatSniffer).
 */
export type ObjectFormat = 'elf' | 'macho' | 'coff' | (string & {});

/** A target triple split into its parts. */
export interface Triple {
  arch: string;
  vendor: string;
  os: string;
  environment: string;
}

/**
 * Splits `triple` ("x86_64-unknown-linux-gnu") into its parts; missing parts are "unknown"
 * (environment: empty).
 */
export function parseTriple(triple: string): Triple {
  const [arch = 'unknown', vendor = 'unknown', os = 'unknown', environment = ''] = triple.split('-');
  return { arch, vendor, os, environment };
}

// Every graph asks, with one of a handful of triples: remember the answers.
const formatCache = new Map<string, ObjectFormat>();

/** The object format used on the triple's platform (ELF unless Darwin or Windows). */
export function objectFormatOfTriple(triple: string): ObjectFormat {
  let format = formatCache.get(triple);
  if (format === undefined) {
    format = classifyTriple(triple);
    if (formatCache.size < 64) formatCache.set(triple, format);
  }
  return format;
}

function classifyTriple(triple: string): ObjectFormat {
  const { vendor, os, environment } = parseTriple(triple);
  if (environment.endsWith('elf')) return 'elf';
  if (environment.endsWith('macho')) return 'macho';
  if (vendor === 'apple' || /^(darwin|macos|ios|tvos|watchos|xros)/.test(os)) return 'macho';
  if (os.startsWith('windows') || os.startsWith('win32') || environment.startsWith('msvc')) return 'coff';
  return 'elf';
}

/** The architecture part of a triple. */
export function archOfTriple(triple: string): string {
  const dash = triple.indexOf('-');
  return dash < 0 ? triple : triple.slice(0, dash);
}
