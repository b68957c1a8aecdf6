/** Error builders shared by the fixups, the passes and the ELF mapping. */
import { formatAddress, JITLinkError } from '@jitlink/core';

/** Thread-local storage needs runtime support the linker does not provide yet. */
export function tlsNotSupported(relocation: string, file: string, section: string, address: number): JITLinkError {
  return new JITLinkError(
    'UnsupportedFeature',
    `thread-local relocation ${relocation} is not supported yet (fixup at ${formatAddress(address)})`,
    { file, section },
  );
}
