/**
 * Input files: archives read on demand (member headers and the symbol index
 * when the archive is opened, a member's contents when it is linked), objects
 * and other inputs read whole. Nothing holds an archive whole, so a large
 * link keeps only the members it is working on.
 *
 * Every input is opened here, so every failure to read one reads the same:
 * `cannot read <path>: <reason>`, the reason in words (as strerror gives them)
 * rather than an errno code. Only regular files are read: a FIFO or a device
 * is refused before anything waits on it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { JITLinkError, type ArchiveSource } from '@jitlink/core';

/**
 * The largest read into memory: a whole object or archive member. Beyond it a
 * file is refused (objects that large are not made by compilers); archives
 * larger than this are read on demand, a member at a time.
 */
export const MAX_READ_BYTES = 2 ** 31;
// Node reads at most 2^31 - 1 bytes per call.
const READ_CALL_BYTES = 2 ** 30;

// strerror's words for the errors opening or reading an input can give.
const REASONS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOMEM: 'Cannot allocate memory',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  ENODEV: 'No such device',
  EAGAIN: 'Resource temporarily unavailable',
  EOVERFLOW: 'Value too large for defined data type',
  ESTALE: 'Stale file handle',
};

/** Why an operation on a file failed, in words: strerror's for errno codes, the error's message otherwise. */
export function describeFileError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string') {
    const reason = REASONS[err.code];
    if (reason !== undefined) return reason;
    // libuv's words follow the code ("EXDEV: cross-device link not permitted, open '...'").
    const words = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message ?? '');
    if (words) return words[1]![0]!.toUpperCase() + words[1]!.slice(1);
    return err.code;
  }
  return e instanceof Error ? e.message : String(e);
}

/** What a file that is not a regular one is. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'Is a directory';
  if (stats.isFIFO()) return 'Is a FIFO (named pipe), not a regular file';
  if (stats.isCharacterDevice()) return 'Is a character device, not a regular file';
  if (stats.isBlockDevice()) return 'Is a block device, not a regular file';
  if (stats.isSocket()) return 'Is a socket, not a regular file';
  return 'Is not a regular file';
}

function cannotRead(path: string, reason: string, what: string | undefined): JITLinkError {
  return new JITLinkError('InvalidArgument', `cannot read ${what ? `${what} ` : ''}${path}: ${reason}`);
}

export class FileArchiveSource implements ArchiveSource {
  readonly size: number;
  private fd: number | undefined;
  private readonly what: string | undefined;

  /**
   * Opens `path`, which must be a regular file. `size`, when the caller has
   * it from a `stat` that found a regular file, saves an `fstat`. `what`
   * describes the file in messages ("check file").
   */
  constructor(
    readonly path: string,
    size?: number,
    what?: string,
  ) {
    this.what = what;
    let fd: number | undefined;
    try {
      // Non-blocking: opening a FIFO for reading would otherwise wait for a writer, forever.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      if (size === undefined) {
        const stats = fstatSync(fd);
        if (!stats.isFile()) throw cannotRead(path, fileKind(stats), what);
        size = stats.size;
      }
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw e instanceof JITLinkError ? e : cannotRead(path, describeFileError(e), what);
    }
    this.fd = fd;
    this.size = size;
  }

  read(offset: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new JITLinkError('InvalidArgument', `${this.path} was closed`);
    if (length > MAX_READ_BYTES) {
      throw cannotRead(
        this.path,
        offset === 0 && length === this.size
          ? `File is larger than the 2 GiB that can be read (${length} bytes)`
          : `${length} bytes at ${offset} are more than the 2 GiB that can be read at once`,
        this.what,
      );
    }
    const bytes = new Uint8Array(length);
    this.readInto(bytes, offset);
    return bytes;
  }

  /** Fills `target` with the bytes at `offset` (ByteSource.readInto). */
  readInto(target: Uint8Array, offset: number): void {
    if (this.fd === undefined) throw new JITLinkError('InvalidArgument', `${this.path} was closed`);
    const length = target.length;
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, target, done, Math.min(length - done, READ_CALL_BYTES), offset + done);
      } catch (e) {
        throw cannotRead(this.path, describeFileError(e), this.what);
      }
      if (n === 0) {
        throw new JITLinkError('MalformedObject', `${this.path} ended at ${offset + done} while reading ${length} bytes at ${offset} (changed while linking?)`, {
          file: this.path,
          offset: offset + done,
        });
      }
      done += n;
    }
  }

  /** The whole file; the source is closed after. */
  readAllAndClose(): Uint8Array {
    try {
      return this.read(0, this.size);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The whole of a regular file (`what` describes it in messages, as for FileArchiveSource). */
export function readInputFile(path: string, what?: string): Uint8Array {
  return new FileArchiveSource(path, undefined, what).readAllAndClose();
}
