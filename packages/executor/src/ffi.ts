/**
 * Calling JIT'd code from JavaScript with C signatures, JS functions as
 * symbols JIT'd code calls, and typed access to JIT'd globals. koffi does the
 * calling; this module checks every value against its C type first, so a
 * wrong argument is an error rather than a silent truncation (koffi itself
 * turns 2.5 into 2 for an `int`).
 */
import koffi, { type IKoffiCType, type IKoffiRegisteredCallback } from 'koffi';
import { JITLinkError, formatAddress, type TargetAddress } from '@jitlink/core';
import { cProto, nativeView, toPointer } from './native.js';

/** A C type: a koffi type name (`double`, `int32_t`, `const char *`, a struct declared with `cStruct`) or a koffi type. */
export type CType = string | IKoffiCType;

/** A parsed C function signature. */
export interface CSignature {
  name: string | undefined;
  result: string;
  parameters: string[];
  variadic: boolean;
}

interface TypeInfo {
  name: string;
  primitive: string;
  size: number;
  members?: Record<string, { name: string; type: IKoffiCType; offset: number }>;
}

function introspect(type: CType, where: string): TypeInfo {
  try {
    return koffi.introspect(type as IKoffiCType) as unknown as TypeInfo;
  } catch (error) {
    throw new JITLinkError(
      'InvalidArgument',
      `${where}: unknown C type '${String(type)}' (${(error as Error).message})`,
    );
  }
}

function isKnownType(type: string): boolean {
  try {
    koffi.introspect(type as unknown as IKoffiCType);
    return true;
  } catch {
    return false;
  }
}

/** A parameter's type without its name: `const char *label` → `const char *`. */
function parameterType(text: string, signature: string): string {
  const trimmed = text.trim();
  if (isKnownType(trimmed)) return trimmed;
  const unnamed = trimmed.replace(/\s*\b[A-Za-z_]\w*$/, '').trim();
  if (unnamed !== trimmed && isKnownType(unnamed)) return unnamed;
  throw new JITLinkError(
    'InvalidArgument',
    `C signature '${signature}': unknown parameter type '${trimmed}'`,
  );
}

/** Parses `double f(double, int32_t n, const char *)` (the name is optional: `double (double)`). */
export function parseCSignature(signature: string): CSignature {
  const match = /^\s*(.*?)\s*([A-Za-z_]\w*)?\s*\(([^()]*)\)\s*;?\s*$/s.exec(signature);
  if (!match) throw new JITLinkError('InvalidArgument', `not a C function signature: '${signature}'`);
  let result = match[1]!.trim();
  let name: string | undefined = match[2];
  if (result === '' && name !== undefined) {
    result = name;
    name = undefined;
  }
  if (!isKnownType(result))
    throw new JITLinkError('InvalidArgument', `C signature '${signature}': unknown result type '${result}'`);
  const list = match[3]!.trim();
  const parts = list === '' || list === 'void' ? [] : list.split(',');
  let variadic = false;
  if (parts.length > 0 && parts[parts.length - 1]!.trim() === '...') {
    parts.pop();
    variadic = true;
  }
  return { name, result, parameters: parts.map((p) => parameterType(p, signature)), variadic };
}

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  Int8: [-(1n << 7n), (1n << 7n) - 1n],
  UInt8: [0n, (1n << 8n) - 1n],
  Int16: [-(1n << 15n), (1n << 15n) - 1n],
  UInt16: [0n, (1n << 16n) - 1n],
  Int32: [-(1n << 31n), (1n << 31n) - 1n],
  UInt32: [0n, (1n << 32n) - 1n],
  Int64: [-(1n << 63n), (1n << 63n) - 1n],
  UInt64: [0n, (1n << 64n) - 1n],
};

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return String(value);
}

function bad(where: string, type: TypeInfo, value: unknown, why: string): JITLinkError {
  return new JITLinkError(
    'InvalidArgument',
    `${where}: ${describeValue(value)} is not a valid ${type.name} (${why})`,
  );
}

/**
 * Checks `value` against `type` and returns what koffi is given for it
 * (addresses as numbers or bigints become pointers).
 */
function convert(type: CType, value: unknown, where: string): unknown {
  // Errors name the type as the signature spelled it (koffi says `char *` for `const char *`).
  const info = { ...introspect(type, where), ...(typeof type === 'string' ? { name: type } : {}) };
  const range = INTEGER_RANGES[info.primitive.replace(/S$/, '')];
  if (range) {
    let n: bigint;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw bad(where, info, value, 'not an integer');
      n = BigInt(value);
    } else if (typeof value === 'bigint') {
      n = value;
    } else {
      throw bad(where, info, value, 'expected a number or bigint');
    }
    if (n < range[0] || n > range[1]) throw bad(where, info, value, `outside ${range[0]}..${range[1]}`);
    return value;
  }
  switch (info.primitive) {
    case 'Bool':
      if (typeof value !== 'boolean') throw bad(where, info, value, 'expected true or false');
      return value;
    case 'Float32':
    case 'Float64':
      if (typeof value !== 'number') throw bad(where, info, value, 'expected a number');
      return value;
    case 'String':
      if (typeof value !== 'string' && value !== null)
        throw bad(where, info, value, 'expected a string or null');
      return value;
    case 'Pointer':
    case 'Callback':
      return convertPointer(info, value, where);
    case 'Record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw bad(where, info, value, 'expected an object with its fields');
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [field, member] of Object.entries(info.members ?? {})) {
        if (!(field in record)) throw bad(where, info, value, `field ${field} is missing`);
        out[field] = convert(member.type, record[field], `${where}.${field}`);
      }
      for (const field of Object.keys(record))
        if (!(field in out)) throw bad(where, info, value, `it has no field ${field}`);
      return out;
    }
    default:
      throw new JITLinkError(
        'InvalidArgument',
        `${where}: values of C type ${info.name} (${info.primitive}) cannot be passed`,
      );
  }
}

function convertPointer(info: TypeInfo, value: unknown, where: string): unknown {
  if (value === null || value === 0 || value === 0n) return null;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw bad(where, info, value, 'not an address');
    return toPointer(value);
  }
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw bad(where, info, value, 'not an address');
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(where, info, value, 'not a user-space address');
    return toPointer(Number(value));
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value; // memory koffi passes by address
  if (info.primitive === 'Callback' && typeof value === 'function') return value; // koffi makes a transient callback
  if (typeof value === 'object') return value; // a koffi pointer (an External)
  throw bad(where, info, value, 'expected an address, a typed array, a buffer or null');
}

/** koffi returns pointers as opaque objects; JIT'd code's callers want addresses. */
function convertResult(type: string, value: unknown): unknown {
  const primitive = introspect(type, 'result').primitive;
  if ((primitive === 'Pointer' || primitive === 'Callback') && value !== null && typeof value === 'object')
    return Number(koffi.address(value));
  return value;
}

/** A C function as a JS function; see `cFunction`. */
export type CFunction = ((...args: unknown[]) => unknown) & {
  readonly address: TargetAddress;
  readonly signature: CSignature;
};

function anonymousPrototype(sig: CSignature, variadicTail = false): string {
  const params = [...sig.parameters];
  if (variadicTail) params.push('...');
  return `${sig.result} (${params.length === 0 ? 'void' : params.join(', ')})`;
}

function checkAddress(address: TargetAddress, what: string): void {
  if (!Number.isSafeInteger(address) || address <= 0)
    throw new JITLinkError('InvalidArgument', `cannot use ${formatAddress(address)} as ${what}`);
}

/**
 * The C function at `address` as a JS function with signature `signature`
 * (`'double f(double, int32_t, const char *)'`). Integers take numbers or
 * bigints in their type's range; floating point takes numbers; `const char *`
 * takes strings; pointers take addresses, typed arrays or buffers (passed by
 * address) or null; structs by value take objects with exactly their fields.
 * A variadic function (`'int printf(const char *, ...)'`) takes its variadic
 * arguments as type/value pairs: `f('%d %g', 'int', 1, 'double', 2.5)`.
 * Pointer results come back as addresses (numbers).
 */
export function cFunction(address: TargetAddress, signature: string): CFunction {
  checkAddress(address, 'a function address');
  const sig = parseCSignature(signature);
  const label = sig.name ?? formatAddress(address);
  const pointer = toPointer(address);
  const fixed = sig.parameters.length;
  const call = (...args: unknown[]): unknown => {
    if (sig.variadic ? args.length < fixed || (args.length - fixed) % 2 !== 0 : args.length !== fixed) {
      throw new JITLinkError(
        'InvalidArgument',
        `${label}: expected ${fixed} argument${fixed === 1 ? '' : 's'}${sig.variadic ? ' then type/value pairs' : ''}, got ${args.length}`,
      );
    }
    const converted: unknown[] = sig.parameters.map((type, i) =>
      convert(type, args[i], `${label} argument ${i + 1}`),
    );
    for (let i = fixed; i < args.length; i += 2) {
      const type = args[i];
      if (typeof type !== 'string' && (typeof type !== 'object' || type === null))
        throw new JITLinkError(
          'InvalidArgument',
          `${label} variadic argument ${i + 1}: expected a C type name, got ${describeValue(type)}`,
        );
      converted.push(type, convert(type as CType, args[i + 1], `${label} argument ${i + 2}`));
    }
    const proto = cProto(anonymousPrototype(sig, sig.variadic));
    return convertResult(sig.result, koffi.call(pointer, proto, ...converted));
  };
  return Object.assign(call, { address, signature: sig });
}

const structs = new Map<string, IKoffiCType>();

/**
 * Declares a C struct for signatures and globals, fields in declaration order:
 * `cStruct('vec2', { x: 'double', y: 'double' })` matches
 * `struct vec2 { double x; double y; }` (C layout and alignment). Declaring
 * the same name again with the same fields returns the same type.
 */
export function cStruct(name: string, fields: Record<string, CType>): IKoffiCType {
  const key = `${name}:${JSON.stringify(Object.entries(fields).map(([f, t]) => [f, introspect(t, `struct ${name}.${f}`).name]))}`;
  const existing = structs.get(key);
  if (existing) return existing;
  if (isKnownType(name))
    throw new JITLinkError('InvalidArgument', `C type ${name} is already declared differently`);
  const type = koffi.struct(name, fields as Record<string, IKoffiCType>);
  structs.set(key, type);
  return type;
}

/** A JS function registered as C code; `address` is valid until the set holding it is disposed. */
export interface JSFunctionSymbol {
  name: string;
  address: TargetAddress;
  signature: CSignature;
}

/** A definition `JSFunctions` makes: exported (not hidden) and callable, never weak. */
export type JSFunctionDefinition = {
  address: TargetAddress;
  flags: { exported: true; hidden: false; callable: true; weak: false };
};

/**
 * The part of a resource-manager hook (`@jitlink/orc`'s `ResourceManager`)
 * `JSFunctions.defineIn` installs: told when a tracker is removed or its
 * resources move to another tracker.
 */
export interface JSFunctionsResourceManager<Tracker> {
  removeRecords(records: readonly unknown[], tracker: Tracker): Promise<void>;
  transfer(dst: Tracker, src: Tracker): void;
}

/**
 * The part of an `@jitlink/orc` `ResourceTracker` that `JSFunctions.defineIn`
 * uses (structurally, so this package does not depend on `@jitlink/orc`);
 * `Self` is the tracker type itself.
 */
export interface JSFunctionsTracker<Self> {
  readonly removed: boolean;
  readonly dylib: {
    defineAbsolute(defs: ReadonlyMap<string, JSFunctionDefinition>, tracker: Self): void;
    readonly session: {
      registerResourceManager(manager: JSFunctionsResourceManager<Self>): void;
      deregisterResourceManager(manager: JSFunctionsResourceManager<Self>): void;
    };
  };
}

/** Callbacks registered with koffi through any `JSFunctions` and not yet unregistered. */
let liveCallbacks = 0;

/**
 * JS functions callable from JIT'd code, each at a native address with a C
 * signature. `defineIn(tracker)` defines them as absolute symbols of an ORC
 * JITDylib and ties them to that resource tracker: removing the tracker
 * unregisters them. Used without ORC, define their addresses yourself
 * (`symbols()`) and keep the set until the code that calls them is removed,
 * then `dispose()` it: a call through a disposed function's address crashes.
 * A callback's arguments arrive as koffi gives them (pointers as opaque
 * values; `koffi.address(p)` for the address); its result is checked against
 * the signature's result type, and a wrong one is reported (thrown from the
 * JS function, which koffi reports) rather than truncated.
 */
export class JSFunctions {
  private readonly registered = new Map<
    string,
    { symbol: JSFunctionSymbol; handle: IKoffiRegisteredCallback }
  >();
  private disposed = false;
  /** The tracker whose removal unregisters these functions, once `defineIn` tied them. */
  private owner: JSFunctionsTracker<unknown> | undefined;
  private untie: (() => void) | undefined;

  /** How many JS functions are registered as C code, over every `JSFunctions` not yet disposed. */
  static get liveCount(): number {
    return liveCallbacks;
  }

  /**
   * Registers `fn` with C signature `signature` under `name`; returns its
   * address. Once `defineIn` tied the set to a tracker, the new function is
   * defined under that tracker too.
   */
  add(name: string, signature: string, fn: (...args: never[]) => unknown): TargetAddress {
    if (this.disposed)
      throw new JITLinkError('InvalidArgument', `cannot add ${name}: the JS functions were disposed`);
    if (this.registered.has(name))
      throw new JITLinkError('DuplicateDefinition', `JS function ${name} is already defined`);
    const sig = parseCSignature(signature);
    if (sig.variadic)
      throw new JITLinkError('UnsupportedFeature', `${name}: a JS function cannot be variadic`);
    const checked = (...args: unknown[]): unknown => {
      const result = (fn as (...a: unknown[]) => unknown)(...args);
      if (sig.result === 'void') return undefined;
      return convert(sig.result, result, `result of JS function ${name}`);
    };
    const handle = koffi.register(checked, koffi.pointer(cProto(anonymousPrototype(sig))));
    liveCallbacks++;
    const address = Number(koffi.address(handle));
    if (this.owner) {
      try {
        this.owner.dylib.defineAbsolute(new Map([[name, definition(address)]]), this.owner);
      } catch (e) {
        koffi.unregister(handle);
        liveCallbacks--;
        throw e;
      }
    }
    this.registered.set(name, { symbol: { name, address, signature: sig }, handle });
    return address;
  }

  /** The registered functions. */
  list(): JSFunctionSymbol[] {
    return [...this.registered.values()].map((r) => r.symbol);
  }

  /** Name → `{ address, flags }` for `JITDylib.defineAbsolute` (exported, callable). */
  symbols(): Map<string, JSFunctionDefinition> {
    return new Map(this.list().map((s) => [s.name, definition(s.address)]));
  }

  /**
   * Defines every function as an absolute symbol of `tracker`'s JITDylib,
   * under `tracker`, and ties their lifetime to it: when the tracker (or one
   * its resources were transferred to) is removed, the functions are
   * unregistered, as by `dispose()`, and their symbols go with the tracker's.
   */
  defineIn<Tracker extends JSFunctionsTracker<Tracker>>(tracker: Tracker): this {
    if (this.disposed) throw new JITLinkError('InvalidArgument', 'cannot define JS functions that were disposed');
    if (this.owner)
      throw new JITLinkError('InvalidArgument', 'these JS functions are already defined under a resource tracker');
    if (tracker.removed) throw new JITLinkError('InvalidArgument', 'cannot define JS functions under a removed resource tracker');
    tracker.dylib.defineAbsolute(this.symbols(), tracker);
    this.owner = tracker;
    const session = tracker.dylib.session;
    const manager: JSFunctionsResourceManager<Tracker> = {
      removeRecords: async (_records, removed) => {
        if (removed === this.owner) this.dispose();
      },
      transfer: (dst, src) => {
        if (src === this.owner) this.owner = dst;
      },
    };
    session.registerResourceManager(manager);
    this.untie = () => session.deregisterResourceManager(manager);
    return this;
  }

  /** Unregisters every function; their addresses must no longer be called. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { handle } of this.registered.values()) {
      koffi.unregister(handle);
      liveCallbacks--;
    }
    this.registered.clear();
    this.untie?.();
    this.untie = undefined;
    this.owner = undefined;
  }
}

function definition(address: TargetAddress): JSFunctionDefinition {
  return { address, flags: { exported: true, hidden: false, callable: true, weak: false } };
}

/** A JIT'd global of one C type, read and written through its address; see `cGlobal`. */
export interface CGlobal<T = unknown> {
  readonly address: TargetAddress;
  get(): T;
  set(value: T): void;
}

/**
 * Typed access to the global at `address`: `cGlobal(addr, 'double').set(2.5)`.
 * Values are checked as function arguments are; for arrays of numbers use
 * `cArray`. The memory must stay mapped (and writable, to set) while used.
 */
export function cGlobal<T = unknown>(address: TargetAddress, type: CType): CGlobal<T> {
  checkAddress(address, 'a global address');
  const info = introspect(type, `global at ${formatAddress(address)}`);
  const where = `global ${info.name} at ${formatAddress(address)}`;
  return {
    address,
    get: () => koffi.decode(toPointer(address), type as IKoffiCType) as T,
    set: (value: T) => {
      const converted = convert(type, value, where);
      koffi.encode(toPointer(address), type as IKoffiCType, converted);
    },
  };
}

const TYPED_ARRAYS = {
  int8_t: Int8Array,
  uint8_t: Uint8Array,
  int16_t: Int16Array,
  uint16_t: Uint16Array,
  int32_t: Int32Array,
  uint32_t: Uint32Array,
  int64_t: BigInt64Array,
  uint64_t: BigUint64Array,
  float: Float32Array,
  double: Float64Array,
} as const;

export type CArrayElement = keyof typeof TYPED_ARRAYS;

/**
 * A typed array directly on `count` elements of JIT'd memory at `address`
 * (no copy: writes reach the JIT'd code). The memory must stay mapped while
 * the array is used.
 */
export function cArray<E extends CArrayElement>(
  address: TargetAddress,
  element: E,
  count: number,
): InstanceType<(typeof TYPED_ARRAYS)[E]> {
  checkAddress(address, 'an array address');
  const ctor = TYPED_ARRAYS[element];
  if (!ctor) throw new JITLinkError('InvalidArgument', `cArray: unsupported element type ${String(element)}`);
  if (!Number.isSafeInteger(count) || count < 0)
    throw new JITLinkError('InvalidArgument', `cArray: invalid element count ${count}`);
  if (address % ctor.BYTES_PER_ELEMENT !== 0)
    throw new JITLinkError(
      'InvalidArgument',
      `cArray: ${formatAddress(address)} is not aligned for ${element}`,
    );
  const bytes = nativeView(address, count * ctor.BYTES_PER_ELEMENT);
  return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, count) as InstanceType<
    (typeof TYPED_ARRAYS)[E]
  >;
}
