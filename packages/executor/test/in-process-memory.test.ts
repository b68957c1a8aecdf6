import { JITLinkError, type AllocAction } from '@jitlink/core';
import {
  DualMappedMemoryManager,
  InProcessMemoryManager,
  callInt,
  callVoid,
  readMemory,
  runAsMain,
  type InProcessMemoryManagerOptions,
} from '../src/index.js';
import {
  ARGC_PLUS_STRLEN_ARGV1,
  RETURN_42,
  RW,
  RX,
  STORE_ARG1_AT_ARG0,
  codeRequest,
  describeX64,
} from './helpers.js';

// What both in-process memory managers must do alike: run code, copy working
// memory in 'copied' mode, run allocation actions and undo them.
const managers: [
  string,
  (options?: InProcessMemoryManagerOptions) => InProcessMemoryManager | DualMappedMemoryManager,
][] = [
  ['InProcessMemoryManager', (options) => new InProcessMemoryManager(options)],
  ['DualMappedMemoryManager', (options) => new DualMappedMemoryManager(options)],
];

for (const [name, create] of managers) describeX64(name, () => {
  let manager: InProcessMemoryManager | DualMappedMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it("copies working memory to the target at finalize in 'copied' mode", async () => {
    manager = create({ workingMemory: 'copied' });
    const allocation = await manager.allocate(undefined, codeRequest('ret42', RETURN_42));
    const address = allocation.getTargetMemory(RX);
    allocation.getWorkingMemory(RX).set(RETURN_42);
    expect(readMemory(address, 6)).toEqual(new Uint8Array(6));
    await allocation.finalize([]);
    expect(callInt(address)).toBe(42);
  });

  it('calls a function as main with a NULL-terminated argv', async () => {
    manager = create();
    const allocation = await manager.allocate(undefined, codeRequest('argc', ARGC_PLUS_STRLEN_ARGV1));
    allocation.getWorkingMemory(RX).set(ARGC_PLUS_STRLEN_ARGV1);
    await allocation.finalize([]);
    const main = allocation.getTargetMemory(RX);
    expect(runAsMain(main, ['prog', 'hello'])).toBe(2 + 5);
    expect(runAsMain(main, ['prog', 'h\u00e9', 'x'])).toBe(3 + 3); // strlen counts UTF-8 bytes
  });

  it('runs finalize actions in order and dealloc actions in reverse', async () => {
    manager = create();
    const calls: string[] = [];
    manager.services.register('record', (args) => calls.push(`record ${args.join(',')}`));
    // A native action too: `store(cell, value)` writes into a cell of another allocation.
    const code = await manager.allocate(undefined, codeRequest('store', STORE_ARG1_AT_ARG0));
    code.getWorkingMemory(RX).set(STORE_ARG1_AT_ARG0);
    await code.finalize([]);
    const store = code.getTargetMemory(RX);
    const cells = await manager.allocate(undefined, {
      graphName: 'cells',
      segments: [{ group: RW, alignment: 8, contentSize: 16, zeroFillSize: 0 }],
    });
    await cells.finalize([]);
    const cell = cells.getTargetMemory(RW);
    const cellView = () => new DataView(readMemory(cell, 16).buffer);

    const allocation = await manager.allocate(undefined, codeRequest('actions', RETURN_42));
    const actions: AllocAction[] = [
      { finalize: { fn: 'record', args: [1] }, dealloc: { fn: 'record', args: [-1] } },
      { finalize: { fn: store, args: [cell, 7] }, dealloc: { fn: store, args: [cell + 8, 9] } },
      { finalize: { fn: 'record', args: [2] } },
      { finalize: { fn: 'record', args: [3] }, dealloc: { fn: 'record', args: [-3] } },
    ];
    await allocation.finalize(actions);
    expect(calls).toEqual(['record 1', 'record 2', 'record 3']);
    expect(cellView().getBigInt64(0, true)).toBe(7n);
    await allocation.deallocate();
    expect(calls).toEqual(['record 1', 'record 2', 'record 3', 'record -3', 'record -1']);
    expect(cellView().getBigInt64(8, true)).toBe(9n);
    await allocation.deallocate(); // second call: no-op
    expect(calls.length).toBe(5);
  });

  it('undoes earlier actions when a finalize action fails', async () => {
    manager = create();
    const calls: string[] = [];
    manager.services.register('record', (args) => calls.push(String(args[0])));
    const allocation = await manager.allocate(undefined, codeRequest('failing', RETURN_42));
    const finalize = allocation.finalize([
      { finalize: { fn: 'record', args: [1] }, dealloc: { fn: 'record', args: [-1] } },
      { finalize: { fn: 'noSuchService', args: [] } },
    ]);
    await expect(finalize).rejects.toThrow(/unknown executor service "noSuchService"/);
    await expect(finalize).rejects.toBeInstanceOf(JITLinkError);
    expect(calls).toEqual(['1', '-1']);
    await allocation.deallocate();
    expect(calls).toEqual(['1', '-1']);
    expect(manager.stats().liveAllocations).toBe(0);
  });

  it('calls functions with integer arguments', async () => {
    manager = create();
    const allocation = await manager.allocate(undefined, {
      graphName: 'store',
      segments: [
        { group: RX, alignment: 16, contentSize: 4, zeroFillSize: 0 },
        { group: RW, alignment: 8, contentSize: 8, zeroFillSize: 0 },
      ],
    });
    allocation.getWorkingMemory(RX).set(STORE_ARG1_AT_ARG0);
    await allocation.finalize([]);
    const cell = allocation.getTargetMemory(RW);
    callVoid(allocation.getTargetMemory(RX), cell, -2);
    expect(allocation.getWorkingMemory(RW)).toEqual(
      Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    );
    expect(() => callVoid(0)).toThrow(JITLinkError);
  });
});
