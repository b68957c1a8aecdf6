/** Memory protections of a section or segment. */
export enum MemProt {
  None = 0,
  Read = 1,
  Write = 2,
  Exec = 4,
}

/** How long a section's memory lives. */
export enum MemLifetime {
  /** Allocated, finalized, and kept until the allocation is deallocated. */
  Standard = 0,
  /** Allocated and finalized (e.g. for allocation actions), then released right after finalization. */
  Finalize = 1,
  /** Never allocated in the executor (e.g. debug info). Its blocks get no address and no fixups. */
  NoAlloc = 2,
}

/** A (protection, lifetime) pair, encoded as a small integer usable as a map key. */
export type AllocGroup = number;

/** The AllocGroup of memory with protection `prot` and lifetime `lifetime`. */
export function allocGroup(prot: MemProt, lifetime: MemLifetime): AllocGroup {
  return (prot & 7) | (lifetime << 3);
}
/** The protection of an AllocGroup. */
export function allocGroupProt(group: AllocGroup): MemProt {
  return group & 7;
}
/** The lifetime of an AllocGroup. */
export function allocGroupLifetime(group: AllocGroup): MemLifetime {
  return group >> 3;
}

/** A protection as `R-X`-style text. */
export function formatMemProt(prot: MemProt): string {
  return (prot & MemProt.Read ? 'R' : '-') + (prot & MemProt.Write ? 'W' : '-') + (prot & MemProt.Exec ? 'X' : '-');
}

/** An AllocGroup as text: its protection, and its lifetime when not standard. */
export function formatAllocGroup(group: AllocGroup): string {
  const lifetime = allocGroupLifetime(group);
  const suffix = lifetime === MemLifetime.Standard ? '' : lifetime === MemLifetime.Finalize ? ' (finalize-only)' : ' (no-alloc)';
  return formatMemProt(allocGroupProt(group)) + suffix;
}
