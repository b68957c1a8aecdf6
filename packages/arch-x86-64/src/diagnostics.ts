/** Error builders shared by the fixups, the passes and the ELF mapping. */
import { JITLinkError } from '@jitlink/core';

/**
 * The error for any thread-local-storage relocation or edge: TLS needs
 * runtime support (a TLS block per thread, __tls_get_addr or TLS
 * descriptors) that the linker does not provide yet.
 */
export function tlsNotSupported(what: string, file: string, section: string, offset: number): JITLinkError {
  return new JITLinkError(
    'UnsupportedFeature',
    `thread-local storage is not yet supported: ${what} in ${file} section ${section} at offset 0x${offset.toString(16)}`,
  );
}
