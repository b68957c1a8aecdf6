/**
 * Archives read from their files on demand: member headers and the symbol
 * index when the archive is opened, a member's contents when it is linked.
 * Nothing holds an archive whole, so a large link keeps only the members it
 * is working on.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { JITLinkError, type ArchiveSource } from '@jitlink/core';

export class FileArchiveSource implements ArchiveSource {
  readonly size: number;
  private fd: number | undefined;

  /** `size`, when the caller already has it (from `stat`), saves an `fstat`. */
  constructor(
    readonly path: string,
    size?: number,
  ) {
    try {
      this.fd = openSync(path, 'r');
      this.size = size ?? fstatSync(this.fd).size;
    } catch (e) {
      if (this.fd !== undefined) closeSync(this.fd);
      throw new JITLinkError('InvalidArgument', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new JITLinkError('InvalidArgument', `${this.path} was closed`);
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, bytes, done, length - done, offset + done);
      } catch (e) {
        throw new JITLinkError('InvalidArgument', `cannot read ${this.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      if (n === 0) {
        throw new JITLinkError('MalformedObject', `${this.path} ended at ${offset + done} while reading ${length} bytes at ${offset} (changed while linking?)`, {
          file: this.path,
          offset: offset + done,
        });
      }
      done += n;
    }
    return bytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
