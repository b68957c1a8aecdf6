/**
 * Every failure jitlink reports is a JITLinkError: a typed error with a stable
 * `code`, and where known the input file, section and byte offset it concerns.
 * Its message is one printable line whatever names from the file it quotes.
 */
import { escapeName } from './names.js';

/** What kind of failure a JITLinkError reports. */
export type JITLinkErrorCode =
  | 'MalformedObject'
  | 'UnsupportedFormat'
  | 'UnsupportedArchitecture'
  | 'MissingBackend'
  | 'UnsupportedRelocation'
  | 'UnsupportedFeature'
  | 'FixupOutOfRange'
  | 'SymbolsNotFound'
  | 'DuplicateDefinition'
  | 'AddressNotRepresentable'
  | 'AllocationFailed'
  | 'LimitExceeded'
  | 'InvalidGraphOperation'
  | 'InvalidArgument'
  | 'LinkFailed';

/** Where in the input a JITLinkError was found: file, section and offset, each when known. */
export interface JITLinkErrorLocation {
  /** Input file (object, archive member) the error concerns (as given: the message escapes it). */
  file?: string;
  /** Section name, when the error concerns one (as read: the message escapes it). */
  section?: string;
  /** Byte offset within the file (or within `section` when `offsetIn` is 'section'). */
  offset?: number;
  offsetIn?: 'file' | 'section';
}

/**
 * The error every package throws for bad input and failed links: a code, and the file, section and
 * offset concerned, prefixed to the message (`<file>, section <name>, offset 0x…: …`).
 */
export class JITLinkError extends Error {
  readonly code: JITLinkErrorCode;
  readonly file: string | undefined;
  readonly section: string | undefined;
  readonly offset: number | undefined;
  /** The message without the location prefix (escaped as the message is). */
  readonly detail: string;

  constructor(code: JITLinkErrorCode, detail: string, location: JITLinkErrorLocation = {}, options?: { cause?: unknown }) {
    // Names from files reach messages through `detail`, `file` and `section`:
    // escaping here keeps every message one printable line (see escapeName).
    const escaped = escapeName(detail);
    super(formatMessage(escaped, location), options);
    this.name = 'JITLinkError';
    this.code = code;
    this.detail = escaped;
    this.file = location.file;
    this.section = location.section;
    this.offset = location.offset;
  }
}

function formatMessage(detail: string, loc: JITLinkErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(escapeName(loc.file));
  if (loc.section !== undefined) parts.push(`section ${escapeName(loc.section)}`);
  if (loc.offset !== undefined) {
    const where = loc.offsetIn === 'section' ? 'section offset' : 'offset';
    parts.push(`${where} 0x${loc.offset.toString(16)}`);
  }
  return parts.length ? `${parts.join(', ')}: ${detail}` : detail;
}

/** Wraps anything thrown into an Error so that notifyFailed always receives one. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new JITLinkError('LinkFailed', String(value));
}

/** Combines several failures into one error whose message lists them all. */
export function joinErrors(errors: readonly Error[]): Error {
  if (errors.length === 1) return errors[0]!;
  const err = new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  return err;
}
